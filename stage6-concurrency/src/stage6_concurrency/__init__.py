"""Stage 6 of the Lox VM: stage 5 with hot functions compiled in forked processes, installed at safepoints."""

import time

#: Read before any other module of ours is imported (``python -m`` imports this package first, then
#: runs ``__main__``): the zero of ``--trace=startup``, as (wall clock, CPU time so far).
STARTED = (time.perf_counter(), time.process_time())

from .cli import Cli  # noqa: E402 - after the clock reading on purpose
from .settings import Settings
from .vm import ConcurrentVM

__all__ = ["Cli", "ConcurrentVM", "Settings"]
