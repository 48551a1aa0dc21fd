"""The speculation analysis in-process: the type lattice, Speculator.plan, analyse and live_slots on real bytecode.

Functions are compiled with stage 1's bytecode compiler and given records
by a DeoptVM (``vm.record_for``); where a test needs feedback, the program
runs in that VM's interpreter first (``--jit=off``, recording from the first
call), or the test fills a site's inline cache itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable

import pytest

from lox_frontend import parse
from stage0_jit import values
from stage1_interp.bytecode import FunctionCode, Op
from stage1_interp.compiler import compile_script
from stage1_interp.functions import FunctionRecord
from stage2_ic.feedback import CallTarget, InlineCache
from stage3_deopt.analysis import (SLOT_TRACKING_LIMIT, Const, How, Known, Speculator, State, Type, analyse,
                                      entry_state, is_number, is_value, join, join_states, live_slots)

from stage3_helpers import make_vm, record

NUMBERS = ("number", "number")
STRINGS = ("string", "string")
ONE = Const(values.number(1.0))
TWO = Const(values.number(2.0))
NIL = Const(values.NIL)
TRUE = Const(values.TRUE)
FALSE = Const(values.FALSE)
A_STRING = Const(values.OBJ_TAG | 0x7F00_0000_1000)
TYPES: list[Type] = [Known.ANY, Known.VALUE, Known.NUMBER, Known.BOOL, Known.CELL, ONE, TWO, NIL, TRUE, FALSE, A_STRING]


def find_code(code: FunctionCode, name: str) -> FunctionCode:
    """The function called ``name`` compiled inside ``code`` (at any depth)."""
    for inner in code.functions:
        if inner.name == name:
            return inner
        try:
            return find_code(inner, name)
        except LookupError:
            pass
    raise LookupError(name)


def compiled(source: str, name: str) -> FunctionRecord:
    """The record of function ``name`` of a program that was compiled, never run (no feedback at all)."""
    vm = make_vm(jit="off")
    return vm.record_for(find_code(compile_script(parse(source)), name))


def profiled(source: str, name: str) -> FunctionRecord:
    """The record of function ``name`` after the interpreter ran the program (feedback from every call)."""
    vm = make_vm(jit="off")
    assert vm.run_source(source) == 0
    return record(vm, name)


def offsets(rec: FunctionRecord, op: Op) -> list[int]:
    """Where ``op`` occurs in the function's bytecode."""
    return [i for i, o in enumerate(rec.code.chunk.ops) if o == op]


def loop_header(rec: FunctionRecord) -> int:
    """The target of the function's one back-edge."""
    (back_edge,) = offsets(rec, Op.LOOP)
    return rec.code.chunk.args[back_edge]


def before(rec: FunctionRecord, offset: int, speculate: bool = True) -> State:
    """The facts before instruction ``offset``."""
    state = analyse(rec, Speculator(rec, speculate)).before[offset]
    assert state is not None, f"{offset} is unreachable"
    return state


# ---------------------------------------------------------------- the lattice
def test_join_is_commutative_and_an_upper_bound() -> None:
    for a, b in itertools.product(TYPES, TYPES):
        assert join(a, b) == join(b, a), (a, b)
        assert join(join(a, b), a) == join(a, b), (a, b)
        assert join(join(a, b), b) == join(a, b), (a, b)


@pytest.mark.parametrize("a", TYPES)
def test_join_is_idempotent_and_any_absorbs(a: Type) -> None:
    assert join(a, a) == a
    assert join(a, Known.ANY) == Known.ANY


def test_join_is_associative() -> None:
    for a, b, c in itertools.product(TYPES, TYPES, TYPES):
        assert join(join(a, b), c) == join(a, join(b, c)), (a, b, c)


