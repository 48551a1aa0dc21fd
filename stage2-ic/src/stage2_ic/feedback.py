"""Type feedback: one inline cache per (function, bytecode offset), filled by the interpreter.

Each cache remembers the *cases* it has seen: operand type pairs for
arithmetic, comparison and equality, the operand type of a negation, the
function called at a call site, the kind of value a global read produced.
Its state follows the classic ladder, and every step is recorded:

    uninitialised -> monomorphic (1 case) -> polymorphic (2..limit) -> megamorphic (more)

The code generator (``emitters.py``) reads the state when it compiles the
function: monomorphic and polymorphic sites get guarded fast paths,
uninitialised and megamorphic ones the generic operation.
"""

from __future__ import annotations

import enum

from stage0_jit import values
from stage0_jit.heap import Heap, NativeRegion
from stage0_jit.layout import CLOSURE, FUNCTION as _FUNCTION, WORD, Kind
from stage1_interp.bytecode import Op

from .records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Hashable

    from stage1_interp.functions import FunctionRecord

    from .vm import ICVM


_QNAN = values.QNAN
# Case lists that mean "numbers only" (binary, global read, unary sites): the recorder skips numbers there.
_NUMBERS_ONLY = ([("number", "number")], ["number"], [("number",)])


class ICState(enum.Enum):
    """An inline cache's state."""

    UNINITIALISED = "uninitialised"
    MONOMORPHIC = "monomorphic"
    POLYMORPHIC = "polymorphic"
    MEGAMORPHIC = "megamorphic"


_KIND_TAGS: dict[int, str] = {Kind.STRING: "string", Kind.CLOSURE: "function", Kind.NATIVE: "native"}


def type_tag(heap: Heap, v: int) -> str:
    """The feedback type of a value: number, string, nil, bool, function, native or object."""
    if (v & values.QNAN) != values.QNAN:
        return "number"
    if v == values.NIL:
        return "nil"
    if v == values.TRUE or v == values.FALSE:
        return "bool"
    if values.is_obj(v):
        return _KIND_TAGS.get(heap.kind(v & values.ADDRESS_MASK), "object")
    return "object"


class Case(FrozenRecord):
    """Base of the cases an inline cache holds (call targets here; stage 4 adds its shape cases): values, equal
    to a case of the same class with equal fields and hashed by them (a cache looks its cases up by value)."""

    __slots__ = ()

    #: The fields that name heap objects, for a collector (stage 5): ``OBJECTS`` hold an object's address or
    #: value, ``HEADERS`` an instance header word (whose shape is the object named).
    OBJECTS: tuple[str, ...] = ()
    HEADERS: tuple[str, ...] = ()


class CallTarget(Case):
    """A call-site case: the function prototype called (the cache keeps the closure, if always the same one)."""

    __slots__ = ("prototype", "name", "arity")
    OBJECTS = ("prototype",)

    prototype: int
    name: str
    arity: int

    def __init__(self, prototype: int, name: str, arity: int) -> None:
        self.prototype = prototype
        self.name = name
        self.arity = arity


class InlineCache:
    """The feedback of one site."""

    __slots__ = ("function", "offset", "line", "operation", "state", "cases", "closure", "closure_varies",
                 "miss_counter", "last_prototype", "last_value", "numbers_only", "counts", "last_index",
                 "target_index")

    function: str
    offset: int
    line: int
    operation: str
    state: ICState
    cases: list[Hashable]
    closure: int | None                  # call sites: the one closure always called, if any
    closure_varies: bool
    miss_counter: int                    # index in MissCounters once compiled code guards this site
    last_prototype: int                  # call sites: the function of the last closure noted
    last_value: int | None               # global reads: the value noted last
    numbers_only: bool                   # the only case is all numbers: lets the recorder return early
    counts: list[int]                    # how often each case was seen (parallel to cases)
    last_index: int                      # the case seen last (the recorder's early returns count it)
    target_index: int                    # call sites: the case of the function called last

    def __init__(self, function: str, offset: int, line: int, operation: str) -> None:
        self.function = function
        self.offset = offset
        self.line = line
        self.operation = operation
        self.state = ICState.UNINITIALISED
        self.cases = []
        self.closure = None
        self.closure_varies = False
        self.miss_counter = -1
        self.last_prototype = 0
        self.last_value = None
        self.numbers_only = False
        self.counts = []
        self.last_index = -1
        self.target_index = -1

    def observe(self, case: Hashable, limit: int) -> tuple[ICState, ICState] | None:
        """Add a case (or count one already held); returns (old, new) state when that changed the state."""
        if case in self.cases:
            self.last_index = self.cases.index(case)
            self.counts[self.last_index] += 1
            return None
        if self.state == ICState.MEGAMORPHIC:
            return None
        old = self.state
        if len(self.cases) >= limit:
            self.state = ICState.MEGAMORPHIC
            self.last_index = -1
        else:
            self.cases.append(case)
            self.counts.append(1)
            self.last_index = len(self.cases) - 1
            self.state = ICState.MONOMORPHIC if len(self.cases) == 1 else ICState.POLYMORPHIC
        self.numbers_only = self.cases in _NUMBERS_ONLY
        return (old, self.state) if self.state != old else None

    def count_target(self) -> None:
        """The function case seen last at a call site was called once more (the recorder's early return)."""
        if self.target_index >= 0:
            self.counts[self.target_index] += 1

    def seen_again(self) -> None:
        """The case seen last was seen once more (the recorder's early return)."""
        if self.last_index >= 0:
            self.counts[self.last_index] += 1

    @property
    def guarded(self) -> bool:
        """True when compiled code specialises this site (monomorphic or polymorphic)."""
        return self.state in (ICState.MONOMORPHIC, ICState.POLYMORPHIC)

    def describe(self) -> str:
        """``fib line 3 LESS`` style label."""
        return f"{self.function} line {self.line} {self.operation}"


