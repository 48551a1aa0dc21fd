"""Compile errors, formatted exactly as clox prints them."""

from __future__ import annotations

_set = object.__setattr__  # how CompileError.__init__ fills in its (immutable) fields


class CompileError:
    """One compile error: ``where`` is ``" at 'x'"``, ``" at end"`` or ``""`` (scanner errors).

    ``str()`` gives clox's line, e.g. ``[line 3] Error at 'x': Expect ';' after value.``
    The text may contain any latin-1 character (from a string token), so write
    it out encoded as latin-1 to reproduce clox's bytes.
    """

    __slots__ = ("line", "where", "message")
    line: int
    where: str
    message: str

    def __init__(self, line: int, where: str, message: str) -> None:
        """The error ``message`` reported on ``line`` at ``where``."""
        _set(self, "line", line)
        _set(self, "where", where)
        _set(self, "message", message)

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: the error is immutable."""
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        """Refuse: the error is immutable."""
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type, tuple[int, str, str]]:
        """Copy and pickle by calling the class with the fields (they can't be set one by one)."""
        return CompileError, (self.line, self.where, self.message)

    def __repr__(self) -> str:
        """``CompileError(line=..., where=..., message=...)``, as a dataclass prints it."""
        return f"CompileError(line={self.line!r}, where={self.where!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to an error with the same line, place and message."""
        if type(other) is not CompileError:
            return NotImplemented
        return (self.line, self.where, self.message) == (other.line, other.where, other.message)

    def __hash__(self) -> int:
        """Hashed by value, as a frozen dataclass is."""
        return hash((self.line, self.where, self.message))

    def __str__(self) -> str:
        """The error as clox prints it (without the newline)."""
        return f"[line {self.line}] Error{self.where}: {self.message}"


class CompileErrors(Exception):
    """Raised by ``parse`` when the source has compile errors: ``errors`` lists all of them in order."""

    def __init__(self, errors: list[CompileError]) -> None:
        """Keep ``errors``; the exception's message is their clox text, one a line."""
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
