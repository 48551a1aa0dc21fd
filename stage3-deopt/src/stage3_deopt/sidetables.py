"""Deopt side tables: for every point where compiled code may leave for the interpreter, where each value lives.

The compiler writes one :class:`DeoptPoint` per guard (and one
:class:`FrameMap` per OSR entry). Each says, for the interpreter activation
to rebuild there, which bytecode to resume at and, for every slot and
operand-stack entry the interpreter can still read, where its value is:

======== =====================================================================
how      the value
======== =====================================================================
boxed    word N of the deopt buffer holds the Lox value
double   word N holds an unboxed double (the analysis proved a number): it is
         re-boxed on the way back (with NaN-boxing a number's box is its own
         bits, so re-boxing is a check, not a conversion)
cell     word N holds the address of a captured variable's cell
constant not stored at all: the value was a constant when the code was compiled
======== =====================================================================

A slot that is not listed is dead there (never read before it is written
again) and comes back as ``nil``. Word 0 of the buffer is always the running
closure. This is plain data: ``--dump=deopt`` prints it, the runtime
(``deopt.py``) reads it, and stage 5's collector will read the same
description to find heap references in compiled frames.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stage0_jit import values
from stage0_jit.heap import NativeRegion
from stage0_jit.layout import WORD

if TYPE_CHECKING:
    from stage1_interp.functions import FunctionRecord


class How(enum.Enum):
    """Where one value lives at a deopt point (see the module docstring)."""

    BOXED = "boxed"
    DOUBLE = "double"
    CELL = "cell"
    CONSTANT = "constant"


@dataclass(frozen=True)
class ValueLocation:
    """One interpreter-visible value: which slot or stack entry, how it is kept, and the buffer word or constant."""

    place: str          # "slot" or "stack"
    index: int
    how: How
    word: int           # buffer word (boxed, double, cell) or the constant itself

    def describe(self) -> str:
        """``slot 2 = buffer[3] (double)`` style."""
        where = f"{self.place} {self.index}"
        if self.how is How.CONSTANT:
            return f"{where} = constant {_show_word(self.word)}"
        return f"{where} = buffer[{self.word}] ({self.how.value})"


def _show_word(word: int) -> str:
    if values.is_number(word):
        return values.format_number(values.as_number(word))
    return {values.NIL: "nil", values.TRUE: "true", values.FALSE: "false"}.get(word, f"object {word:#x}")


@dataclass(frozen=True)
class FrameMap:
    """The interpreter activation at one bytecode offset: its size and where each live value is."""

    function: str
    record_index: int
    offset: int
    line: int
    slot_count: int
    stack_depth: int
    locations: tuple[ValueLocation, ...]

    @property
    def stored(self) -> int:
        """Buffer words used (the closure plus every value that is not a constant)."""
        return 1 + sum(1 for v in self.locations if v.how is not How.CONSTANT)

    def rebuild(self, buffer: NativeRegion) -> tuple[int, list[int], list[int]]:
        """The closure, slots and operand stack, read back from ``buffer``."""
        words = buffer.words
        slots = [values.NIL] * self.slot_count
        stack = [values.NIL] * self.stack_depth
        for v in self.locations:
            if v.how is How.CONSTANT:
                word = v.word
            else:
                word = int(words[v.word])
                if v.how is How.DOUBLE:
                    # The analysis proved a double: re-boxing it is the identity; check the proof.
                    assert values.is_number(word), f"{self.function} bytecode {self.offset}: {v.describe()}"
            (slots if v.place == "slot" else stack)[v.index] = word
        return int(words[0]), slots, stack

    def describe(self) -> list[str]:
        """The map as ``--dump=deopt`` prints it."""
        shown = ", ".join(v.describe() for v in self.locations) or "nothing live"
        return [f"    resume {self.function} at bytecode {self.offset} (line {self.line}), "
                f"{self.slot_count} slots, stack depth {self.stack_depth}: {shown}"]


@dataclass
class CodeVersion:
    """One piece of installed compiled code: a function's normal entry or an OSR entry at a loop header."""

    record: "FunctionRecord"
    header: int | None            # None: the normal entry
    address: int = 0
    valid: bool = True
    deopts: int = 0

    @property
    def title(self) -> str:
        """``fib`` or ``<script> OSR at bytecode 12``."""
        return self.record.name if self.header is None else f"{self.record.name} OSR at bytecode {self.header}"


@dataclass
class DeoptPoint:
    """One guard's exit: why it leaves, what it trusted, and the activation to rebuild."""

    id: int
    reason: str                    # the guard: "both numbers", "call target", ...
    operation: str                 # the bytecode operation: ADD, CALL, ...
    frame: FrameMap
    trusted: tuple[tuple[Hashable, int], ...]
    code: CodeVersion
    inlined_into: str | None = None   # set for an inline copy's exits: LLVM inlines it into that function
    taken: int = 0

    def describe(self) -> list[str]:
        """The point as ``--dump=deopt`` prints it."""
        trusted = ", ".join(f"{_show_case(case)} x{count}" for case, count in self.trusted) or "no feedback"
        where = f" (inline copy, inlined into {self.inlined_into})" if self.inlined_into else ""
        return [f"  deopt #{self.id}: {self.frame.function} line {self.frame.line} bytecode {self.frame.offset} "
                f"{self.operation}{where}: guard '{self.reason}', trusts {trusted}", *self.frame.describe()]


def _show_case(case: Hashable) -> str:
    name = getattr(case, "name", None)
    if name is not None:
        return f"<fn {name}>"
    if isinstance(case, tuple):
        return "(" + ", ".join(str(c) for c in case) + ")"
    return str(case)


def show_case(case: Hashable) -> str:
    """A feedback case as traces print it."""
    return _show_case(case)


@dataclass
class SideTables:
    """Every deopt point and OSR entry map the compiler has written, by id."""

    points: list[DeoptPoint] = field(default_factory=list)
    osr_maps: list[tuple[CodeVersion, FrameMap]] = field(default_factory=list)

    def add(self, reason: str, operation: str, frame: FrameMap, trusted: tuple[tuple[Hashable, int], ...],
            code: CodeVersion, inlined_into: str | None) -> DeoptPoint:
        """Register a deopt point; its id is what the compiled exit passes to the runtime."""
        point = DeoptPoint(len(self.points), reason, operation, frame, trusted, code, inlined_into)
        self.points.append(point)
        return point

    def dump(self, code: CodeVersion) -> str:
        """``--dump=deopt`` text for one compiled entry."""
        lines = [f"=== deopt: {code.title} ==="]
        for version, entry in self.osr_maps:
            if version is code:
                lines.append("  OSR entry: loads from the OSR buffer:")
                lines.extend(entry.describe())
        points = [p for p in self.points if p.code is code]
        lines.extend(line for p in points for line in p.describe())
        if not points:
            lines.append("  no deopt points (nothing speculated)")
        return "\n".join(lines) + "\n"


class DeoptBuffer(NativeRegion):
    """The native words a deopt exit (or an OSR entry) passes an activation's values through.

    One buffer serves every exit: the runtime copies the values out before
    anything else can run, so exits never overlap.
    """

    def __init__(self, capacity_words: int = 1 << 16) -> None:
        super().__init__(capacity_words * WORD)
        self.capacity = capacity_words