class MissCounters(NativeRegion):
    """One native counter per guarded site: compiled code bumps it when a guard fails."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        super().__init__(capacity * WORD)
        self.capacity = capacity
        self.sites: list[InlineCache] = []

    def assign(self, cache: InlineCache) -> int | None:
        """The counter's address for a site (given on first use); None when the table is full."""
        if cache.miss_counter < 0:
            if len(self.sites) >= self.capacity:
                return None
            cache.miss_counter = len(self.sites)
            self.sites.append(cache)
        return self.base + cache.miss_counter * WORD

    def count(self, cache: InlineCache) -> int:
        """Guard misses recorded for a site."""
        return int(self.words[cache.miss_counter]) if cache.miss_counter >= 0 else 0


class FeedbackRecorder:
    """The interpreter's feedback hook (see stage 1's ``FeedbackHook``): fills the inline caches."""

    def __init__(self, vm: "ICVM") -> None:
        self.vm = vm
        self.heap = vm.runtime.heap
        self.limit = vm.settings.polymorphism_limit
        self.transitions: dict[tuple[str, str], int] = {}

    def cache(self, record: "FunctionRecord", offset: int) -> InlineCache:
        """The site's cache, made on first use."""
        cache: InlineCache | None = record.feedback.get(offset)
        if cache is None:
            chunk = record.code.chunk
            cache = InlineCache(record.name, offset, chunk.lines[offset], Op(chunk.ops[offset]).name)
            record.feedback[offset] = cache
        return cache

    def limit_for(self, cache: InlineCache) -> int:
        """How many cases ``cache`` may hold before it is megamorphic (stage 4 lets shape caches hold more)."""
        return self.limit

    def note(self, cache: InlineCache, case: Hashable) -> None:
        """Record a case; trace and count any state change."""
        change = cache.observe(case, self.limit_for(cache))
        if change is not None:
            old, new = change
            key = (old.value, new.value)
            self.transitions[key] = self.transitions.get(key, 0) + 1
            self.vm.trace("ic", f"{cache.describe()}: {old.value} -> {new.value}, saw {self.show(case)}")

    @staticmethod
    def show(case: Hashable) -> str:
        """A case as the trace prints it."""
        if isinstance(case, CallTarget):
            return f"<fn {case.name}>"
        if isinstance(case, tuple):
            return "(" + ", ".join(str(c) for c in case) + ")"
        return str(case)

    def binary(self, record: "FunctionRecord", offset: int, a: int, b: int) -> None:
        """Operand types of a binary operation (the common all-numbers case returns at once)."""
        cache = record.feedback.get(offset)
        if cache is not None and cache.numbers_only and (a & _QNAN) != _QNAN and (b & _QNAN) != _QNAN:
            cache.counts[0] += 1
            return
        self.note(self.cache(record, offset), (type_tag(self.heap, a), type_tag(self.heap, b)))

    def unary(self, record: "FunctionRecord", offset: int, a: int) -> None:
        """Operand type of a negation."""
        cache = record.feedback.get(offset)
        if cache is not None and cache.numbers_only and (a & _QNAN) != _QNAN:
            cache.counts[0] += 1
            return
        self.note(self.cache(record, offset), (type_tag(self.heap, a),))

    def call(self, record: "FunctionRecord", offset: int, callee: int) -> None:
        """The function a call site called (by prototype; a closure identity is kept while it never varies)."""
        cache = record.feedback.get(offset)
        if cache is not None and cache.closure == callee:
            cache.count_target()
            return                                   # the usual case: the same closure again
        if cache is None:
            cache = self.cache(record, offset)
        heap = self.heap
        if type_tag(heap, callee) == "function":
            prototype = heap.field(callee & values.ADDRESS_MASK, CLOSURE, "function")
            if cache.closure is None and not cache.closure_varies:
                cache.closure = heap.keep(callee)     # compiled code may call it directly, by address
            elif cache.closure != callee:
                cache.closure, cache.closure_varies = None, True
            if cache.last_prototype == prototype:
                cache.count_target()
                return                               # another closure of a function already seen
            cache.last_prototype = prototype
            target = self.vm.records[heap.field(prototype, _FUNCTION, "id")]
            self.note(cache, CallTarget(prototype, target.name, target.code.arity))
            cache.target_index = cache.last_index
        else:
            self.note(cache, type_tag(heap, callee))

    def global_read(self, record: "FunctionRecord", offset: int, value: int) -> None:
        """The type a global read produced (the same value as last time returns at once)."""
        cache = record.feedback.get(offset)
        if cache is not None and (cache.last_value == value or
                                  (cache.numbers_only and (value & _QNAN) != _QNAN)):
            cache.seen_again()
            return                                   # the same value, or another number after numbers only
        if cache is None:
            cache = self.cache(record, offset)
        cache.last_value = value
        self.note(cache, type_tag(self.heap, value))



