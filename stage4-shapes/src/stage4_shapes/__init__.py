"""Stage 4 of the Lox VM: the whole language, with hidden classes (shapes), a transition tree, and shape-keyed inline caches."""

from .cli import Cli
from .settings import Settings
from .vm import ShapesVM

__all__ = ["Cli", "Settings", "ShapesVM"]
