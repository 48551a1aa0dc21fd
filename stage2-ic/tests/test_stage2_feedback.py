"""Stage 2's feedback, in-process: the IC state ladder, type tags, miss counters, and what the interpreter records.

The recorder tests run real programs through an :class:`ICVM` and then look
at ``vm.records[i].feedback`` (one :class:`InlineCache` per bytecode offset
that reported something). Most run with ``jit="off"``: feedback is collected
by the interpreter whatever the tier settings, and nothing needs LLVM.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Hashable

import pytest

from stage0_jit import values
from stage0_jit.layout import GLOBAL, WORD
from stage0_jit.runtime import Runtime
from stage2_ic.feedback import CallTarget, FeedbackRecorder, ICState, InlineCache, MissCounters, type_tag
from stage2_ic.settings import Settings

from stage2_helpers import HEAP_MB, cache, caches, make_vm, record

NUMBERS = ("number", "number")
STRINGS = ("string", "string")

UNINITIALISED = ICState.UNINITIALISED
MONOMORPHIC = ICState.MONOMORPHIC
POLYMORPHIC = ICState.POLYMORPHIC
MEGAMORPHIC = ICState.MEGAMORPHIC


def new_cache() -> InlineCache:
    return InlineCache("f", 7, 3, "ADD")


# ---------------------------------------------------------------- InlineCache.observe
def test_a_new_cache_is_uninitialised_and_not_guarded() -> None:
    ic = new_cache()
    assert ic.state == UNINITIALISED
    assert ic.cases == []
    assert not ic.guarded
    assert not ic.numbers_only
    assert ic.miss_counter == -1
    assert ic.closure is None and not ic.closure_varies
    assert ic.describe() == "f line 3 ADD"


def test_the_ladder_up_to_megamorphic_at_the_default_limit() -> None:
    ic = new_cache()
    limit = Settings().polymorphism_limit
    assert limit == 4
    assert ic.observe(NUMBERS, limit) == (UNINITIALISED, MONOMORPHIC)
    assert ic.guarded and ic.cases == [NUMBERS]
    assert ic.observe(STRINGS, limit) == (MONOMORPHIC, POLYMORPHIC)
    assert ic.guarded
    # Third and fourth cases: still polymorphic, so no transition is reported.
    assert ic.observe(("nil", "nil"), limit) is None
    assert ic.observe(("bool", "bool"), limit) is None
    assert ic.state == POLYMORPHIC and len(ic.cases) == limit
    # The fifth distinct case is one too many.
    assert ic.observe(("number", "string"), limit) == (POLYMORPHIC, MEGAMORPHIC)
    assert ic.state == MEGAMORPHIC
    assert not ic.guarded
    assert ic.cases == [NUMBERS, STRINGS, ("nil", "nil"), ("bool", "bool")]   # the overflowing case is not kept


def test_repeated_cases_change_nothing() -> None:
    ic = new_cache()
    ic.observe(NUMBERS, 4)
    for _ in range(10):
        assert ic.observe(NUMBERS, 4) is None
    assert ic.state == MONOMORPHIC and ic.cases == [NUMBERS]
    ic.observe(STRINGS, 4)
    for case in (NUMBERS, STRINGS, NUMBERS):
        assert ic.observe(case, 4) is None
    assert ic.state == POLYMORPHIC and ic.cases == [NUMBERS, STRINGS]


def test_megamorphic_is_final() -> None:
    ic = new_cache()
    for i in range(5):
        ic.observe(("case", i), 4)
    assert ic.state == MEGAMORPHIC
    cases = list(ic.cases)
    for case in [("case", 0), ("case", 4), ("case", 99), NUMBERS]:
        assert ic.observe(case, 4) is None
        assert ic.observe(case, 100) is None     # even a larger limit does not bring it back
    assert ic.state == MEGAMORPHIC and ic.cases == cases


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 6])
def test_the_limit_is_the_number_of_cases_kept(limit: int) -> None:
    ic = new_cache()
    seen: list[ICState] = []
    for i in range(limit + 3):
        change = ic.observe(i, limit)
        seen.append(ic.state)
        if change is not None:
            assert change[1] == ic.state
    assert seen[0] == MONOMORPHIC
    expected_poly = [POLYMORPHIC] * (limit - 1)
    assert seen[1:limit] == expected_poly
    assert seen[limit:] == [MEGAMORPHIC] * 3
    assert ic.cases == list(range(limit))


def test_limit_one_goes_straight_from_monomorphic_to_megamorphic() -> None:
    ic = new_cache()
    assert ic.observe("number", 1) == (UNINITIALISED, MONOMORPHIC)
    assert ic.observe("string", 1) == (MONOMORPHIC, MEGAMORPHIC)


@pytest.mark.parametrize("cases, expected", [
    ([NUMBERS], True),
    ([STRINGS], False),
    ([NUMBERS, STRINGS], False),
    ([("number",)], True),
    (["number"], True),
    (["number", "string"], False),
    ([("number",), ("string",)], False),
])
def test_numbers_only_is_exactly_one_all_numbers_case(cases: list[Hashable], expected: bool) -> None:
    ic = new_cache()
    for case in cases:
        ic.observe(case, 4)
    assert ic.numbers_only is expected


def test_call_targets_are_cases_compared_by_value() -> None:
    ic = InlineCache("g", 2, 1, "CALL")
    assert ic.observe(CallTarget(0x1000, "f", 1), 4) == (UNINITIALISED, MONOMORPHIC)
    assert ic.observe(CallTarget(0x1000, "f", 1), 4) is None
    assert ic.observe(CallTarget(0x2000, "f", 1), 4) == (MONOMORPHIC, POLYMORPHIC)   # another `fun f`


# ---------------------------------------------------------------- type_tag
@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(Settings(heap_reserve_mb=HEAP_MB))


@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, -2.5, 1e300, float("inf"), float("-inf"), float("nan")])
def test_type_tag_of_numbers(runtime: Runtime, x: float) -> None:
    assert type_tag(runtime.heap, values.number(x)) == "number"


def test_type_tag_of_the_nan_arithmetic_produces(runtime: Runtime) -> None:
    # x86 gives 0/0 the sign bit: still a number, not a boxed object.
    assert type_tag(runtime.heap, 0xFFF8_0000_0000_0000) == "number"


def test_type_tag_of_singletons(runtime: Runtime) -> None:
    heap = runtime.heap
    assert type_tag(heap, values.NIL) == "nil"
    assert type_tag(heap, values.TRUE) == "bool"
    assert type_tag(heap, values.FALSE) == "bool"


def test_type_tag_of_heap_values(runtime: Runtime) -> None:
    heap = runtime.heap
    assert type_tag(heap, runtime.constant_string("hello")) == "string"
    assert type_tag(heap, heap.new_string(b"")) == "string"
    prototype = runtime.new_function("f", 2, 0)
    assert type_tag(heap, heap.new_closure(prototype, [])) == "function"
    assert type_tag(heap, heap.new_closure(prototype, [heap.new_cell(values.NIL)])) == "function"
    clock = heap.field(runtime.globals["clock"], GLOBAL, "value")
    assert type_tag(heap, clock) == "native"
    assert type_tag(heap, heap.new_native(0, 0)) == "native"


def test_type_tag_of_everything_else_is_object(runtime: Runtime) -> None:
    heap = runtime.heap
    # Words that are not Lox values a program can hold: prototypes, cells, global cells, the internal tags.
    assert type_tag(heap, values.obj(runtime.new_function("g", 0, 0))) == "object"
    assert type_tag(heap, values.obj(heap.new_cell(values.NIL))) == "object"
    assert type_tag(heap, values.obj(runtime.global_cell("someGlobal"))) == "object"
    assert type_tag(heap, values.UNDEFINED) == "object"
    assert type_tag(heap, values.ERROR) == "object"


# ---------------------------------------------------------------- MissCounters
def test_miss_counters_assign_one_word_per_site() -> None:
    counters = MissCounters(capacity=4)
    a, b = new_cache(), InlineCache("g", 1, 2, "CALL")
    address_a = counters.assign(a)
    address_b = counters.assign(b)
    assert address_a == counters.base and a.miss_counter == 0
    assert address_b == counters.base + WORD and b.miss_counter == 1
    assert counters.assign(a) == address_a            # a site keeps its counter
    assert counters.sites == [a, b]
    assert counters.count(a) == 0 and counters.count(b) == 0


def test_miss_counters_count_what_native_code_stored() -> None:
    counters = MissCounters(capacity=4)
    a, b = new_cache(), new_cache()
    address_a = counters.assign(a)
    address_b = counters.assign(b)
    assert address_a is not None and address_b is not None
    # What compiled code does on a miss: load, add one, store, at the counter's address.
    counter = ctypes.c_int64.from_address(address_a)
    for _ in range(3):
        counter.value += 1
    ctypes.c_int64.from_address(address_b).value += 1
    assert counters.count(a) == 3
    assert counters.count(b) == 1


def test_miss_counters_when_full() -> None:
    counters = MissCounters(capacity=2)
    first, second, third = new_cache(), new_cache(), new_cache()
    assert counters.assign(first) is not None
    assert counters.assign(second) is not None
    assert counters.assign(third) is None             # no counter: compiled code just does not count
    assert third.miss_counter == -1
    assert counters.count(third) == 0
    assert counters.sites == [first, second]
    assert counters.assign(first) == counters.base    # sites that have one keep it


def test_an_unassigned_site_counts_zero() -> None:
    assert MissCounters(capacity=1).count(new_cache()) == 0


# ---------------------------------------------------------------- FeedbackRecorder through a real ICVM
def test_the_vm_installs_its_recorder_as_the_interpreters_feedback_hook() -> None:
    vm = make_vm(jit="off")
    assert isinstance(vm.feedback, FeedbackRecorder)
    assert vm.feedback is vm.feedback
    assert vm.feedback.limit == 4


def test_numbers_give_monomorphic_number_caches(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
fun add(a, b) { return a + b; }
fun less(a, b) { return a < b; }
fun same(a, b) { return a == b; }
fun neg(a) { return -a; }
var t = 0;
for (var i = 0; i < 10; i = i + 1) { t = add(t, i); less(t, i); same(t, i); neg(i); }
print t;
"""
    assert vm.run_source(source) == 0
    assert capfd.readouterr().out == "45\n"
    for name, operation in (("add", "ADD"), ("less", "LESS"), ("same", "EQUAL")):
        ic = cache(vm, name, operation)
        assert ic.state == MONOMORPHIC, name
        assert ic.cases == [NUMBERS], name
        assert ic.function == name and ic.line == 1 + ["add", "less", "same"].index(name)
    negation = cache(vm, "neg", "NEGATE")
    assert negation.state == MONOMORPHIC and negation.cases == [("number",)]
    assert cache(vm, "add", "ADD").numbers_only


