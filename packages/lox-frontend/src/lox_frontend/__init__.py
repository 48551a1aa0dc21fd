"""The shared Lox front end: source text in, resolved syntax tree (or clox's compile errors) out."""

from . import nodes
from .astdump import dump
from .errors import CompileError, CompileErrors
from .parser import MAX_NESTING, parse

__all__ = ["parse", "CompileError", "CompileErrors", "MAX_NESTING", "nodes", "dump"]
