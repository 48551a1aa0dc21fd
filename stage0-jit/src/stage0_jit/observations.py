"""Type observations: per function and parameter, how many numbers passed were integers.

Compiled code counts into a native table (no Python on the call path); the
``--stats`` report reads it. These are the observations later stages
specialise on; stage 0 only records them.
"""

from __future__ import annotations

from .heap import NativeRegion
from .layout import WORD

COUNTERS_PER_PARAMETER = 2   # integers seen, non-integer numbers seen


class ArgumentObservations(NativeRegion):
    """A bump-allocated table of counters, two per parameter of every compiled function."""

    def __init__(self, capacity_words: int = 1 << 24) -> None:
        super().__init__(capacity_words * WORD)
        self.used = 0
        self.tables: list[tuple[str, int, int]] = []   # (function name, arity, first word)

    def table_for(self, name: str, arity: int) -> int:
        """Reserve counters for a function's parameters; returns their native address (0 if none)."""
        words = COUNTERS_PER_PARAMETER * arity
        if arity == 0 or self.used + words > len(self.words):
            return 0
        first = self.used
        self.used += words
        self.tables.append((name, arity, first))
        return self.base + first * WORD

    def report(self) -> list[str]:
        """One line per parameter that saw numbers: integer and non-integer counts."""
        lines = []
        for name, arity, first in self.tables:
            for i in range(arity):
                ints = int(self.words[first + 2 * i])
                others = int(self.words[first + 2 * i + 1])
                if ints or others:
                    lines.append(f"  {name} arg {i}: {ints} integer, {others} non-integer numbers")
        return lines
