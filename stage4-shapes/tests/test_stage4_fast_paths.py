"""Stage 4's shape-keyed fast paths are *taken*, site by site, not merely correct.

A shape, superclass or class guard that never matches changes no output: the
site deoptimises, the interpreter answers, and once the site stops
speculating it misses for ever (a ``super`` guard comparing the receiver's
class passed every other stage-4 test). One hot program holds one site of
each kind in ``main``'s loop (compiled by OSR) or in a method it calls; one
run reads, for each site, its own figures:

- ``--dump=deopt``: a deopt point *at that site* with its guard (``shape``,
  ``superclass``, ``class``), and what it trusts (so the site was compiled as
  a guard chain with the fast path behind it, and no generic path);
- ``--trace=deopt``: no deopt at that site (and ``deopt.total`` is 0);
- ``--stats``: no guard misses at that site, its function compiled.

The megamorphic stub cache has no counter or trace of its own; its tests look
into the native table in-process and change an entry, so that only an answer
*from the table* can explain what the site returns.
"""

from __future__ import annotations

import re

import pytest

from stage4_shapes.runtime import ObjectRuntime
from lox_testing.reports import assert_fast, assert_no_deopt_or_miss, compiled, deopts_at, guard_points, line_of
from stage4_helpers import Run, assert_clean, make_vm, run_program, run_source, shape_of_global


# Wide's first 64 instances (made by the interpreter) get one field, so slack tracking gives Wide one inline
# slot: from i = 101 on, its second field goes to an overflow store that the transition must first make.
# readv's site sees ten shapes (past shape_polymorphism_limit, 8): megamorphic, compiled to the generic lookup.
HOT = """\
class Point {
  init(x, y) { this.x = x; this.y = y; }             // init
  sum() { return this.x + this.y; }
}
class Base {
  size() { return 1; }
}
class Derived < Base {
  size() { return super.size() + 1; }                // super
}
class Bag {}
class Wide {}
class K0 { init() { this.v = 0; } }
class K1 { init() { this.v = 1; } }
class K2 { init() { this.v = 2; } }
class K3 { init() { this.v = 3; } }
class K4 { init() { this.v = 4; } }
class K5 { init() { this.v = 5; } }
class K6 { init() { this.v = 6; } }
class K7 { init() { this.v = 7; } }
class K8 { init() { this.v = 8; } }
class K9 { init() { this.v = 9; } }
fun readv(o) { return o.v; }                         // mega
fun main() {
  var p = Point(1, 2);
  var d = Derived();
  var k0 = K0(); var k1 = K1(); var k2 = K2(); var k3 = K3(); var k4 = K4();
  var k5 = K5(); var k6 = K6(); var k7 = K7(); var k8 = K8(); var k9 = K9();
  var total = 0;
  for (var i = 0; i < 3000; i = i + 1) {
    var q = Point(i, 1);                             // new
    total = total + q.x;                             // get
    q.y = i;                                         // set
    total = total + q.sum();                         // invoke
    total = total + d.size();                        // invoke super
    var m = p.sum;                                   // bind
    total = total + m();
    var b = Bag();
    b.f = i;                                         // transition
    var w = Wide();
    w.a = i;
    if (i > 100) w.b = i;                            // grow
    total = total + readv(k0) + readv(k1) + readv(k2) + readv(k3) + readv(k4)
      + readv(k5) + readv(k6) + readv(k7) + readv(k8) + readv(k9);
  }
  print total;
}
main();
"""


