"""Compile processes as the VM sees them: fork one, read what it sends back, notice when it dies or hangs.

A compile process is a ``fork()`` of the VM (``snapshot.py`` is what it
runs). It answers on a pipe with length-prefixed pickles (``frames.py``);
here one reader thread per process waits on that pipe (a blocking read
releases the GIL), keeps each message for the main thread and sets the
heap's safepoint word, so the main thread installs the code at its next
call or back-edge check, as V8 installs background results at an interrupt
check. A process that sends nothing for ``timeout`` seconds is killed; one
that ends without its last message (``end``) comes back as a failure, and
the VM compiles its jobs itself.

A reader thread needs the GIL to read, and the main thread does not give
it up when it is interpreting and calling compiled code: each call into
compiled code lets go of the GIL and takes it straight back, which resets
CPython's switch request, so a waiting thread can wait hundreds of
milliseconds (`cache_fixed`, every module forked: code installed up to 0.7 s
after it was ready). So a process also sets the safepoint word itself as it
sends each message: the word has a page of its own, mapped shared
(``stage0_jit.heap``), so the fork did not copy it. At that safepoint the
main thread lets go of the GIL while a pipe holds something its reader has
not taken (``hand_over``), at most ``HANDOVER_WAIT`` seconds.

``limit`` processes may be building IR or compiling quick code at once (the
latency that keeps the program interpreted); a process that has sent its
quick code says so (``optimising``) and lowers its priority, so the next
hot functions' process starts at once and takes the core before it.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import warnings
from collections import deque
from typing import Any, NoReturn

from .frames import read_frame

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


#: Compile processes that may run at once per slot, counting those optimising at low priority.
BACKLOG = 4
#: The longest the main thread waits at a safepoint for the reader threads to take what is ready.
HANDOVER_WAIT = 0.01


class CompileProcess:
    """One forked compile process: its pid, the pipe it answers on, and the thread reading that pipe."""

    def __init__(self, number: int, pid: int, fd: int, processes: "CompileProcesses") -> None:
        self.number = number
        self.pid = pid
        self.processes = processes
        self.stream = os.fdopen(fd, "rb", buffering=0)
        self.building = True            # holds a slot: not yet past its quick code (then at low priority) or done
        self.reader = threading.Thread(target=self._read, name=f"compile-process-{number}", daemon=True)

    def _read(self) -> None:
        timeout = self.processes.timeout
        last = time.perf_counter()
        ended = False
        how = ""
        while True:
            ready, _, _ = select.select([self.stream], [], [], 0.25)
            if not ready:
                if time.perf_counter() - last > timeout:
                    how = f"hung (nothing for {timeout:g} s): killed"
                    self.kill()
                continue
            message = read_frame(self.stream)
            if message is None:
                break
            last = time.perf_counter()
            ended = ended or message["kind"] in ("end", "error")
            # Past its quick code, or done: it no longer holds a slot (its exit may come later).
            self.building = self.building and message["kind"] not in ("optimising", "end", "error")
            self.processes.deliver(self, message)
        self.stream.close()
        status = _reap(self.pid)
        self.processes.done(self)       # first, so that the main thread sees room for the next process
        self.processes.deliver(self, {"kind": "exit"} if ended else
                               {"kind": "died", "how": how or f"exited with status {status} before it finished"})

    def kill(self) -> None:
        """Stop the process (nothing it could still send is wanted)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _reap(pid: int) -> int:
    """Wait for the process to end; its exit status (negative: killed by that signal)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return os.waitstatus_to_exitcode(status)


class CompileProcesses:
    """The compile processes running now (see ``room``) and the messages the main thread has not taken."""

    def __init__(self, limit: int, timeout: float, on_message: "Callable[[], None]") -> None:
        self.limit = limit
        self.timeout = timeout
        self.on_message = on_message
        self.running: dict[int, CompileProcess] = {}
        self.messages: deque[dict[str, Any]] = deque()
        self.changed = threading.Condition()

    def room(self) -> bool:
        """Whether another process may start now: fewer than ``limit`` are building or compiling quick code
        (those optimising at low priority, or done, hold no slot), and fewer than ``BACKLOG`` times that run
        at all (each holds the pages it copied)."""
        building = sum(1 for process in self.running.values() if process.building)
        return building < self.limit and len(self.running) < self.limit * BACKLOG

    def fork(self, number: int, child: "Callable[[int], NoReturn]") -> CompileProcess:
        """Fork compile process ``number``, which runs ``child(fd)`` (it writes its messages to ``fd`` and
        never returns); returns it, its reader started. Raises ``OSError`` when the system cannot fork."""
        read_end, write_end = os.pipe()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns that forking with threads running may deadlock the child: a lock another
                # thread holds stays held there. The child runs only this thread's code, and the other threads
                # here (readers like the one below) hold no lock that code takes.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:                # the compile process
            try:
                os.close(read_end)
                child(write_end)
            finally:
                os._exit(70)        # never back into the VM's code: child() exits itself
        os.close(write_end)
        process = CompileProcess(number, pid, read_end, self)
        with self.changed:
            self.running[process.number] = process
        process.reader.start()      # after it is in ``running``: its end removes it from there
        return process

    def hand_over(self) -> None:
        """At a safepoint (main thread): while a process's pipe holds a message its reader has not taken, let go
        of the GIL so that the reader takes it (see the module docstring)."""
        deadline = time.perf_counter() + HANDOVER_WAIT
        with self.changed:
            while True:
                streams = [process.stream for process in self.running.values() if not process.stream.closed]
                try:
                    ready = select.select(streams, [], [], 0)[0] if streams else []
                except (OSError, ValueError):       # a reader closed its stream meanwhile
                    ready = streams
                left = deadline - time.perf_counter()
                if not ready or left <= 0:
                    break
                self.changed.wait(left)

    def deliver(self, process: CompileProcess, message: dict[str, Any]) -> None:
        """A message arrived (reader thread): keep it and wake the main thread."""
        message["process"] = process.number
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()
        self.on_message()

    def done(self, process: CompileProcess) -> None:
        """A process has ended and been reaped (reader thread)."""
        with self.changed:
            self.running.pop(process.number, None)
            self.changed.notify_all()

    def take(self) -> list[dict[str, Any]]:
        """Every message not taken yet, in arrival order (main thread)."""
        with self.changed:
            taken = list(self.messages)
            self.messages.clear()
        return taken

    def wait_until_done(self, process: CompileProcess) -> None:
        """Block until ``process`` has ended and everything it sent is here (the determinism mode)."""
        with self.changed:
            while process.number in self.running:
                self.changed.wait(0.5)

    def close(self) -> None:
        """Kill every process still running and wait for their readers (at exit: no orphan)."""
        running = list(self.running.values())
        for process in running:
            process.kill()
        for process in running:
            process.reader.join(timeout=5)