def test_constants_join_to_number_bool_or_value() -> None:
    assert join(ONE, TWO) == Known.NUMBER
    assert join(ONE, Known.NUMBER) == Known.NUMBER
    assert join(TRUE, FALSE) == Known.BOOL
    assert join(FALSE, Known.BOOL) == Known.BOOL
    assert join(ONE, TRUE) == Known.VALUE
    assert join(NIL, ONE) == Known.VALUE
    assert join(A_STRING, Const(values.OBJ_TAG | 0x7F00_0000_2000)) == Known.VALUE
    assert join(Known.NUMBER, Known.BOOL) == Known.VALUE


def test_a_cell_joined_with_any_value_is_any() -> None:
    for t in (Known.VALUE, Known.NUMBER, Known.BOOL, ONE, NIL, A_STRING):
        assert join(Known.CELL, t) == Known.ANY
    assert join(Known.CELL, Known.CELL) == Known.CELL


def test_what_is_proven() -> None:
    assert is_number(Known.NUMBER) and is_number(ONE)
    assert not any(is_number(t) for t in (Known.VALUE, Known.BOOL, Known.ANY, Known.CELL, NIL, TRUE, A_STRING))
    assert all(is_value(t) for t in (Known.VALUE, Known.NUMBER, Known.BOOL, ONE, NIL, A_STRING))
    assert not is_value(Known.ANY) and not is_value(Known.CELL)


def test_join_states_merges_slots_and_forgets_a_stack_entrys_slot_unless_both_agree() -> None:
    a = State((Known.VALUE, ONE, Known.CELL), ((ONE, 1), (TRUE, 2)))
    b = State((Known.VALUE, TWO, Known.CELL), ((TWO, 1), (FALSE, -1)))
    assert join_states(None, a) is a
    assert join_states(a, a) == a
    assert join_states(a, b) == State((Known.VALUE, Known.NUMBER, Known.CELL), ((Known.NUMBER, 1), (Known.BOOL, -1)))


# ---------------------------------------------------------------- Speculator.plan
SITES = """\
var glob = 1;
fun f(a, b, h) {
  print a + b;
  print a - b;
  print a < b;
  print a == b;
  print -a;
  print glob;
  print h(a);
}
"""


def site_with(rec: FunctionRecord, op: Op, *cases: Hashable) -> int:
    """The offset of ``op`` in ``rec``, its inline cache filled with ``cases`` (none: no cache at all)."""
    (offset,) = offsets(rec, op)
    rec.feedback.pop(offset, None)
    if cases:
        cache = InlineCache(rec.name, offset, rec.code.chunk.lines[offset], op.name)
        for case in cases:
            cache.observe(case, 4)
        rec.feedback[offset] = cache
    return offset


V = Known.VALUE
N = Known.NUMBER
B = Known.BOOL


