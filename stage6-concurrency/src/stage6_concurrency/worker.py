"""The compile worker process: IR text in, object image out (``python -m stage6_concurrency.worker``).

It runs stage 0's ``ObjectCompiler`` (parse, verify, optimise, emit) and
nothing else: no heap, no interpreter, no JIT of its own. The IR names the
main process's heap addresses, which here are just numbers, so the image it
returns is linked by the main process as if it had compiled it itself
(``link_image``). Separate processes do not share llvmlite's process-wide
lock, so this is real parallelism: the main thread keeps interpreting while
LLVM runs here.

Requests and results are length-prefixed pickles on stdin and stdout
(``frames.py``). The worker dies with its parent (``PR_SET_PDEATHSIG``) and
when its stdin closes, and ignores Ctrl-C: the parent decides when to stop.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from stage0_jit.engine import ObjectCompiler
from stage0_jit.errors import InternalCompilerError
from stage0_jit.stats import Stats

from .frames import read_frame, write_frame

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no orphan after a crash or a kill -9 of the
    VM); elsewhere the closed stdin ends it instead."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def serve(opt_level: int, crash_after: int, hang_after: int) -> None:
    """Answer compile requests until stdin closes. ``crash_after``/``hang_after`` (test hooks, 0: never)
    make the worker exit or hang on that request, as a crashed or stuck LLVM would."""
    compiler = ObjectCompiler(Stats(), opt_level=opt_level)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    write_frame(stdout, {"job": 0, "ready": True})     # LLVM is loaded: send work
    served = 0
    while True:
        request = read_frame(stdin)
        if request is None:
            return
        served += 1
        if served == crash_after:
            os._exit(3)
        if served == hang_after:
            time.sleep(1e6)
        started = time.perf_counter()
        try:
            image: bytes | None = compiler.object_image(request["text"], request["title"], request["optimise"],
                                                          request["level"])
            error = None
        except InternalCompilerError as problem:
            image, error = None, str(problem)
        write_frame(stdout, {"job": request["job"], "image": image, "error": error,
                             "started": started, "finished": time.perf_counter()})


def main() -> None:
    """Entry point: ``python -m stage6_concurrency.worker OPT_LEVEL CRASH_AFTER HANG_AFTER``."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    opt_level, crash_after, hang_after = (int(arg) for arg in sys.argv[1:4])
    serve(opt_level, crash_after, hang_after)


if __name__ == "__main__":
    main()
