"""Stage 1 of the Lox VM: a bytecode interpreter first, LLVM for hot functions."""

from .cli import Cli
from .settings import Settings
from .vm import TieredVM

__all__ = ["Cli", "Settings", "TieredVM"]
