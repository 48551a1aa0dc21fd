"""The shared Lox front end: source text in, resolved syntax tree (or clox's compile errors) out.

Every run imports this package, so it imports only what parsing needs: ``dump``
(for ``--dump=ast``) is ``from lox_frontend.astdump import dump``.
"""

from . import nodes
from .errors import CompileError, CompileErrors
from .parser import MAX_NESTING, parse

__all__ = ["parse", "CompileError", "CompileErrors", "MAX_NESTING", "nodes"]
