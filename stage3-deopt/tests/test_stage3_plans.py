"""The emitters follow the analysis's plans, on every site kind stage 3 plans.

Every compile checks it (``SpeculativeCompiler.check_plans``: a ``GUARD`` site
has a deopt exit and counts no miss, ``FALLBACK`` none, ``KNOWN`` and
``GENERIC`` neither), so the whole corpus exercises the check. These tests
make sure the check sees every plan of every site kind at least once, and
that an emitter which strays from its plan is caught.
"""

from __future__ import annotations

import io

import pytest

from lox_testing.sites import record_sites
from stage0_jit.emitters import Operations
from stage1_interp.bytecode import Op
from stage3_deopt.analysis import How
from stage2_ic.guards import GuardKind
from stage3_deopt.emitters import SpeculativeOperations
from stage3_deopt.sidetables import Guard
from stage3_deopt.vm import DeoptVM

from stage3_helpers import make_vm

#: One program per site kind, each hot enough to compile its function with feedback.
PROGRAM = """
fun numbers(a, b, c, d, e, f, g, h) { return (a + b) + (c - d) + (e * f) + (g / h); }
fun known(n) { var s = 0; for (var i = 0; i < n; i = i + 1) { s = s + i / 2; } return s; }
fun strings(a, b) { return a + b; }
fun either(a, b) { return a + b; }
fun mixed(a, b) { return a == b; }
fun compare(a, b) { return a < b; }
fun same(a, b) { return a == b; }
fun neg(a) { return -a; }
var g = 3;
fun global() { return g * 2; }
fun one() { return 1; }
fun call() { return one(); }
fun callboth(f) { return f(); }
for (var i = 0; i < 300; i = i + 1) {
  numbers(i, 2, i, 2, i, 2, i, 2); known(3); strings("a", "b"); compare(i, 3); same(i, 3); neg(i); global(); call();
  either(1, 2); either("a", "b");
  mixed(1, 2); mixed(nil, nil); callboth(one); callboth(clock);
}
print "done";
"""

#: (opcode, plan) pairs the program must produce in some compiled function.
EXPECTED = {
    (Op.ADD, How.GUARD), (Op.ADD, How.KNOWN), (Op.EQUAL, How.FALLBACK), (Op.SUBTRACT, How.GUARD),
    (Op.MULTIPLY, How.GUARD), (Op.DIVIDE, How.GUARD), (Op.DIVIDE, How.KNOWN), (Op.CALL, How.FALLBACK), (Op.LESS, How.GUARD), (Op.LESS, How.KNOWN),
    (Op.EQUAL, How.GUARD), (Op.NEGATE, How.GUARD), (Op.GET_GLOBAL, How.GUARD), (Op.GET_GLOBAL, How.GENERIC),
    (Op.CALL, How.GUARD),
}


def planned_sites(monkeypatch: pytest.MonkeyPatch) -> set[tuple[Op, How]]:
    """Record the (opcode, plan) of every site the compiler emits from now on."""
    return record_sites(monkeypatch, Operations, "op", "how")


def run(vm: DeoptVM, source: str) -> str:
    """Run ``source`` in-process (it must succeed); returns what it printed."""
    out = io.BytesIO()
    vm.runtime.out = out
    assert vm.run_source(source) == 0
    return out.getvalue().decode()


def test_every_plan_of_every_site_kind_is_compiled_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = planned_sites(monkeypatch)
    assert run(make_vm(threshold=50), PROGRAM) == "done\n"
    missing = EXPECTED - seen
    assert not missing, f"never compiled: {sorted((op.name, how.name) for op, how in missing)}"


def test_an_emitter_that_ignores_a_guard_plan_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # A chain whose miss takes the generic path while the plan says GUARD: the facts after it would be wrong.
    monkeypatch.setattr(SpeculativeOperations, "miss_exit", lambda self, f, kind, operands: None)
    with pytest.raises(AssertionError, match="the plan says GUARD, the emitters did"):
        run(make_vm(threshold=50), PROGRAM)


def test_an_emitter_that_deoptimises_where_the_plan_falls_back_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def always_deopt(self: SpeculativeOperations, f: object, kind: GuardKind, operands: object) -> object:
        assert self.site is not None
        return self.site.deopt_exit(Guard(kind))[0]
    monkeypatch.setattr(SpeculativeOperations, "miss_exit", always_deopt)
    with pytest.raises(AssertionError, match="the plan says FALLBACK, the emitters did"):
        run(make_vm(threshold=50), PROGRAM)
