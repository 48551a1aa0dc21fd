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

from stage0_jit import values
from stage0_jit.heap import NativeRegion
from stage0_jit.layout import WORD
from stage2_ic.feedback import CallTarget
from stage2_ic.guards import GuardKind, Operand, Show
from stage2_ic.records import FrozenRecord, Record

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from stage1_interp.functions import FunctionRecord


class Stored(enum.Enum):
    """Where one value lives at a deopt point (see the module docstring)."""

    BOXED = "boxed"
    DOUBLE = "double"
    CELL = "cell"
    CONSTANT = "constant"


class ValueLocation(FrozenRecord):
    """One interpreter-visible value: which slot or stack entry, how it is kept, and the buffer word or constant."""

    __slots__ = ("place", "index", "how", "word")

    place: str          # "slot" or "stack"
    index: int
    how: Stored
    word: int           # buffer word (boxed, double, cell) or the constant itself

    def __init__(self, place: str, index: int, how: Stored, word: int) -> None:
        self.place = place
        self.index = index
        self.how = how
        self.word = word

    def with_how(self, how: Stored) -> "ValueLocation":
        """The same value, kept as ``how``."""
        return ValueLocation(self.place, self.index, how, self.word)

    def describe(self) -> str:
        """``slot 2 = buffer[3] (double)`` style."""
        where = f"{self.place} {self.index}"
        if self.how is Stored.CONSTANT:
            return f"{where} = constant {_show_word(self.word)}"
        return f"{where} = buffer[{self.word}] ({self.how.value})"


def _show_word(word: int) -> str:
    if values.is_number(word):
        return values.format_number(values.as_number(word))
    return {values.NIL: "nil", values.TRUE: "true", values.FALSE: "false"}.get(word, f"object {word:#x}")


class FrameMap(FrozenRecord):
    """The interpreter activation at one bytecode offset: its size and where each live value is."""

    __slots__ = ("function", "record_index", "offset", "line", "slot_count", "stack_depth", "locations")

    function: str
    record_index: int
    offset: int
    line: int
    slot_count: int
    stack_depth: int
    locations: tuple[ValueLocation, ...]

    def __init__(self, function: str, record_index: int, offset: int, line: int, slot_count: int,
                 stack_depth: int, locations: tuple[ValueLocation, ...]) -> None:
        self.function = function
        self.record_index = record_index
        self.offset = offset
        self.line = line
        self.slot_count = slot_count
        self.stack_depth = stack_depth
        self.locations = locations

    def with_locations(self, locations: tuple[ValueLocation, ...]) -> "FrameMap":
        """The same activation with ``locations`` in place of its own."""
        return FrameMap(self.function, self.record_index, self.offset, self.line, self.slot_count,
                        self.stack_depth, locations)

    @property
    def stored(self) -> int:
        """Buffer words used (the closure plus every value that is not a constant)."""
        return 1 + sum(1 for v in self.locations if v.how is not Stored.CONSTANT)

    def rebuild(self, buffer: NativeRegion) -> tuple[int, list[int], list[int]]:
        """The closure, slots and operand stack, read back from ``buffer``."""
        words = buffer.words
        slots = [values.NIL] * self.slot_count
        stack = [values.NIL] * self.stack_depth
        for v in self.locations:
            if v.how is Stored.CONSTANT:
                word = v.word
            else:
                word = int(words[v.word])
                if v.how is Stored.DOUBLE:
                    # The analysis proved a double: re-boxing it is the identity; check the proof.
                    assert values.is_number(word), f"{self.function} bytecode {self.offset}: {v.describe()}"
            (slots if v.place == "slot" else stack)[v.index] = word
        return int(words[0]), slots, stack

    def describe(self) -> list[str]:
        """The map as ``--dump=deopt`` prints it."""
        shown = ", ".join(v.describe() for v in self.locations) or "nothing live"
        return [f"    resume {self.function} at bytecode {self.offset} (line {self.line}), "
                f"{self.slot_count} slots, stack depth {self.stack_depth}: {shown}"]


