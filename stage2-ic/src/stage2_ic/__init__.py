"""Stage 2 of the Lox VM: type feedback and inline caches with guarded fast paths."""

from .cli import Cli
from .settings import Settings
from .vm import ICVM

__all__ = ["Cli", "Settings", "ICVM"]
