"""Running one child process and measuring its wall time, exit status and its own peak memory.

Why there is a small spawner process in between: on Linux a child's
``ru_maxrss`` is never below the resident size of the process that started
it, because ``exec`` folds the pre-exec address space's high-water mark (for
a ``fork``/``vfork`` child, the parent's) into the child's figure. The
runner itself holds about 20 MB, more than a whole CPython twin needs, so
``wait4`` straight on its own children would report the runner's size for
every small program. Instead the runner starts a minimal interpreter
(``python -S -I``, about 8 MB: less than any Python-based program it will
measure) that spawns the benchmark, waits for it with ``os.wait4`` and
writes back the benchmark's wall time, exit status and ``ru_maxrss``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The spawner: argv is REPORT_PATH CMD ARGS...; it writes "wall exit_code maxrss_kb" to REPORT_PATH.
SPAWNER_SOURCE = """\
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
try:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
except OSError as exc:
    sys.stderr.write("lox-bench: cannot start %s: %s\\n" % (argv[0], exc))
    sys.exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as f:
    f.write("%r %d %d\\n" % (wall, os.waitstatus_to_exitcode(status), usage.ru_maxrss))
"""


@dataclass(frozen=True)
class ProcessOutcome:
    """What one run of a child process produced (``peak_kb`` is its own peak resident memory)."""

    wall_seconds: float
    exit_code: int
    stdout: str
    stderr: str
    peak_kb: int
    timed_out: bool


def _read_report(path: str) -> tuple[float, int, int] | None:
    """The spawner's ``wall exit_code maxrss`` report, or None if it wrote none."""
    try:
        with open(path, encoding="ascii") as f:
            wall, code, rss = f.read().split()
        return float(wall), int(code), int(rss)
    except (OSError, ValueError):
        return None


#: Variables that make a Python program slower than it runs for a user, left out of every
#: benchmark's environment: no cached bytecode means recompiling every module at start-up,
#: and unbuffered output means one system call per printed line.
UNREPRESENTATIVE_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")


def benchmark_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a benchmark runs in: ``env`` (default: this one) without ``UNREPRESENTATIVE_VARIABLES``."""
    chosen = dict(os.environ if env is None else env)
    for name in UNREPRESENTATIVE_VARIABLES:
        chosen.pop(name, None)
    return chosen


def run_process(
    argv: Sequence[str],
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    python: str = sys.executable,
) -> ProcessOutcome:
    """Run ``argv`` to completion through the spawner; measure its wall time and own peak memory.

    Output goes to temporary files (no pipe can fill up and stall the child).
    The spawner and the benchmark share a new process group, so a timeout
    kills both; the spawner is waited for with ``waitid(WNOWAIT)`` first,
    so the kill can never hit a recycled process id.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="lox-bench-") as scratch,
    ):
        report_path = os.path.join(scratch, "report")
        start = time.perf_counter()
        proc = subprocess.Popen(
            [python, "-S", "-I", "-c", SPAWNER_SOURCE, report_path, *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=benchmark_environment(env),
            cwd=cwd,
            start_new_session=True,
        )
        lock = threading.Lock()
        finished = False
        timed_out = False

        def kill_on_timeout() -> None:
            nonlocal timed_out
            with lock:
                if not finished:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill_on_timeout) if timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            elapsed = time.perf_counter() - start
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            with lock:
                finished = True
            if timer is not None:
                timer.cancel()
        if timed_out:
            # the spawner is gone: make sure its child is too
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        reported = None if timed_out else _read_report(report_path)
        if reported is not None:
            wall, exit_code, peak_kb = reported
        else:
            wall, exit_code, peak_kb = elapsed, proc.returncode, int(usage.ru_maxrss)
        out.seek(0)
        err.seek(0)
        return ProcessOutcome(
            wall_seconds=wall,
            exit_code=exit_code,
            stdout=out.read().decode("utf-8", errors="replace"),
            stderr=err.read().decode("utf-8", errors="replace"),
            peak_kb=peak_kb,  # kilobytes on Linux
            timed_out=timed_out,
        )
