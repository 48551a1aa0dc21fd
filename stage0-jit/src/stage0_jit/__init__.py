"""Stage 0 of the Lox VM: class-free Lox compiled ahead of running by LLVM (ORC LLJIT)."""

from .cli import Cli
from .settings import Settings
from .vm import VM, Options

__all__ = ["Cli", "Settings", "VM", "Options"]
