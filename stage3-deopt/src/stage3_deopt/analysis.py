"""What compiled code may assume about each value: one speculation plan per site, and a type analysis over bytecode.

Stage 2 guarded a site and fell back to the generic operation on a miss, so
after ``a + b`` nothing was known about the result: the generic path might
have concatenated strings. Stage 3 leaves compiled code on a miss (a
deoptimisation), so after a speculated ``a + b`` the result *is* a number,
and so are ``a`` and ``b`` if they came straight from local slots. This
module works those facts out before any IR is emitted:

- :meth:`Speculator.plan` decides, for one instruction and the types of its
  operands, how it is compiled (``KNOWN``: the operands are proven numbers,
  no test at all; ``GUARD``: test what the feedback promised and deoptimise
  on a miss; ``FALLBACK``: stage 2's guard with the generic path behind it;
  ``GENERIC``: stage 0's code; ``LEAVE``: a deopt exit, for a later stage's
  site that never ran past an OSR entry's loop) and what type its result has.
  A later stage plans its own opcodes through ``opcode_plans``.
- :func:`analyse` runs those plans forward over the bytecode until the types
  of every slot and stack entry reach a fixed point (joins at loop headers),
  so a loop counter that starts as ``0`` and is only ever incremented by a
  number-speculated ``+`` stays a number in the loop phi: LLVM sees doubles
  flowing round the loop with no tag tests.
- :func:`live_slots` says which slots may still be read: a deopt exit stores
  only those (the interpreter never reads the others before writing them).

The emitters (``emitters.py``) follow the very plans the analysis made (each
instruction's ``sites.SpeculativeSite`` carries its plan), and every compile
checks that they did (``SpeculativeCompiler.check_plans``), so the code and
the facts it relies on cannot disagree.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence

from stage0_jit import values
from stage1_interp.bytecode import Op, pops, pushes, reachable_from, stack_depths, successors
from stage2_ic.feedback import CallTarget, InlineCache
from stage2_ic.records import FrozenRecord, Record

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from stage1_interp.functions import FunctionRecord


class Known(enum.Enum):
    """What the analysis knows of a word (constants aside)."""

    ANY = "any"          # a Lox value or a cell's address: the slot holds different things on different paths
    VALUE = "value"      # some Lox value
    NUMBER = "number"    # a double (a number value is its own double bits)
    BOOL = "bool"        # true or false
    CELL = "cell"        # the address of a cell (the slot of a captured local)


# Const and State are never changed once made (by convention) and compare and hash by value, as frozen dataclasses
# do: the analysis's fixed point is reached when the states stop changing. They write their comparisons out
# instead of taking stage 2's ``records.FrozenRecord``: the fixed point compares states and joins types on every
# step, and a field-tuple comparison built by ``getattr`` costs several times more there.


class Const:
    """A word known at compile time (a constant, nil, true, false)."""

    __slots__ = ("word",)

    word: int

    def __init__(self, word: int) -> None:
        self.word = word

    def __eq__(self, other: object) -> bool:
        """Equal to a constant with the same word."""
        if other.__class__ is Const:
            assert isinstance(other, Const)
            return self.word == other.word
        return NotImplemented

    def __hash__(self) -> int:
        """The hash of the word (as a frozen dataclass's: of the tuple of its fields)."""
        return hash((self.word,))

    def __repr__(self) -> str:
        """``Const(word=...)``, as a dataclass prints."""
        return f"Const(word={self.word!r})"


#: What the analysis knows of a word (``X | Y`` of two classes is a ``types.UnionType``: no ``typing`` needed).
Type = Known | Const
#: A stack entry: its type, and the slot it was loaded from while that slot still holds it (-1: none).
Entry = tuple[Type, int]


class State:
    """Types of every slot and every operand-stack entry before one instruction."""

    __slots__ = ("slots", "stack")

    slots: tuple[Type, ...]
    stack: tuple[Entry, ...]

    def __init__(self, slots: tuple[Type, ...], stack: tuple[Entry, ...]) -> None:
        self.slots = slots
        self.stack = stack

    def __eq__(self, other: object) -> bool:
        """Equal to a state with equal slot and stack types."""
        if other.__class__ is State:
            assert isinstance(other, State)
            return self.slots == other.slots and self.stack == other.stack
        return NotImplemented

    def __hash__(self) -> int:
        """The hash of the fields."""
        return hash((self.slots, self.stack))

    def __repr__(self) -> str:
        """``State(slots=..., stack=...)``, as a dataclass prints."""
        return f"State(slots={self.slots!r}, stack={self.stack!r})"


def is_number(t: Type) -> bool:
    """Proven to be a double."""
    return t is Known.NUMBER or (isinstance(t, Const) and values.is_number(t.word))


def is_value(t: Type) -> bool:
    """Proven to be a Lox value (not a cell address)."""
    return t is not Known.ANY and t is not Known.CELL


def join(a: Type, b: Type) -> Type:
    """The least type covering both (the lattice: constants < number/bool < value < any; cell < any)."""
    if a == b:
        return a
    if is_number(a) and is_number(b):
        return Known.NUMBER
    if _is_bool(a) and _is_bool(b):
        return Known.BOOL
    if is_value(a) and is_value(b):
        return Known.VALUE
    return Known.ANY


def _is_bool(t: Type) -> bool:
    return t is Known.BOOL or t == Const(values.TRUE) or t == Const(values.FALSE)


def _join_entry(a: Entry, b: Entry) -> Entry:
    return (join(a[0], b[0]), a[1] if a[1] == b[1] else -1)


def join_states(a: State | None, b: State) -> State:
    """Merge the facts of two paths into one instruction."""
    if a is None:
        return b
    slots = a.slots if a.slots == b.slots else tuple(join(x, y) for x, y in zip(a.slots, b.slots))
    stack = a.stack if a.stack == b.stack else tuple(_join_entry(x, y) for x, y in zip(a.stack, b.stack))
    return State(slots, stack)


class How(enum.Enum):
    """How one operation is compiled."""

    KNOWN = "known"          # operands proven: no test at all
    GUARD = "guard"          # test what feedback promised; a miss deoptimises
    FALLBACK = "fallback"    # stage 2: test, and take the generic path on a miss
    GENERIC = "generic"      # stage 0: the operation that handles every type
    LEAVE = "leave"          # never run yet, past the loop an OSR entry starts at: leave for the interpreter


class Plan(FrozenRecord):
    """The decision for one site: how it is compiled, the case it bets on, its result's type, and
    whether the operands are numbers once it has run (then the slots they came from are too)."""

    __slots__ = ("how", "case", "result", "refines")

    how: How
    case: str
    result: Type
    refines: bool

    def __init__(self, how: How, case: str, result: Type, refines: bool = False) -> None:
        self.how = how
        self.case = case
        self.result = result
        self.refines = refines


NUMBERS = ("number", "number")
STRINGS = ("string", "string")
_ARITHMETIC = frozenset({Op.ADD, Op.SUBTRACT, Op.MULTIPLY, Op.DIVIDE})
_COMPARISON = frozenset({Op.LESS, Op.LESS_EQUAL, Op.GREATER, Op.GREATER_EQUAL})
_EQUALITY = frozenset({Op.EQUAL, Op.NOT_EQUAL})
#: Instructions that leave the operand stack's types as they are (an assignment's value stays; jumps).
_NO_TYPE_CHANGE = frozenset({Op.SET_CELL, Op.SET_UPVALUE, Op.SET_GLOBAL, Op.JUMP, Op.JUMP_IF_FALSE, Op.LOOP,
                             Op.RETURN})

#: What one opcode does to the types on the operand stack: ``(operand, stack)``, changing ``stack`` in place.
#: A later stage describes its own opcodes where it knows more than the opcode table's pops and pushes (the
#: VM's ``opcode_types`` hook; stage 4: SET_PROPERTY's result is the value assigned); any other opcode the
#: analysis does not know pops what the table says and pushes values of unknown type.
StackTypes = Callable[[int, list[Entry]], None]
GENERIC_VALUE = Plan(How.GENERIC, "", Known.VALUE)
#: How a later stage plans one of its opcodes at a site (``offset``), given the function's speculator: the VM's
#: ``opcode_plans`` hook (stage 4: property, method and class-call sites).
SitePlan = Callable[["Speculator", int], Plan]


def _never(offset: int) -> bool:
    return False


class Speculator:
    """Decides, site by site, what compiled code of one function bets on (see the module docstring)."""

    def __init__(self, record: "FunctionRecord", speculate: bool, site_allowed: dict[int, bool] | None = None,
                 opcode_types: dict[int, StackTypes] | None = None,
                 opcode_plans: dict[int, SitePlan] | None = None) -> None:
        self.record = record
        self.speculate = speculate            # deoptimisation on and the function under its deopt limit
        self.site_allowed = site_allowed or {}   # offset -> False once a site hit its deopt limit
        self.opcode_types = opcode_types or {}   # a later stage's opcodes, where it knows their result types
        self.opcode_plans = opcode_plans or {}   # ... and where it plans their sites
        # Code an OSR entry's activation had not reached yet (set by the OSR compiler; a normal entry has none).
        self.past_the_loop: Callable[[int], bool] = _never

    def without_speculation(self) -> "Speculator":
        """The same function's plans with nothing bet on (no ``GUARD``: stage 2's guards at most)."""
        return Speculator(self.record, False, self.site_allowed, self.opcode_types, self.opcode_plans)

    def never_recorded(self, offset: int) -> bool:
        """Whether the site is one compiled code should leave rather than run generically (``LEAVE``): it has
        no feedback at all and lies past the loop an OSR entry was compiled for (the activation had not got
        there yet; if it does, the interpreter records the site and the next compilation caches it). A site
        inside the loop, or in a function compiled after many calls, that has no feedback is rare; it gets
        the generic path instead."""
        return self.speculate and self.cache(offset) is None and self.site_allowed.get(offset, True) \
            and self.past_the_loop(offset)

    def cache(self, offset: int) -> InlineCache | None:
        """The site's inline cache, if the interpreter filled one."""
        cache = self.record.feedback.get(offset)
        return cache if isinstance(cache, InlineCache) else None

    def betting(self, offset: int) -> InlineCache | None:
        """The site's cache when compiled code may bet on it (guarded state, speculation allowed here)."""
        cache = self.cache(offset)
        if cache is None or not cache.guarded or not self.speculate or not self.site_allowed.get(offset, True):
            return None
        return cache

    def plan(self, offset: int, op: int, operands: tuple[Type, ...]) -> Plan:
        """How instruction ``offset`` (opcode ``op``) is compiled, given its operands' types."""
        if op in self.opcode_plans:
            return self.opcode_plans[op](self, offset)
        if op in _ARITHMETIC or op in _COMPARISON or op in _EQUALITY:
            return self._binary(offset, op, operands[0], operands[1])
        if op == Op.NEGATE:
            if is_number(operands[0]):
                return Plan(How.KNOWN, "number", Known.NUMBER, True)
            cache = self.betting(offset)
            if cache is not None and cache.cases == [("number",)]:
                return Plan(How.GUARD, "number", Known.NUMBER, True)
            return Plan(How.GENERIC, "", Known.NUMBER, True)      # stage 0 tests, or raises the error
        if op == Op.GET_GLOBAL:
            cache = self.betting(offset)
            if cache is not None and cache.cases == ["number"]:
                return Plan(How.GUARD, "number", Known.NUMBER)
            return GENERIC_VALUE
        if op == Op.CALL:
            return self.call_plan(offset, len(operands) - 1)
        return GENERIC_VALUE

    def _binary(self, offset: int, op: int, x: Type, y: Type) -> Plan:
        result: Type = Known.NUMBER if op in _ARITHMETIC else Known.BOOL
        if is_number(x) and is_number(y):
            return Plan(How.KNOWN, "numbers", result, True)
        cache = self.betting(offset)
        cases = cache.cases if cache is not None else []
        if cases and all(c == NUMBERS for c in cases):
            return Plan(How.GUARD, "numbers", result, True)
        if op == Op.ADD and cases and all(c in (NUMBERS, STRINGS) for c in cases):
            return Plan(How.GUARD, "strings" if cases == [STRINGS] else "numbers or strings", Known.VALUE)
        seen = self.cache(offset)
        how = How.FALLBACK if seen is not None and seen.guarded else How.GENERIC
        if op == Op.ADD:
            return Plan(how, "", Known.VALUE)
        if op in _EQUALITY:
            return Plan(how, "", Known.BOOL)
        # - * / and the comparisons either see two numbers or raise the error: numbers after them.
        return Plan(how, "", result, True)

    def call_plan(self, offset: int, argc: int) -> Plan:
        """A call site: its cached functions guarded (``GUARD`` when they are all it saw)."""
        cache = self.cache(offset)
        if cache is None or not cache.guarded:
            return GENERIC_VALUE
        targets = [c for c in cache.cases if isinstance(c, CallTarget) and c.arity == argc]
        if not targets:
            return GENERIC_VALUE
        if self.betting(offset) is not None and len(targets) == len(cache.cases):
            return Plan(How.GUARD, "targets", Known.VALUE)
        return Plan(How.FALLBACK, "targets", Known.VALUE)


def call_targets(cache: InlineCache, argc: int) -> list[CallTarget]:
    """The functions a call site may call directly (the right arity only: a wrong one is the error path)."""
    return [c for c in cache.cases if isinstance(c, CallTarget) and c.arity == argc]


def trusted_cases(cache: InlineCache | None) -> tuple[tuple[Hashable, int], ...]:
    """The cases a guard bets on, with how often the interpreter saw each (for the deopt explainer)."""
    if cache is None:
        return ()
    return tuple(zip(cache.cases, cache.counts))


class Analysis(Record):
    """The facts before every instruction (None where unreachable), each instruction's plan, and liveness."""

    __slots__ = ("before", "plans", "live")

    before: Sequence[State | None]
    plans: Sequence[Plan | None]
    live: list[int]             # bit k set: slot k may be read later

    def __init__(self, before: Sequence[State | None], plans: Sequence[Plan | None], live: list[int]) -> None:
        self.before = before
        self.plans = plans
        self.live = live


class NothingKnown(Sequence[State | None]):
    """The facts of a function too big to analyse: every slot and stack entry may hold anything."""

    def __init__(self, record: "FunctionRecord", reachable: list[bool]) -> None:
        self.depths = stack_depths(record.code.chunk)
        self.slots: tuple[Type, ...] = (Known.ANY,) * record.code.slot_count
        self.reachable = reachable

    def __len__(self) -> int:
        return len(self.depths)

    def __getitem__(self, i: int) -> State | None:   # type: ignore[override]
        if not self.reachable[i] or self.depths[i] < 0:
            return None
        return State(self.slots, ((Known.ANY, -1),) * self.depths[i])


#: Functions with more slots than this are analysed for their stack only (slot types stay unknown):
#: a per-instruction tuple of thousands of slots would cost more compile time than it saves.
SLOT_TRACKING_LIMIT = 64


def entry_state(record: "FunctionRecord") -> State:
    """Before instruction 0: slot 0 (the closure) and the arguments are values, other locals nil."""
    code = record.code
    slots: list[Type] = [Known.VALUE] * (1 + code.arity) + [Const(values.NIL)] * (code.slot_count - 1 - code.arity)
    return State(_limit(tuple(slots)), ())


def _limit(slots: tuple[Type, ...]) -> tuple[Type, ...]:
    return slots if len(slots) <= SLOT_TRACKING_LIMIT else (Known.ANY,) * len(slots)


#: Functions with a deeper operand stack than this are not analysed at all (nothing speculated): the facts
#: are a tuple per stack entry per instruction, and a deep expression (f(f(f(...)))) would cost more to
#: analyse than it could ever save.
STACK_TRACKING_LIMIT = 256


def analyse(record: "FunctionRecord", speculator: Speculator, start: int = 0,
            entry: State | None = None, size_limit: int | None = None) -> Analysis:
    """Run the plans forward from ``start`` (a loop header for an OSR entry) to a fixed point. A function
    longer than ``size_limit`` instructions (compiled without optimisation: a long script) is not analysed."""
    chunk = record.code.chunk
    n = len(chunk)
    if record.code.max_stack > STACK_TRACKING_LIMIT or (size_limit is not None and n > size_limit):
        reachable = reachable_from(chunk, start)
        return Analysis(NothingKnown(record, reachable), plans_only(record, speculator.without_speculation(),
                                                                    reachable),
                        [(1 << record.code.slot_count) - 1] * n)
    before: list[State | None] = [None] * n
    plans: list[Plan | None] = [None] * n
    before[start] = entry if entry is not None else entry_state(record)
    tracking = record.code.slot_count <= SLOT_TRACKING_LIMIT
    changed = True
    while changed:
        changed = False
        for i in range(start, n) if start == 0 else _order(n, start):
            state = before[i]
            if state is None:
                continue
            plan, after = _step(record, speculator, i, state, tracking)
            plans[i] = plan
            for successor in successors(chunk, i):
                if successor >= n:
                    continue
                merged = join_states(before[successor], after)
                if merged != before[successor]:
                    before[successor] = merged
                    changed = True
    return Analysis(before, plans, live_slots(record))


def plans_only(record: "FunctionRecord", speculator: Speculator, reachable: list[bool]) -> list[Plan | None]:
    """The plans of a function that is not analysed: every operand's type unknown."""
    chunk = record.code.chunk
    plans: list[Plan | None] = [None] * len(chunk)
    for i, op in enumerate(chunk.ops):
        if not reachable[i]:
            continue
        if op in _ARITHMETIC or op in _COMPARISON or op in _EQUALITY:
            plans[i] = speculator.plan(i, op, (Known.ANY, Known.ANY))
        elif op == Op.NEGATE:
            plans[i] = speculator.plan(i, op, (Known.ANY,))
        elif op == Op.CALL:
            plans[i] = speculator.plan(i, op, (Known.ANY,) * (chunk.args[i] + 1))
        elif op == Op.GET_GLOBAL or op in speculator.opcode_plans:
            plans[i] = speculator.plan(i, op, ())
    return plans


def _order(n: int, start: int) -> list[int]:
    """Visit the region of an OSR entry from its header (code before it may be reached by back-edges)."""
    return list(range(start, n)) + list(range(0, start))


def _step(record: "FunctionRecord", speculator: Speculator, i: int, state: State,
          tracking: bool) -> tuple[Plan | None, State]:
    """One instruction's plan and the facts after it."""
    chunk = record.code.chunk
    op = chunk.ops[i]
    arg = chunk.args[i]
    slots = list(state.slots)
    stack = list(state.stack)
    plan: Plan | None = None

    def set_slot(k: int, t: Type) -> None:
        if not tracking:
            return
        slots[k] = t
        for j, (entry_type, source) in enumerate(stack):
            if source == k:
                stack[j] = (entry_type, -1)

    def refine(entries: list[Entry]) -> None:
        for _, source in entries:
            if source >= 0 and tracking and is_value(slots[source]):
                slots[source] = Known.NUMBER

    if op == Op.CONSTANT:
        stack.append((Const(record.constants[arg]), -1))
    elif op == Op.NIL:
        stack.append((Const(values.NIL), -1))
    elif op == Op.TRUE:
        stack.append((Const(values.TRUE), -1))
    elif op == Op.FALSE:
        stack.append((Const(values.FALSE), -1))
    elif op == Op.POP or op == Op.PRINT or op == Op.DEFINE_GLOBAL:
        stack.pop()
    elif op == Op.GET_LOCAL:
        stack.append((slots[arg], arg if tracking else -1))
    elif op == Op.SET_LOCAL:
        set_slot(arg, stack[-1][0])
        stack[-1] = (stack[-1][0], arg if tracking else -1)
    elif op == Op.MAKE_CELL:
        set_slot(arg, Known.CELL)
    elif op in (Op.GET_CELL, Op.GET_UPVALUE, Op.CLOSURE):
        stack.append((Known.VALUE, -1))
    elif op == Op.GET_GLOBAL:
        plan = speculator.plan(i, op, ())
        stack.append((plan.result, -1))
    elif op in _ARITHMETIC or op in _COMPARISON or op in _EQUALITY:
        operands = stack[-2:]
        plan = speculator.plan(i, op, (operands[0][0], operands[1][0]))
        if plan.refines:
            refine(operands)
        del stack[-2:]
        stack.append((plan.result, -1))
    elif op == Op.NEGATE:
        operand = stack[-1]
        plan = speculator.plan(i, op, (operand[0],))
        if plan.refines:
            refine([operand])
        stack[-1] = (Known.NUMBER, -1)
    elif op == Op.NOT:
        stack[-1] = (Known.BOOL, -1)
    elif op == Op.CALL:
        callee_and_args = stack[len(stack) - arg - 1:]
        plan = speculator.plan(i, op, tuple(t for t, _ in callee_and_args))
        del stack[len(stack) - arg - 1:]
        stack.append((Known.VALUE, -1))
    else:
        if op in speculator.opcode_plans:
            plan = speculator.plan(i, op, ())
        if op in speculator.opcode_types:
            speculator.opcode_types[op](arg, stack)
        elif op not in _NO_TYPE_CHANGE:
            # An opcode of a later stage: the opcode table says how many values it takes and leaves.
            del stack[len(stack) - pops(op, arg):]
            stack.extend((Known.VALUE, -1) for _ in range(pushes(op)))
    return plan, State(tuple(slots), tuple(stack))


def live_slots(record: "FunctionRecord") -> list[int]:
    """For each instruction, the slots (a bit per slot) that may be read before being written from there on.

    Slot 0 (the running closure) is always live. Functions with many slots
    count every slot as live (see ``SLOT_TRACKING_LIMIT``).
    """
    code = record.code
    chunk = code.chunk
    n = len(chunk)
    everything = (1 << code.slot_count) - 1
    if code.slot_count > SLOT_TRACKING_LIMIT:
        return [everything] * n
    uses = [0] * n
    defs = [0] * n
    for i in range(n):
        op = chunk.ops[i]
        arg = chunk.args[i]
        if op in (Op.GET_LOCAL, Op.GET_CELL, Op.SET_CELL):
            uses[i] = 1 << arg
        elif op == Op.MAKE_CELL:
            uses[i] = 1 << arg
        elif op == Op.SET_LOCAL:
            defs[i] = 1 << arg
        elif op == Op.CLOSURE:
            for upvalue in code.functions[arg].upvalues:
                if upvalue.is_local:
                    uses[i] |= 1 << upvalue.index
    live = [0] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out = 0
            for successor in successors(chunk, i):
                if successor < n:
                    out |= live[successor]
            new = uses[i] | (out & ~defs[i]) | 1
            if new != live[i]:
                live[i] = new
                changed = True
    return live
