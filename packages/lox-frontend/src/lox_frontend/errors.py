"""Compile errors, formatted exactly as clox prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompileError:
    """One compile error: ``where`` is ``" at 'x'"``, ``" at end"`` or ``""`` (scanner errors).

    ``str()`` gives clox's line, e.g. ``[line 3] Error at 'x': Expect ';' after value.``
    The text may contain any latin-1 character (from a string token), so write
    it out encoded as latin-1 to reproduce clox's bytes.
    """

    line: int
    where: str
    message: str

    def __str__(self) -> str:
        """The error as clox prints it (without the newline)."""
        return f"[line {self.line}] Error{self.where}: {self.message}"


class CompileErrors(Exception):
    """Raised by ``parse`` when the source has compile errors: ``errors`` lists all of them in order."""

    def __init__(self, errors: list[CompileError]) -> None:
        """Keep ``errors``; the exception's message is their clox text, one a line."""
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
