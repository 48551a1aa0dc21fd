"""Stage 0 of the Lox VM: class-free Lox compiled ahead of running by LLVM (ORC LLJIT)."""

import time

#: Read before any other module of ours is imported (``python -m`` imports this package first, then
#: runs ``__main__``): the zero of ``--trace=startup``, as (wall clock, CPU time so far).
STARTED = (time.perf_counter(), time.process_time())

from .cli import Cli  # noqa: E402 - after the clock reading on purpose
from .settings import Settings
from .vm import VM, Options

__all__ = ["Cli", "Settings", "VM", "Options"]