@pytest.mark.parametrize("op, cases, operands, how, case, result, refines", [
    # Both operands proven numbers: no test, whatever the feedback says.
    (Op.ADD, (), (N, ONE), How.KNOWN, "numbers", N, True),
    (Op.ADD, (STRINGS,), (ONE, TWO), How.KNOWN, "numbers", N, True),
    (Op.LESS, (), (N, N), How.KNOWN, "numbers", B, True),
    (Op.EQUAL, (), (ONE, N), How.KNOWN, "numbers", B, True),
    # A numbers-only monomorphic cache: guard it (and then the operands are numbers).
    (Op.ADD, (NUMBERS,), (V, V), How.GUARD, "numbers", N, True),
    (Op.ADD, (NUMBERS,), (N, V), How.GUARD, "numbers", N, True),
    (Op.SUBTRACT, (NUMBERS,), (V, V), How.GUARD, "numbers", N, True),
    (Op.LESS, (NUMBERS,), (V, V), How.GUARD, "numbers", B, True),
    (Op.EQUAL, (NUMBERS,), (V, V), How.GUARD, "numbers", B, True),
    # + on strings: guarded, but its operands are not numbers afterwards.
    (Op.ADD, (STRINGS,), (V, V), How.GUARD, "strings", V, False),
    (Op.ADD, (NUMBERS, STRINGS), (V, V), How.GUARD, "numbers or strings", V, False),
    # Other cases: stage 2's guard with the generic path behind it.
    (Op.ADD, (("number", "string"),), (V, V), How.FALLBACK, "", V, False),
    (Op.EQUAL, (NUMBERS, STRINGS), (V, V), How.FALLBACK, "", B, False),
    (Op.SUBTRACT, (STRINGS,), (V, V), How.FALLBACK, "", N, True),    # - raises unless both are numbers
    # No feedback: stage 0's code; - * / and comparisons still leave numbers behind (or raise), + does not.
    (Op.ADD, (), (V, V), How.GENERIC, "", V, False),
    (Op.SUBTRACT, (), (V, V), How.GENERIC, "", N, True),
    (Op.LESS, (), (V, V), How.GENERIC, "", B, True),
    (Op.EQUAL, (), (V, V), How.GENERIC, "", B, False),
    # Megamorphic: nothing to guard.
    (Op.ADD, (NUMBERS, STRINGS, ("nil", "nil"), ("bool", "bool"), ("number", "nil")), (V, V), How.GENERIC, "",
     V, False),
    (Op.NEGATE, (), (N,), How.KNOWN, "number", N, True),
    (Op.NEGATE, (("number",),), (V,), How.GUARD, "number", N, True),
    (Op.NEGATE, (("string",),), (V,), How.GENERIC, "", N, True),
    (Op.NEGATE, (), (V,), How.GENERIC, "", N, True),
    (Op.GET_GLOBAL, ("number",), (), How.GUARD, "number", N, False),
    (Op.GET_GLOBAL, ("number", "string"), (), How.GENERIC, "", V, False),
    (Op.GET_GLOBAL, (), (), How.GENERIC, "", V, False),
])
def test_plan(op: Op, cases: tuple[Hashable, ...], operands: tuple[Type, ...], how: How, case: str, result: Type,
              refines: bool) -> None:
    rec = compiled(SITES, "f")
    offset = site_with(rec, op, *cases)
    plan = Speculator(rec, True).plan(offset, op, operands)
    assert (plan.how, plan.case, plan.result, plan.refines) == (how, case, result, refines)


@pytest.mark.parametrize("op, operands", [(Op.ADD, (V, V)), (Op.LESS, (V, V)), (Op.NEGATE, (V,)),
                                          (Op.GET_GLOBAL, ())])
def test_a_site_at_its_deopt_limit_or_a_function_not_speculating_falls_back(op: Op, operands: tuple[Type, ...]) -> None:
    rec = compiled(SITES, "f")
    case: Hashable = "number" if op == Op.GET_GLOBAL else ("number",) if op == Op.NEGATE else NUMBERS
    offset = site_with(rec, op, case)
    assert Speculator(rec, True).plan(offset, op, operands).how is How.GUARD
    stopped = Speculator(rec, True, {offset: False}).plan(offset, op, operands)
    off = Speculator(rec, False).plan(offset, op, operands)
    assert stopped == off
    if op in (Op.ADD, Op.LESS):
        assert stopped.how is How.FALLBACK
    else:
        assert stopped.how is How.GENERIC                 # no stage 2 guard for these: stage 0's code
    assert Speculator(rec, True, {offset + 1: False}).plan(offset, op, operands).how is How.GUARD  # another site


ONE_PARAMETER = CallTarget(0x1000, "inc", 1)
TWO_PARAMETERS = CallTarget(0x2000, "add", 2)


