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
closure.

Each point also carries its :class:`Guard`: what it checks (a
:class:`GuardKind`, from the one table of guard kinds), where the checked
values are (:class:`Operand`: the left or right operand, the receiver, the
callee, a slot, a global) and the feedback cases it trusted. The explainer
(``--trace=deopt``), ``--dump=deopt`` and ``--stats`` format it.

This is plain data: ``--dump=deopt`` prints it, the runtime (``deopt.py``)
reads it, and stage 5's collector will read the same description to find
heap references in compiled frames.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from stage0_jit import values
from stage0_jit.heap import NativeRegion
from stage0_jit.layout import WORD
from stage2_ic.feedback import CallTarget

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


class Show(enum.Enum):
    """How the explainer shows what a failed guard found in the rebuilt frame (its ``saw:`` line)."""

    TYPES = "types"        # the operands' types, as the feedback's cases show them: ``(string, number)``
    TYPE = "type"          # the value's type: ``string``
    VALUE = "value"        # the value as the VM describes it (``DeoptVM.describe_value``): ``<fn f>``, a shape, a class
    NOTHING = "nothing"    # nothing to show: the operation had never run


class GuardKind(enum.Enum):
    """What a guard checks: the one table of guard kinds.

    Each row gives the guard's name as traces, dumps and ``--stats`` print it
    (``{where}``: the place of its operand), what passing it means, and how
    the explainer shows what a failed one found. The last rows are stage 4's
    object operations (stage 3 emits none of them), as stage 1's one opcode
    table holds the class opcodes.
    """

    #      name (as printed)    what passing it means    how the explainer shows what a failed one found
    NUMBERS = ("both numbers", "the operands of an arithmetic operator, a comparison or an equality are numbers",
               Show.TYPES)
    STRINGS = ("both strings", "the operands of + are strings", Show.TYPES)
    NUMBERS_OR_STRINGS = ("numbers or strings", "the operands of + are strings (two numbers were added before it)",
                          Show.TYPES)
    NEGATED_NUMBER = ("a number", "the operand of unary - is a number", Show.TYPES)
    GLOBAL_NUMBER = ("a number", "the global read holds a number", Show.TYPE)
    CALL_TARGET = ("call target", "the callee is a closure of one of the cached functions", Show.VALUE)
    OSR_ENTRY = ("OSR entry: {where} a number", "a value the OSR entry's region keeps as a double is a number on "
                                                "the way in", Show.TYPE)
    NO_FEEDBACK = ("no feedback yet", "never passes: the interpreter had not run the operation when the code was "
                                      "compiled (past an OSR entry's loop)", Show.NOTHING)
    # stage 4: classes and shapes
    CLASS = ("class", "the callee is one of the cached classes", Show.VALUE)
    SHAPE_GET = ("shape", "a property read's receiver has one of the cached shapes (a field, or a method to bind)",
                 Show.VALUE)
    SHAPE_BIND = ("shape", "a property read's receiver has one of the cached shapes, whose class has the method to "
                           "bind", Show.VALUE)
    SHAPE_SET = ("shape", "a property write's receiver has one of the cached shapes (a store, or a transition)",
                 Show.VALUE)
    SHAPE_INVOKE = ("shape", "a method call's receiver has one of the cached shapes", Show.VALUE)
    SUPERCLASS = ("superclass", "super.name's superclass is one of the cached ones", Show.VALUE)

    def __init__(self, label: str, checks: str, shown: Show) -> None:
        self.label = label
        self.checks = checks
        self.shown = shown


@dataclass(frozen=True)
class Operand:
    """Where a guarded value is when its guard fails.

    ``role`` is what the value is to the operation (``left``, ``right``,
    ``operand``, ``callee``, ``receiver``, ``superclass``, ``global``, ``loop
    value``); ``place`` and ``index`` find it: a ``slot`` or ``stack`` entry of
    the rebuilt frame, numbered as in the frame map, or a ``global`` (index: the
    instruction's global operand). An emitter names stack entries from the
    top (:meth:`top`); the deopt exit numbers them from the bottom.
    """

    role: str
    place: str
    index: int

    @staticmethod
    def top(role: str, depth: int) -> "Operand":
        """The stack entry ``depth`` from the top (1: the top) of the guarded instruction's operand stack."""
        return Operand(role, "stack", -depth)

    def in_frame(self, stack_depth: int) -> "Operand":
        """The operand with a stack entry numbered from the bottom, as in a frame of ``stack_depth`` entries."""
        return replace(self, index=stack_depth + self.index) if self.place == "stack" and self.index < 0 else self

    @property
    def where(self) -> str:
        """``slot 2``, ``stack 0`` or ``global 1``."""
        return f"{self.place} {self.index}"


