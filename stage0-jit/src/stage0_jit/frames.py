"""The call-frame stack every tier pushes to: which closure is running and on which line.

One native array of records ``[closure value, line, roots]`` plus a depth word. A
compiled function pushes its record in its prologue and stores the current
line into it before every call, so a runtime error anywhere can print the
whole Lox stack trace, whichever tier each frame runs in. The depth word is
also the recursion limit's counter (``Stack overflow.``). The third word is
0 here; stage 5's compiled frames put the address of their root area there
(the references they keep live across a call), so a collector finds every
compiled frame's references by walking this one stack.
"""

from __future__ import annotations

from .heap import NativeRegion
from .layout import WORD

RECORD_WORDS = 3      # closure value, line, roots (stage 5's compiled frames; 0 otherwise)
ROOTS = 2             # word of a record holding its root area's address
HEADER_WORDS = 2      # depth, capacity


class FrameStack(NativeRegion):
    """The native frame-record stack (see the module docstring)."""

    def __init__(self, capacity: int) -> None:
        super().__init__((HEADER_WORDS + RECORD_WORDS * (capacity + 1)) * WORD)
        self.capacity = capacity
        self.words[1] = capacity
        self.depth_address = self.base
        self.records_address = self.base + HEADER_WORDS * WORD

    @property
    def depth(self) -> int:
        """Frames on the stack."""
        return int(self.words[0])

    @depth.setter
    def depth(self, value: int) -> None:
        self.words[0] = value

    def push(self, closure: int, line: int = 0) -> int:
        """Push a record; returns its index. The caller checks ``depth`` against ``capacity``."""
        d = int(self.words[0])
        self.words[HEADER_WORDS + RECORD_WORDS * d] = closure
        self.words[HEADER_WORDS + RECORD_WORDS * d + 1] = line
        self.words[HEADER_WORDS + RECORD_WORDS * d + ROOTS] = 0
        self.words[0] = d + 1
        return d

    def set_line(self, index: int, line: int) -> None:
        """Record that frame ``index`` is at ``line``."""
        self.words[HEADER_WORDS + RECORD_WORDS * index + 1] = line

    def record(self, index: int) -> tuple[int, int]:
        """(closure value, line) of frame ``index``."""
        base = HEADER_WORDS + RECORD_WORDS * index
        return int(self.words[base]), int(self.words[base + 1])