@pytest.mark.parametrize("cases, how", [
    ((ONE_PARAMETER,), How.GUARD),
    ((ONE_PARAMETER, CallTarget(0x3000, "dec", 1)), How.GUARD),
    ((TWO_PARAMETERS, ONE_PARAMETER), How.FALLBACK),      # add would need 2 arguments: never called directly
    ((ONE_PARAMETER, "nil"), How.FALLBACK),
    ((TWO_PARAMETERS,), How.GENERIC),
    (("native",), How.GENERIC),
    ((), How.GENERIC),
])
def test_call_plans_bet_only_on_targets_of_the_right_arity(cases: tuple[Hashable, ...], how: How) -> None:
    rec = compiled(SITES, "f")
    offset = site_with(rec, Op.CALL, *cases)
    plan = Speculator(rec, True).plan(offset, Op.CALL, (V, V))           # h(a): callee and one argument
    assert plan.how is how
    assert plan.result is Known.VALUE
    if how is How.GUARD:
        assert plan.case == "targets"
        assert Speculator(rec, True, {offset: False}).plan(offset, Op.CALL, (V, V)).how is How.FALLBACK
        assert Speculator(rec, False).plan(offset, Op.CALL, (V, V)).how is How.FALLBACK


# ---------------------------------------------------------------- analyse on real bytecode
LOOP = """\
fun f(n) {
  var i = 0;
  var s = "";
  var c = 0;
  fun get() { return c; }
  while (i < n) {
    s = "x";
    i = i + 1;
  }
  return s;
}
"""
# f's slots: 0 the closure, 1 n, 2 i, 3 s, 4 c (captured: a cell), 5 get.


def test_a_counter_from_0_incremented_by_1_is_a_number_at_the_loop_header_without_feedback() -> None:
    rec = compiled(LOOP, "f")
    assert rec.feedback == {}
    header = loop_header(rec)
    for speculate in (True, False):
        assert before(rec, header, speculate).slots[2] is Known.NUMBER
    (increment,) = offsets(rec, Op.ADD)
    plan = analyse(rec, Speculator(rec, True)).plans[increment]
    assert plan is not None and plan.how is How.KNOWN


def test_a_slot_assigned_a_string_in_the_loop_is_not_a_number() -> None:
    rec = compiled(LOOP, "f")
    s = before(rec, loop_header(rec)).slots[3]
    assert s is Known.VALUE
    assert not is_number(s)


def test_a_captured_locals_slot_is_a_cell() -> None:
    rec = compiled(LOOP, "f")
    (make_cell,) = offsets(rec, Op.MAKE_CELL)
    assert before(rec, make_cell).slots[4] == Const(values.number(0.0))
    assert before(rec, make_cell + 1).slots[4] is Known.CELL
    assert before(rec, loop_header(rec)).slots[4] is Known.CELL


def test_a_comparison_leaves_its_operands_numbers_behind() -> None:
    rec = compiled(LOOP, "f")
    header = loop_header(rec)
    (less,) = offsets(rec, Op.LESS)
    assert before(rec, header).slots[1] is Known.VALUE        # n, the argument: anything on entry
    assert before(rec, less + 1).slots[1] is Known.NUMBER     # ... a number once i < n did not raise


def test_the_entry_state_and_unreachable_code() -> None:
    rec = compiled(LOOP, "f")
    assert entry_state(rec) == State((Known.VALUE, Known.VALUE, NIL, NIL, NIL, NIL), ())
    analysis = analyse(rec, Speculator(rec, True))
    assert analysis.before[-1] is None and analysis.plans[-1] is None       # the implicit `return nil;`
    assert analysis.before[0] == entry_state(rec)


def test_an_osr_region_starts_at_its_header_with_the_state_given() -> None:
    rec = compiled(LOOP, "f")
    header = loop_header(rec)
    given = State((Known.VALUE, Known.NUMBER, Known.NUMBER, Known.VALUE, Known.CELL, Known.VALUE), ())
    analysis = analyse(rec, Speculator(rec, True), header, given)
    assert all(analysis.before[i] is None for i in range(header))        # before the loop: never reached
    assert analysis.before[header] == given                             # the back-edge brings nothing new