@pytest.fixture(scope="module")
def hot(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run of HOT with every report the tests read."""
    run = run_program(tmp_path_factory.mktemp("fast_paths"), HOT, "--stats", "--trace=deopt", "--dump=deopt,shapes")
    assert_clean(run, 0)
    assert run.stdout == "1.36455e+07\n", run.describe()
    return run


def test_no_deopt_and_no_guard_miss_anywhere(hot: Run) -> None:
    assert_no_deopt_or_miss(hot.stderr)


def test_field_get(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "get"), "GET_PROPERTY", "shape", "Point{x,y}: field inline slot 0")


def test_field_set_of_an_existing_field(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "set"), "SET_PROPERTY", "shape", "Point{x,y}: store field 1")


def test_cached_transitions(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "transition"), "SET_PROPERTY", "shape", "Bag{} -> Bag{f}: add field 0")
    line = line_of(HOT, "init")       # init's two transitions, inlined into main's loop or called
    points = guard_points(hot.stderr, "init", line, "SET_PROPERTY")
    assert any("trusts Point{} -> Point{x}: add field 0 x" in p for p in points), points
    assert any("trusts Point{x} -> Point{x,y}: add field 1 x" in p for p in points), points
    assert_fast(hot.stderr, "init", line, "SET_PROPERTY", "shape", "Point{")


def test_cached_transition_that_grows_the_overflow_store(hot: Run) -> None:
    # Wide keeps one inline slot after slack tracking, so field b (index 1) is the overflow store's first
    assert re.search(r"^\s+#\d+ Wide\{a,b\}  \(2 fields, 1 inline slots\)$", hot.stderr, re.M), hot.stderr
    assert_fast(hot.stderr, "main", line_of(HOT, "grow"), "SET_PROPERTY", "shape",
                "Wide{a} -> Wide{a,b}: add field 1 (grow overflow)")


def test_method_invoke(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "invoke"), "INVOKE", "shape", "Point{x,y}: method sum")
    assert_fast(hot.stderr, "main", line_of(HOT, "invoke super"), "INVOKE", "shape", "Derived{}: method size")


def test_super_invoke(hot: Run) -> None:
    assert_fast(hot.stderr, "size", line_of(HOT, "super"), "SUPER_INVOKE", "superclass", "class Base: super.size")


def test_bind(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "bind"), "GET_PROPERTY", "shape", "Point{x,y}: method sum")


def test_class_call_with_init(hot: Run) -> None:
    assert_fast(hot.stderr, "main", line_of(HOT, "new"), "CALL", "class", "class Point")


def test_megamorphic_site_runs_the_generic_lookup_without_deopts(hot: Run) -> None:
    line = line_of(HOT, "mega")
    site = [text for text in hot.stderr_lines if text.startswith(f"readv line {line} GET_PROPERTY 'v': ")]
    assert len(site) == 1 and site[0].startswith(f"readv line {line} GET_PROPERTY 'v': megamorphic: "), site
    assert guard_points(hot.stderr, "readv", line, "GET_PROPERTY") == []        # no guard chain: the generic lookup
    assert deopts_at(hot.stderr, "readv", line, "GET_PROPERTY") == []
    assert compiled(hot.stderr, "readv"), hot.stderr


# The stub cache, in-process: ten classes whose instances hold w (slot 0) then v (slot 1), and a method m.
MEGA = "".join(f"class K{n} {{ init() {{ this.w = {100 + n}; this.v = {n}; }} m() {{ return {n}; }} }}\n"
               f"var k{n} = K{n}();\n" for n in range(10)) + """\
fun readv(o) { return o.v; }
fun callm(o) { return o.m(); }
var total = 0;
for (var i = 0; i < 1000; i = i + 1) {
  total = total + readv(k0) + readv(k1) + readv(k2) + readv(k3) + readv(k4)
    + readv(k5) + readv(k6) + readv(k7) + readv(k8) + readv(k9);
  total = total + callm(k0) + callm(k1) + callm(k2) + callm(k3) + callm(k4)
    + callm(k5) + callm(k6) + callm(k7) + callm(k8) + callm(k9);
}
print total;
"""
FIELD_ONE = 1 << 2 | 1        # lox_resolve's answer "field 1"
FIELD_ZERO = 0 << 2 | 1


def stub_entries(words: memoryview, header: int) -> list[int]:
    """Word indexes of the stub-cache entries (header, key, answer, unused) kept for one shape."""
    return [e for e in range(0, len(words), 4) if words[e] == header]


def test_megamorphic_method_lookups_are_answered_by_the_stub_cache() -> None:
    vm = make_vm()
    assert run_source(vm, MEGA) == "90000\n"
    assert isinstance(vm.runtime, ObjectRuntime)
    words = vm.runtime.stub_cache.words
    methods = {}
    for name in ("k3", "k4"):
        kept = [e for e in stub_entries(words, shape_of_global(vm, name).header) if words[e + 2] & 3 != 1]
        assert len(kept) == 1, f"{name}: stub-cache entries {kept}"
        methods[name] = kept[0]
    # K3's entry now answers K4's m: only a lookup answered by the table can call it
    words[methods["k3"] + 2] = words[methods["k4"] + 2]
    assert run_source(vm, "print callm(k3);") == "4\n"


def test_megamorphic_field_lookups_are_answered_by_the_stub_cache() -> None:
    vm = make_vm()
    assert run_source(vm, MEGA) == "90000\n"
    assert isinstance(vm.runtime, ObjectRuntime)
    words = vm.runtime.stub_cache.words
    kept = [e for e in stub_entries(words, shape_of_global(vm, "k3").header) if words[e + 2] == FIELD_ONE]
    assert len(kept) == 1, f"stub-cache entries for K3{{w,v}}.v: {kept}"
    words[kept[0] + 2] = FIELD_ZERO       # now says v is field 0 (w): only an answer from the table reads w
    assert run_source(vm, "print readv(k3);") == "103\n"
