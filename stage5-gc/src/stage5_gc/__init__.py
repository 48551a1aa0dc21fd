"""Stage 5 of the Lox VM: a managed heap, a generational collector at safepoints, root areas in compiled frames."""

import time

#: Read before any other module of ours is imported (``python -m`` imports this package first, then
#: runs ``__main__``): the zero of ``--trace=startup``, as (wall clock, CPU time so far).
STARTED = (time.perf_counter(), time.process_time())

from .cli import Cli  # noqa: E402 - after the clock reading on purpose
from .settings import Settings
from .vm import GCVM

__all__ = ["Cli", "GCVM", "Settings"]