ADD_THEN_USE = """\
fun g(a, b) {
  var x = a + b;
  return x;
}
"""
# g's slots: 0 the closure, 1 a, 2 b, 3 x.


def test_plus_refines_its_operands_only_when_it_speculates_numbers() -> None:
    unprofiled = compiled(ADD_THEN_USE, "g")
    (add,) = offsets(unprofiled, Op.ADD)
    assert before(unprofiled, add + 2).slots[1:] == (Known.VALUE, Known.VALUE, Known.VALUE)

    numbers = profiled(ADD_THEN_USE + "g(1, 2); g(3, 4);\n", "g")
    assert before(numbers, add + 2).slots[1:] == (Known.NUMBER, Known.NUMBER, Known.NUMBER)
    assert before(numbers, add + 2, speculate=False).slots[1:] == (Known.VALUE, Known.VALUE, Known.VALUE)

    both = profiled(ADD_THEN_USE + "g(1, 2); g(\"a\", \"b\");\n", "g")
    plan = analyse(both, Speculator(both, True)).plans[add]
    assert plan is not None and (plan.how, plan.case) == (How.GUARD, "numbers or strings")
    assert before(both, add + 2).slots[1:] == (Known.VALUE, Known.VALUE, Known.VALUE)


def test_minus_refines_its_operands_without_feedback() -> None:
    rec = compiled(ADD_THEN_USE.replace("a + b", "a - b"), "g")
    (subtract,) = offsets(rec, Op.SUBTRACT)
    assert before(rec, subtract).slots[1:] == (Known.VALUE, Known.VALUE, NIL)
    assert before(rec, subtract + 2).slots[1:] == (Known.NUMBER, Known.NUMBER, Known.NUMBER)


def test_a_function_with_very_many_slots_tracks_none_of_them() -> None:
    count = SLOT_TRACKING_LIMIT + 2
    source = "fun big() {\n" + "".join(f"  var v{k} = {k};\n" for k in range(count)) + "  return v0 + v1;\n}\n"
    rec = compiled(source, "big")
    assert rec.code.slot_count > SLOT_TRACKING_LIMIT
    analysis = analyse(rec, Speculator(rec, True))
    assert all(state is None or set(state.slots) == {Known.ANY} for state in analysis.before)
    assert set(analysis.live) == {(1 << rec.code.slot_count) - 1}


# ---------------------------------------------------------------- live_slots
def test_a_slot_read_later_is_live() -> None:
    rec = compiled(LOOP, "f")
    live = live_slots(rec)
    header = loop_header(rec)
    for slot in (1, 2, 3):                     # n and i: read by the test; s: read after the loop
        assert live[header] >> slot & 1, slot


def test_a_slot_written_before_it_is_read_is_dead() -> None:
    rec = compiled(LOOP, "f")
    live = live_slots(rec)
    header = loop_header(rec)
    assert not live[header] >> 5 & 1          # get: never read again
    assert not live[header] >> 4 & 1          # c's cell: nothing in f reads it after the closure captured it
    string_store = next(i for i in offsets(rec, Op.SET_LOCAL) if rec.code.chunk.args[i] == 3 and i > header)
    assert not live[string_store - 1] >> 3 & 1    # s = "x": the old s is never read
    assert live[string_store + 1] >> 3 & 1        # ... the new one is, after the loop
    (make_cell,) = offsets(rec, Op.MAKE_CELL)
    assert live[make_cell] >> 4 & 1               # MAKE_CELL reads the value it boxes


def test_slot_0_is_always_live() -> None:
    for source, name in ((LOOP, "f"), (LOOP, "get"), (ADD_THEN_USE, "g")):
        rec = compiled(source, name)
        assert all(word & 1 for word in live_slots(rec)), name
        assert live_slots(rec)[-1] == 1          # at the implicit `return nil;` nothing else is read
