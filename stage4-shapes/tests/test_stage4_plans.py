"""Stage 4's object sites follow the analysis's plans (``plans.py``), checked at every compile.

Stage 3's ``SpeculativeCompiler.check_plans`` asserts, for every site of
every compiled function, that the emitters did what its plan said (a
``GUARD`` site deoptimises on a miss, a ``LEAVE`` site is a "no feedback
yet" exit, ``FALLBACK`` and ``GENERIC`` never deoptimise). These tests make
sure every plan of every object site kind is compiled, so checked, and that
an emitter straying from the plan is caught.
"""

from __future__ import annotations

import pytest

from lox_testing.sites import record_sites
from stage0_jit.emitters import Operations
from stage1_interp.bytecode import Op
from stage2_ic.guards import GuardKind
from stage3_deopt.analysis import How
from stage3_deopt.emitters import SpeculativeOperations
from stage3_deopt.sidetables import Guard

from stage4_helpers import make_vm, run_source

PROGRAM = """
class Base { area() { return 1; } }
class Box < Base {
  init(w) { this.w = w; }
  area() { return this.w * super.area(); }
  grow() { this.w = this.w + 1; return this; }
}
fun get(b) { return b.w; }
fun bind(b) { return b.area; }
fun set(b) { b.w = 2; }
fun invoke(b) { return b.area(); }
fun make() { return Box(3); }
class P1 { init() { this.x = 1; } }
class P2 { init() { this.y = 1; this.x = 2; } }
class P3 { init() { this.z = 1; this.x = 3; } }
class P4 { init() { this.a = 1; this.x = 4; } }
class P5 { init() { this.b = 1; this.x = 5; } }
fun many(o) { return o.x; }
var total = 0;
for (var i = 0; i < 2000; i = i + 1) {
  var b = make();
  total = total + get(b) + invoke(b) + bind(b)();
  set(b);
  many(P1()); many(P2()); many(P3()); many(P4()); many(P5());
}
var late = Box(1);
print late.grow().w;
print total;
"""

EXPECTED = {
    (Op.GET_PROPERTY, How.GUARD), (Op.SET_PROPERTY, How.GUARD), (Op.INVOKE, How.GUARD),
    (Op.SUPER_INVOKE, How.GUARD), (Op.CALL, How.GUARD), (Op.GET_PROPERTY, How.GENERIC), (Op.INVOKE, How.LEAVE),
}


def planned_sites(monkeypatch: pytest.MonkeyPatch) -> set[tuple[Op, How]]:
    """Record the (opcode, plan) of every site the compiler emits from now on."""
    return record_sites(monkeypatch, Operations, "op", "how")


def test_every_plan_of_every_object_site_kind_is_compiled_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = planned_sites(monkeypatch)
    assert run_source(make_vm(shape_polymorphism_limit=4), PROGRAM) == "2\n18000\n"
    missing = EXPECTED - seen
    assert not missing, f"never compiled: {sorted((op.name, how.name) for op, how in missing)}"


def test_without_deoptimisation_object_sites_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = planned_sites(monkeypatch)
    assert run_source(make_vm(deopt=False, shape_polymorphism_limit=4), PROGRAM) == "2\n18000\n"
    assert {(Op.GET_PROPERTY, How.FALLBACK), (Op.SET_PROPERTY, How.FALLBACK), (Op.INVOKE, How.FALLBACK),
            (Op.CALL, How.FALLBACK)} <= seen
    assert not {how for _, how in seen} & {How.GUARD, How.LEAVE}


def test_an_object_site_that_ignores_its_guard_plan_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SpeculativeOperations, "miss_exit", lambda self, f, kind, operands: None)
    with pytest.raises(AssertionError, match="the plan says GUARD, the emitters did"):
        run_source(make_vm(shape_polymorphism_limit=4), PROGRAM)


def test_an_object_site_that_deoptimises_where_the_plan_falls_back_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def always_deopt(self: SpeculativeOperations, f: object, kind: GuardKind, operands: object) -> object:
        assert self.site is not None
        return self.site.deopt_exit(Guard(kind))[0]
    monkeypatch.setattr(SpeculativeOperations, "miss_exit", always_deopt)
    with pytest.raises(AssertionError, match="the plan says FALLBACK, the emitters did"):
        run_source(make_vm(deopt=False, shape_polymorphism_limit=4), PROGRAM)
