"""Compile worker processes as the VM sees them: start, send, collect results, notice death and hangs.

Each worker (``worker.py``) has two threads here: a writer, so that sending
a 300 KB module never blocks the main thread while the worker is busy with
the previous one, and a reader, which waits for results (blocking reads
release the GIL), hands them to the pool and sets the heap's safepoint word:
the main thread installs them at its next safepoint (a call or back-edge
check), as V8 installs background results at an interrupt check. A reader
that finds a job older than the timeout kills its worker; a dead worker's
jobs come back as failures, and the VM compiles them itself.
"""

from __future__ import annotations

import queue
import select
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any

from .frames import read_frame, write_frame

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class CompileWorker:
    """One worker process, its writer and reader threads, and the jobs sent to it and not yet answered."""

    def __init__(self, number: int, pool: "WorkerPool", command: list[str]) -> None:
        self.number = number
        self.pool = pool
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, bufsize=0, close_fds=True)
        self.pid = self.process.pid
        self.pending: dict[int, float] = {}      # job -> when it was sent (perf_counter)
        self.alive = True
        self.ready = False                       # set when the worker says LLVM is loaded
        self.outbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.writer = threading.Thread(target=self._write, name=f"compile-worker-{number}-writer", daemon=True)
        self.reader = threading.Thread(target=self._read, name=f"compile-worker-{number}-reader", daemon=True)
        self.writer.start()
        self.reader.start()

    def send(self, message: dict[str, Any]) -> None:
        """Queue a request for the worker (never blocks)."""
        self.pending[message["job"]] = time.perf_counter()
        self.outbox.put(message)

    def _write(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (message := self.outbox.get()) is not None:
                write_frame(stdin, message)
        except OSError:         # the worker died: the reader reports it
            pass

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        timeout = self.pool.timeout
        how = "exited"
        while True:
            ready, _, _ = select.select([stdout], [], [], 0.25)
            if not ready:
                pending = list(self.pending.values())
                if pending and time.perf_counter() - min(pending) > timeout:
                    how = f"hung (a job took over {timeout:g} s): killed"
                    self.process.kill()
                continue
            message = read_frame(stdout)
            if message is None:
                break
            if message.get("ready"):
                self.ready = True
                with self.pool.ready:
                    self.pool.ready.notify_all()
                continue
            self.pending.pop(message["job"], None)
            self.pool.deliver(message, self)
        self.alive = False
        self.process.wait()
        if how == "exited":
            how = f"exited with status {self.process.returncode}"
        self.pool.died(self, how, list(self.pending))

    def close(self) -> None:
        """Stop the worker: end its writer, and kill it (nothing it could still send is wanted)."""
        self.outbox.put(None)
        if self.alive:
            self.process.kill()


class WorkerPool:
    """The workers (started lazily, never restarted), and the results the main thread has not taken."""

    def __init__(self, count: int, opt_level: int, timeout: float, crash_after: int, hang_after: int,
                 on_result: "Callable[[], None]") -> None:
        self.count = count
        self.timeout = timeout
        self.command = [sys.executable, "-m", "stage6_concurrency.worker", str(opt_level), str(crash_after),
                        str(hang_after)]
        self.on_result = on_result
        self.workers: list[CompileWorker] = []
        self.results: deque[dict[str, Any]] = deque()
        self.deaths: list[str] = []         # one line per worker that died, for the main thread to trace
        self.ready = threading.Condition()

    def start(self) -> None:
        """Start the workers not started yet (each loads LLVM on its own core meanwhile)."""
        while len(self.workers) < self.count:
            try:
                self.workers.append(CompileWorker(len(self.workers) + 1, self, self.command))
            except OSError as problem:
                self.count = len(self.workers)
                self.deaths.append(f"compile worker could not start ({problem})")

    def alive(self) -> bool:
        """Whether any worker is alive (started or still starting)."""
        return any(worker.alive for worker in self.workers)

    def has_ready(self) -> bool:
        """Whether some live worker has loaded LLVM."""
        return any(worker.alive and worker.ready for worker in self.workers)

    def submit(self, message: dict[str, Any]) -> CompileWorker | None:
        """Send a request to the least busy ready worker; None when no worker is ready (still loading
        LLVM, or all dead: ``alive`` tells which)."""
        ready = [w for w in self.workers if w.alive and w.ready]
        if not ready:
            return None
        worker = min(ready, key=lambda w: len(w.pending))
        worker.send(message)
        return worker

    def wait_ready(self) -> None:
        """Start the workers if need be and block until one is ready or none is alive (the deterministic
        mode)."""
        self.start()
        with self.ready:
            while self.alive() and not self.has_ready():
                self.ready.wait(0.5)

    def deliver(self, message: dict[str, Any], worker: CompileWorker) -> None:
        """A result arrived (reader thread): keep it and wake the main thread."""
        message["worker"] = worker.number
        with self.ready:
            self.results.append(message)
            self.ready.notify_all()
        self.on_result()

    def died(self, worker: CompileWorker, how: str, jobs: list[int]) -> None:
        """A worker is gone (reader thread): its unanswered jobs come back as failures."""
        with self.ready:
            self.deaths.append(f"compile worker {worker.number} (pid {worker.pid}) {how}")
            for job in jobs:
                self.results.append({"job": job, "image": None, "error": None, "worker": worker.number})
            self.ready.notify_all()
        self.on_result()

    def take(self) -> list[dict[str, Any]]:
        """Every result not yet taken (main thread)."""
        with self.ready:
            taken = list(self.results)
            self.results.clear()
        return taken

    def wait_for(self, job: int) -> dict[str, Any]:
        """Block until job ``job``'s result is in, and take it (the determinism mode)."""
        with self.ready:
            while True:
                for message in self.results:
                    if message["job"] == job:
                        self.results.remove(message)
                        return message
                self.ready.wait(0.5)

    def close(self) -> None:
        """Stop every worker."""
        for worker in self.workers:
            worker.close()