def test_caches_are_keyed_by_function_and_bytecode_offset(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    assert vm.run_source('fun f(a, b, c) { return a + b + c; }\nprint f(1, 2, "x" + "y") == nil;\n') == 70
    adds = caches(vm, "f", "ADD")
    assert len(adds) == 2
    first, second = adds
    assert first.offset < second.offset
    assert record(vm, "f").feedback[first.offset] is first
    assert first.cases == [NUMBERS] and first.state == MONOMORPHIC
    assert second.cases == [("number", "string")] and second.state == MONOMORPHIC
    assert "Operands must be two numbers or two strings." in capfd.readouterr().err


def test_numbers_then_strings_is_polymorphic(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
fun add(a, b) { return a + b; }
for (var i = 0; i < 5; i = i + 1) add(i, i);
print add("con", "cat");
print add(1, 2);
"""
    assert vm.run_source(source) == 0
    assert capfd.readouterr().out == "concat\n3\n"
    ic = cache(vm, "add", "ADD")
    assert ic.state == POLYMORPHIC
    assert ic.cases == [NUMBERS, STRINGS]
    assert not ic.numbers_only
    assert vm.feedback.transitions == {("uninitialised", "monomorphic"): 1, ("monomorphic", "polymorphic"): 1}


FIVE_CALLEES = """\
fun f1(x) { return 1; }
fun f2(x) { return 2; }
fun f3(x) { return 3; }
fun f4(x) { return 4; }
fun f5(x) { return 5; }
fun apply(g) { return g(0); }
print apply(f1) + apply(f2) + apply(f3) + apply(f4);
print apply(f1) + apply(f5);
"""


def test_a_call_site_calling_five_functions_is_megamorphic(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    assert vm.run_source(FIVE_CALLEES) == 0
    assert capfd.readouterr().out == "10\n6\n"
    ic = cache(vm, "apply", "CALL")
    assert ic.state == MEGAMORPHIC
    assert [c.name for c in ic.cases if isinstance(c, CallTarget)] == ["f1", "f2", "f3", "f4"]
    assert all(isinstance(c, CallTarget) and c.arity == 1 for c in ic.cases)
    assert len({c.prototype for c in ic.cases if isinstance(c, CallTarget)}) == 4
    assert ic.closure_varies and ic.closure is None
    assert vm.feedback.transitions[("polymorphic", "megamorphic")] == 1


def test_four_callees_stay_polymorphic(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    assert vm.run_source(FIVE_CALLEES.replace("apply(f5)", "apply(f4)")) == 0
    capfd.readouterr()
    ic = cache(vm, "apply", "CALL")
    assert ic.state == POLYMORPHIC and len(ic.cases) == 4


def test_the_polymorphism_limit_setting_is_used(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off", polymorphism_limit=2)
    assert vm.run_source(FIVE_CALLEES) == 0
    capfd.readouterr()
    ic = cache(vm, "apply", "CALL")
    assert ic.state == MEGAMORPHIC
    assert [c.name for c in ic.cases if isinstance(c, CallTarget)] == ["f1", "f2"]


def test_many_closures_of_one_function_are_one_call_target(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
fun makeAdder(n) {
  fun add(x) { return x + n; }
  return add;
}
fun apply(f, x) { return f(x); }
var total = 0;
for (var i = 0; i < 20; i = i + 1) total = total + apply(makeAdder(i), 1);
print total;
"""
    assert vm.run_source(source) == 0
    assert capfd.readouterr().out == "210\n"
    ic = cache(vm, "apply", "CALL")
    assert ic.state == MONOMORPHIC
    assert len(ic.cases) == 1
    target = ic.cases[0]
    assert isinstance(target, CallTarget)
    assert target.name == "add" and target.arity == 1
    assert target.prototype == record(vm, "add").prototype
    assert ic.closure is None
    assert ic.closure_varies


def test_one_closure_called_every_time_is_remembered(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
fun makeAdder(n) {
  fun add(x) { return x + n; }
  return add;
}
fun apply(f, x) { return f(x); }
var add5 = makeAdder(5);
for (var i = 0; i < 20; i = i + 1) apply(add5, i);
print apply(add5, 1);
"""
    assert vm.run_source(source) == 0
    assert capfd.readouterr().out == "6\n"
    ic = cache(vm, "apply", "CALL")
    assert ic.state == MONOMORPHIC
    assert ic.closure is not None and not ic.closure_varies
    assert type_tag(vm.runtime.heap, ic.closure) == "function"
    assert vm.runtime.function_of(ic.closure) == record(vm, "add").prototype
    # A second closure of the same function: still one target, but the identity is forgotten for good.
    assert vm.run_source("apply(makeAdder(6), 1); apply(add5, 1);") == 0
    assert ic.state == MONOMORPHIC and len(ic.cases) == 1
    assert ic.closure is None and ic.closure_varies


def test_calls_of_non_functions_record_their_type(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
fun f() { return 1; }
fun call(g) { return g(); }
call(f);
call(clock);
call(nil);
"""
    assert vm.run_source(source) == 70
    assert capfd.readouterr().err.startswith("Can only call functions and classes.\n")
    ic = cache(vm, "call", "CALL")
    assert ic.state == POLYMORPHIC
    assert ic.cases == [CallTarget(record(vm, "f").prototype, "f", 0), "native", "nil"]


def test_global_reads_record_the_value_type(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    source = """\
var g = 1;
fun read() { return g; }
fun native() { return clock; }
read();
g = "now a string";
read();
native();
"""
    assert vm.run_source(source) == 0
    capfd.readouterr()
    ic = cache(vm, "read", "GET_GLOBAL")
    assert ic.state == POLYMORPHIC and ic.cases == ["number", "string"]
    assert cache(vm, "native", "GET_GLOBAL").cases == ["native"]


def test_a_global_read_of_changing_numbers_still_sees_a_later_string(capfd: pytest.CaptureFixture[str]) -> None:
    # After "number" only, further numbers are skipped without a lookup; a string is not.
    vm = make_vm(jit="off")
    source = """\
var g = 0;
fun read() { return g; }
for (var i = 0; i < 20; i = i + 1) { g = i; read(); }
g = "text";
read();
"""
    assert vm.run_source(source) == 0
    capfd.readouterr()
    ic = cache(vm, "read", "GET_GLOBAL")
    assert ic.state == POLYMORPHIC and ic.cases == ["number", "string"]


def test_the_script_collects_no_feedback(capfd: pytest.CaptureFixture[str]) -> None:
    """The top level runs once and is never compiled when tiered, so its sites are not profiled."""
    vm = make_vm(jit="off")
    assert vm.run_source("var a = 1;\nprint a + 2;\nfun f() {}\nf();\n") == 0
    assert capfd.readouterr().out == "3\n"
    script = record(vm, "<script>")
    assert not script.compilable
    assert script.feedback == {}


def test_feedback_is_the_same_when_tiered(capfd: pytest.CaptureFixture[str]) -> None:
    """Below the threshold the tiered VM interprets too, and records the same caches."""
    source = "fun add(a, b) { return a + b; }\nadd(1, 2);\nadd(\"a\", \"b\");\nprint add(3, 4);\n"
    states = []
    for jit in ("off", "tiered"):
        vm = make_vm(jit=jit)
        assert vm.run_source(source) == 0
        ic = cache(vm, "add", "ADD")
        states.append((ic.state, ic.cases))
    assert capfd.readouterr().out == "7\n7\n"
    assert states[0] == states[1] == (POLYMORPHIC, [NUMBERS, STRINGS])


def test_trace_ic_lines_in_process(capfd: pytest.CaptureFixture[str]) -> None:
    diagnostics = io.StringIO()
    vm = make_vm(jit="off", trace=frozenset({"ic"}), diagnostics=diagnostics)
    assert vm.run_source(FIVE_CALLEES) == 0
    capfd.readouterr()
    lines = diagnostics.getvalue().splitlines()
    assert lines[0] == "[ic] apply line 6 CALL: uninitialised -> monomorphic, saw <fn f1>"
    assert lines[1] == "[ic] apply line 6 CALL: monomorphic -> polymorphic, saw <fn f2>"
    assert "[ic] apply line 6 CALL: polymorphic -> megamorphic, saw <fn f5>" in lines
    assert all(line.startswith("[ic] ") for line in lines)


def test_the_shown_form_of_cases() -> None:
    show = FeedbackRecorder.show
    assert show(NUMBERS) == "(number, number)"
    assert show(("number",)) == "(number)"
    assert show(CallTarget(1, "fib", 1)) == "<fn fib>"
    assert show("native") == "native"


def test_a_global_read_site_that_gets_undefined_records_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    vm = make_vm(jit="off")
    assert vm.run_source("fun f() { return missing; }\nf();\n") == 70
    assert capfd.readouterr().err.startswith("Undefined variable 'missing'.\n")
    assert caches(vm, "f", "GET_GLOBAL") == []