class CodeVersion(Record):
    """One piece of installed compiled code: a function's normal entry or an OSR entry at a loop header."""

    __slots__ = ("record", "header", "address", "valid", "deopts")

    record: "FunctionRecord"
    header: int | None            # None: the normal entry
    address: int
    valid: bool
    deopts: int

    def __init__(self, record: "FunctionRecord", header: int | None, address: int = 0, valid: bool = True,
                 deopts: int = 0) -> None:
        self.record = record
        self.header = header
        self.address = address
        self.valid = valid
        self.deopts = deopts

    @property
    def title(self) -> str:
        """``fib`` or ``<script> OSR at bytecode 12``."""
        return self.record.name if self.header is None else f"{self.record.name} OSR at bytecode {self.header}"


#: How a feedback case is shown (the VM's stage knows its cases: ``DeoptVM.show_case``).
ShowCase = Callable[[Hashable], str]
#: How a value found in the rebuilt frame is shown.
ShowValue = Callable[[int], str]


class Guard(FrozenRecord):
    """One guard: what it checks, where the checked values are, and the feedback cases it trusted (with the
    number of times the interpreter saw each). Deopt points carry it; traces, dumps and ``--stats`` format it."""

    __slots__ = ("kind", "operands", "trusted")

    kind: GuardKind
    operands: tuple[Operand, ...]
    trusted: tuple[tuple[Hashable, int], ...]

    def __init__(self, kind: GuardKind, operands: tuple[Operand, ...] = (),
                 trusted: tuple[tuple[Hashable, int], ...] = ()) -> None:
        self.kind = kind
        self.operands = operands
        self.trusted = trusted

    def with_operands(self, operands: tuple[Operand, ...], trusted: tuple[tuple[Hashable, int], ...]) -> "Guard":
        """The same check with ``operands`` and ``trusted`` in place of its own."""
        return Guard(self.kind, operands, trusted)

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


class DeoptPoint(Record):
    """One guard's exit: the guard (why it leaves, what it trusted), the operation, and the activation to rebuild."""

    __slots__ = ("id", "guard", "operation", "frame", "code", "inlined_into", "taken")

    id: int
    guard: Guard
    operation: str                 # the bytecode operation: ADD, CALL, ...
    frame: FrameMap
    code: CodeVersion
    inlined_into: str | None       # set for an inline copy's exits: LLVM inlines it into that function
    taken: int

    def __init__(self, id: int, guard: Guard, operation: str, frame: FrameMap, code: CodeVersion,
                 inlined_into: str | None = None, taken: int = 0) -> None:
        self.id = id
        self.guard = guard
        self.operation = operation
        self.frame = frame
        self.code = code
        self.inlined_into = inlined_into
        self.taken = taken

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


class SideTables(Record):
    """Every deopt point and OSR entry map the compiler has written, by id.

    Ids are handed out in order; ``reserve`` sets a block aside for a compile
    that runs elsewhere (stage 6 compiles in a forked process, which numbers
    its points inside the block and hands them back with the code: ``merge``).
    """

    __slots__ = ("points", "osr_maps", "next_id")

    points: dict[int, DeoptPoint]
    osr_maps: list[tuple[CodeVersion, FrameMap]]
    next_id: int

    def __init__(self, points: dict[int, DeoptPoint] | None = None,
                 osr_maps: list[tuple[CodeVersion, FrameMap]] | None = None, next_id: int = 0) -> None:
        self.points = {} if points is None else points
        self.osr_maps = [] if osr_maps is None else osr_maps
        self.next_id = next_id

    def add(self, guard: Guard, operation: str, frame: FrameMap, code: CodeVersion,
            inlined_into: str | None) -> DeoptPoint:
        """Register a deopt point; its id is what the compiled exit passes to the runtime."""
        point = DeoptPoint(self.next_id, guard, operation, frame, code, inlined_into)
        self.points[point.id] = point
        self.next_id += 1
        return point

    def reserve(self, count: int) -> int:
        """Set ``count`` ids aside (numbered elsewhere); returns the first."""
        first = self.next_id
        self.next_id += count
        return first

    def merge(self, points: list[DeoptPoint]) -> None:
        """Register points numbered elsewhere, in a block ``reserve`` set aside."""
        for point in points:
            self.points[point.id] = point

    def dump(self, code: CodeVersion, show: ShowCase | None = None) -> str:
        """``--dump=deopt`` text for one compiled entry (``show``: how its stage shows a feedback case)."""
        lines = [f"=== deopt: {code.title} ==="]
        for version, entry in self.osr_maps:
            if version is code:
                lines.append("  OSR entry: loads from the OSR buffer:")
                lines.extend(entry.describe())
        points = [p for p in self.points.values() if p.code is code]
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