#: How a feedback case is shown (the VM's stage knows its cases: ``DeoptVM.show_case``).
ShowCase = Callable[[Hashable], str]
#: How a value found in the rebuilt frame is shown.
ShowValue = Callable[[int], str]


@dataclass(frozen=True)
class Guard:
    """One guard: what it checks, where the checked values are, and the feedback cases it trusted (with the
    number of times the interpreter saw each). Deopt points carry it; traces, dumps and ``--stats`` format it."""

    kind: GuardKind
    operands: tuple[Operand, ...] = ()
    trusted: tuple[tuple[Hashable, int], ...] = ()

    @property
    def reason(self) -> str:
        """The guard's name: ``both numbers``, ``OSR entry: slot 2 a number``, ``shape``."""
        return self.kind.label.format(where=self.operands[0].where if self.operands else "")

    def describe_trusted(self, show: ShowCase, count: str) -> str:
        """The trusted cases, each with its count (``count``: ``x{}``, ``seen {} times``), or ``no feedback``."""
        return ", ".join(f"{show(case)} {count.format(n)}" for case, n in self.trusted) or "no feedback"

    def describe_found(self, found: list[int], type_of: ShowValue, describe: ShowValue) -> str:
        """What the guard found instead: ``found`` holds the values of its operands, in order."""
        shown = self.kind.shown
        if shown is Show.NOTHING:
            return "an operation the interpreter never ran before this code was compiled"
        if shown is Show.TYPES:
            return "(" + ", ".join(type_of(v) for v in found) + ")"
        return ", ".join((type_of if shown is Show.TYPE else describe)(v) for v in found)


@dataclass
class DeoptPoint:
    """One guard's exit: the guard (why it leaves, what it trusted), the operation, and the activation to rebuild."""

    id: int
    guard: Guard
    operation: str                 # the bytecode operation: ADD, CALL, ...
    frame: FrameMap
    code: CodeVersion
    inlined_into: str | None = None   # set for an inline copy's exits: LLVM inlines it into that function
    taken: int = 0

    @property
    def reason(self) -> str:
        """The guard's name (``both numbers``, ``call target``, ...)."""
        return self.guard.reason

    def describe(self, show: ShowCase | None = None) -> list[str]:
        """The point as ``--dump=deopt`` prints it (``show``: how its stage shows a case)."""
        trusted = self.guard.describe_trusted(show or show_case, "x{}")
        where = f" (inline copy, inlined into {self.inlined_into})" if self.inlined_into else ""
        return [f"  deopt #{self.id}: {self.frame.function} line {self.frame.line} bytecode {self.frame.offset} "
                f"{self.operation}{where}: guard '{self.reason}', trusts {trusted}", *self.frame.describe()]


def show_case(case: Hashable) -> str:
    """A feedback case of stages 2-3 as traces print it: a function called, operand types, a type. A later
    stage's case shows itself (``str``), or through its VM (``DeoptVM.show_case``)."""
    if isinstance(case, CallTarget):
        return f"<fn {case.name}>"
    if isinstance(case, tuple):
        return "(" + ", ".join(str(c) for c in case) + ")"
    return str(case)


@dataclass
class SideTables:
    """Every deopt point and OSR entry map the compiler has written, by id."""

    points: list[DeoptPoint] = field(default_factory=list)
    osr_maps: list[tuple[CodeVersion, FrameMap]] = field(default_factory=list)

    def add(self, guard: Guard, operation: str, frame: FrameMap, code: CodeVersion,
            inlined_into: str | None) -> DeoptPoint:
        """Register a deopt point; its id is what the compiled exit passes to the runtime."""
        point = DeoptPoint(len(self.points), guard, operation, frame, code, inlined_into)
        self.points.append(point)
        return point

    def dump(self, code: CodeVersion, show: ShowCase | None = None) -> str:
        """``--dump=deopt`` text for one compiled entry (``show``: how its stage shows a feedback case)."""
        lines = [f"=== deopt: {code.title} ==="]
        for version, entry in self.osr_maps:
            if version is code:
                lines.append("  OSR entry: loads from the OSR buffer:")
                lines.extend(entry.describe())
        points = [p for p in self.points if p.code is code]
        lines.extend(line for p in points for line in p.describe(show))
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
