"""Stage 3 of the Lox VM: deoptimisation with side tables, OSR into hot loops, and speculation that pays for itself."""

from .cli import Cli
from .settings import Settings
from .vm import DeoptVM

__all__ = ["Cli", "Settings", "DeoptVM"]
