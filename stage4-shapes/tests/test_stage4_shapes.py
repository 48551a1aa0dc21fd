"""Hidden classes: shared shapes, the transition tree, slack tracking, dictionary mode and the shape-keyed caches.

Where a program can show it, a test runs ``python -m stage4_shapes`` and
reads its output, ``--stats`` and ``--dump=shapes``; the shape tree itself,
the instances' layout and what each cache holds are read in-process from a
:class:`~stage4_shapes.vm.ShapesVM` after it ran a program.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lox_testing.oracle import evaluate
from stage0_jit.values import ADDRESS_MASK
from stage2_ic.feedback import ICState
from stage4_shapes.caches import ClassTarget, FieldHit, MethodHit, StoreHit, SuperHit
from stage4_shapes.objects import FIELDS, INSTANCE, SHAPE, instance_size, overflow_capacity
from stage4_shapes.settings import Settings
from stage4_shapes.shapes import Shape
from stage4_shapes.vm import ShapesVM
from stage4_helpers import (MODES, assert_clean, global_value, make_vm, record, run_everywhere, run_program,
                            run_source, shape_caches, shape_of_global, stats_counter)

DEFAULTS = Settings()

POINTS = """\
class Point { init(x, y) { this.x = x; this.y = y; } }
var a = Point(1, 2);
var b = Point(3, 4);
fun make() { return Point(5, 6); }
var c = make();
var d = Point(7, 8);
d.z = 9;
print a.x + b.y + c.x + d.z;
"""


def class_shapes(vm: ShapesVM, name: str) -> list[Shape]:
    """Every shape of class ``name`` (its tree and its dictionary shape), in order of creation."""
    return [s for s in vm.objects.shapes.shapes.values() if s.klass.name == name]


def overflow_store(vm: ShapesVM, name: str) -> int:
    """The address of the overflow store of the instance in global ``name`` (0: none)."""
    address = global_value(vm, name) & ADDRESS_MASK
    return int(vm.runtime.heap.field(address, INSTANCE, "overflow"))


# ---------------------------------------------------------------- shared shapes and the tree
def test_instances_with_the_same_fields_in_the_same_order_share_a_shape() -> None:
    vm = make_vm()
    assert run_source(vm, POINTS) == "19\n"
    a, b, c, d = (shape_of_global(vm, n) for n in "abcd")
    assert a is b is c
    assert a.describe() == "Point{x,y}"
    assert a.fields == {"x": 0, "y": 1}
    # What the caches key on: the instances' header words are one and the same word.
    model = vm.objects
    assert model.key(global_value(vm, "a")) == model.key(global_value(vm, "c")) == a.header
    # One more field: the next shape down the same branch.
    assert d.parent is a
    assert a.transitions == {"z": d}
    assert d.fields == {"x": 0, "y": 1, "z": 2}
    assert [s.describe() for s in class_shapes(vm, "Point")] == ["Point{}", "Point{x}", "Point{x,y}", "Point{x,y,z}"]


def test_fields_in_another_order_make_another_branch_of_the_tree() -> None:
    vm = make_vm()
    source = """\
class P {}
var a = P(); a.x = 1; a.y = 2;
var b = P(); b.y = 3; b.x = 4;
var c = P(); c.y = 5; c.x = 6;
print a.x; print a.y; print b.x; print b.y;
"""
    assert run_source(vm, source) == "1\n2\n4\n3\n"
    a, b, c = (shape_of_global(vm, n) for n in "abc")
    assert a is not b
    assert b is c
    assert a.fields == {"x": 0, "y": 1}
    assert b.fields == {"y": 0, "x": 1}
    root = vm.objects.classes[0].root
    assert root is not None
    assert a.parent is not None and b.parent is not None
    assert a.parent.parent is root and b.parent.parent is root
    assert sorted(root.transitions) == ["x", "y"]
    assert root.transitions["x"].transitions == {"y": a}
    assert root.transitions["y"].transitions == {"x": b}


def test_the_native_shape_objects_mirror_the_tree() -> None:
    vm = make_vm()
    run_source(vm, POINTS)
    heap = vm.runtime.heap
    d = shape_of_global(vm, "d")
    assert d.parent is not None
    words = {name: heap.field(d.address, SHAPE, name) for name in
             ("class", "parent", "index", "field_count", "inline_capacity", "id", "dictionary")}
    assert words == {"class": d.klass.address, "parent": d.parent.address, "index": 2, "field_count": 3,
                     "inline_capacity": d.inline_capacity, "id": d.id, "dictionary": 0}
    assert vm.objects.name_text(heap.field(d.address, SHAPE, "name")) == "z"
    # The parent's transition table (name -> child shape) holds the one transition it has.
    pairs = vm.objects.pairs.items(heap.field(d.parent.address, SHAPE, "transitions"))
    assert [(vm.objects.name_text(name), child) for name, child in pairs] == [("z", d.address)]


def test_transitions_are_reused_so_the_tree_does_not_grow() -> None:
    vm = make_vm()
    run_source(vm, "class P { init() { this.a = 1; this.b = 2; this.c = 3; } } var first = P();")
    table = vm.objects.shapes
    shapes, transitions = len(table.shapes), table.transitions_made
    assert (shapes, transitions) == (4, 3)
    # 999 more, enough for init and the loop to be compiled and to make the transitions in compiled code.
    out = run_source(vm, "var last; for (var i = 0; i < 999; i = i + 1) last = P(); print last.a + last.c;")
    assert out == "4\n"
    assert (len(table.shapes), table.transitions_made) == (4, 3)
    assert shape_of_global(vm, "last") is shape_of_global(vm, "first")
    assert vm.stats.counters.get("tier.compiled", 0) >= 1, "nothing was compiled: the test would prove less"


MANY_POINTS = """\
class P { init(n) { this.a = n; this.b = n + 1; this.c = n + 2; } }
var s = 0;
for (var i = 0; i < 1000; i = i + 1) { var p = P(i); s = s + p.c - p.a; }
print s;
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_thousand_instances_make_three_transitions_in_every_mode(tmp_path: Path, mode: str) -> None:
    run = run_program(tmp_path, MANY_POINTS, *MODES[mode], "--stats")
    assert_clean(run, 0)
    assert run.stdout == "2000\n"
    assert stats_counter(run.stderr, "shapes.total") == 4
    assert stats_counter(run.stderr, "shapes.transitions") == 3
    assert stats_counter(run.stderr, "classes.total") == 1


# ---------------------------------------------------------------- slack tracking
BAGS = """\
class Bag {}
fun fill(n) { var b = Bag(); b.a = 1; b.b = 2; if (n > 60) b.c = 3; return b; }
for (var i = 0; i < 63; i = i + 1) fill(i);
"""


def test_slack_tracking_keeps_as_many_inline_slots_as_the_most_fields_any_instance_got() -> None:
    vm = make_vm()
    run_source(vm, BAGS)
    shapes = class_shapes(vm, "Bag")
    assert [s.describe() for s in shapes] == ["Bag{}", "Bag{a}", "Bag{a,b}", "Bag{a,b,c}"]
    assert vm.objects.classes[0].instances == 63
    assert [s.inline_capacity for s in shapes] == [DEFAULTS.inline_slots_while_tracking] * 4
    run_source(vm, "fill(63);")             # the 64th instance: the class learns from the first ones
    assert DEFAULTS.slack_tracking_instances == 64
    assert [s.inline_capacity for s in shapes] == [3, 3, 3, 3]
    heap = vm.runtime.heap
    assert [heap.field(s.address, SHAPE, "inline_capacity") for s in shapes] == [3, 3, 3, 3]
    # New instances are exactly that big: two made one after the other lie instance_size(3) bytes apart.
    run_source(vm, "var z1; var z2; fun two() { z1 = Bag(); z2 = Bag(); } two();")
    assert global_value(vm, "z2") - global_value(vm, "z1") == instance_size(3)


def test_fields_past_the_learned_inline_slots_go_to_the_overflow_store_and_read_back() -> None:
    vm = make_vm()
    run_source(vm, BAGS + "fill(63);")
    out = run_source(vm, """\
var z = Bag();
z.a = 10; z.b = 11; z.c = 12; z.d = 13; z.e = 14; z.f = 15; z.g = 16; z.h = 17; z.i = 18; z.j = 19;
print z.a + z.b + z.c;
print z.d; print z.e; print z.f; print z.g; print z.h; print z.i; print z.j;
var old = fill(0);
old.q = 7; old.r = 8;
print old.a + old.q + old.r;
""")
    assert out == "33\n13\n14\n15\n16\n17\n18\n19\n16\n"
    shape = shape_of_global(vm, "z")
    assert list(shape.fields) == list("abcdefghij")
    assert shape.inline_capacity == 3
    store = overflow_store(vm, "z")
    assert store != 0
    assert vm.runtime.heap.field(store, FIELDS, "capacity") == overflow_capacity(7) == 8
    # An instance made before the class learned (with 8 inline slots) follows the same shapes.
    assert shape_of_global(vm, "old").inline_capacity == 3
    assert overflow_store(vm, "old") != 0


TREE = """\
class Node {
  init(depth) {
    if (depth > 0) { this.left = Node(depth - 1); this.right = Node(depth - 1); }
    else { this.left = nil; this.right = nil; }
    this.depth = depth;
  }
  count() { if (this.depth == 0) return 1; return 1 + this.left.count() + this.right.count(); }
}
var root = Node(7);
print root.count();
print root.left.right.left.depth;
"""


def test_a_tree_shaped_init_still_learns_the_right_inline_count() -> None:
    # The children are made before the parent's fields: the first instances are unfinished ancestors.
    vm = make_vm()
    assert run_source(vm, TREE) == "255\n4\n"
    node = shape_of_global(vm, "root")
    assert node.describe() == "Node{left,right,depth}"
    assert {s.inline_capacity for s in class_shapes(vm, "Node")} == {3}
    # Learning after as many instances as the tree is deep sees only unfinished ones: no inline slots at all
    # (still right, only slower): the reason slack_tracking_instances is not small.
    early = make_vm(slack_tracking_instances=4)
    assert run_source(early, TREE) == "255\n4\n"
    assert {s.inline_capacity for s in class_shapes(early, "Node")} == {0}


# ---------------------------------------------------------------- dictionary mode
def ten_thousand_fields() -> str:
    """An instance used as a map of 10,000 names; every value read back, then one it does not have."""
    n = 10_000
    lines = ["class Map {}", "var o = Map();"]
    lines += [f"o.f{i} = {i};" for i in range(n)]
    lines.append("var ok = 0;")
    lines += [f"if (o.f{i} == {i}) ok = ok + 1;" for i in range(n)]
    lines += ["print ok;", "print o.f0 + o.f5000 + o.f9999;",
              "fun three(m) { return m.f1 + m.f64 + m.f9998; }",
              "fun hot() { var t = 0; for (var i = 0; i < 1500; i = i + 1) t = t + three(o); return t; }",
              "print hot();",
              "o.f9999 = -1;",
              "print o.f9999;",
              "print o.missing;"]
    return "\n".join(lines) + "\n"


# Eager compilation of the 20,000-line script would take most of a minute (LLVM, not shapes); the other
# modes interpret the script and compile the hot function and its loop (kept out of the script: an OSR entry
# into the script would analyse all of it).
@pytest.mark.parametrize("mode", [m for m in MODES if m != "eager"])
def test_an_instance_with_ten_thousand_field_names_works_in_dictionary_mode(tmp_path: Path, mode: str) -> None:
    source = ten_thousand_fields()
    run = run_program(tmp_path, source, *MODES[mode], "--stats")
    assert_clean(run, 70)
    assert run.stdout == "10000\n14999\n1.50945e+07\n-1\n"
    errors = run.stderr.split("== stats ==")[0]
    line = source.splitlines().index("print o.missing;") + 1
    assert line > 20_000
    assert errors == f"Undefined property 'missing'.\n[line {line}] in script\n"
    # The tree stops at max_shape_fields; then the instance has its own table.
    assert stats_counter(run.stderr, "shapes.total") <= DEFAULTS.max_shape_fields + 3
    assert stats_counter(run.stderr, "shapes.transitions") == DEFAULTS.max_shape_fields
    assert stats_counter(run.stderr, "shapes.dictionary_instances") == 1


def test_an_instance_past_max_shape_fields_moves_its_fields_into_its_own_table() -> None:
    vm = make_vm(max_shape_fields=3)
    out = run_source(vm, """\
class M { get() { return "method"; } }
var m = M(); m.a = 1; m.b = 2; m.c = 3;
var before = m.a;
m.d = 4; m.e = 5;
var n = M(); n.x = 1; n.y = 2; n.z = 3; n.w = 4;
print m.a + m.b + m.c + m.d + m.e;
print m.get();
m.get = "field";
print m.get;
print n.w + n.x;
""")
    assert out == "15\nmethod\nfield\n5\n"
    m, n = shape_of_global(vm, "m"), shape_of_global(vm, "n")
    assert m is n
    assert m.dictionary
    assert m.describe() == "M{dictionary}"
    assert vm.objects.shapes.dictionary_instances == 2
    assert len(class_shapes(vm, "M")) == 1 + 3 + 3 + 1           # root, a b c, x y z, the dictionary shape
    assert m not in [child for s in class_shapes(vm, "M") for child in s.transitions.values()]
    table = vm.objects.dictionary_index[global_value(vm, "m") & ADDRESS_MASK]
    assert list(table) == ["a", "b", "c", "d", "e", "get"]


def test_shape_table_limits_lead_to_the_class_dictionary_shape() -> None:
    vm = make_vm(max_shape_fields=2, max_shapes_per_class=5)
    model = vm.objects
    table = model.shapes
    klass = model.class_of(model.new_class("K"))
    root = klass.root
    assert root is not None
    x = table.add_field(root, "x")
    assert table.add_field(root, "x") is x                 # the transition, not a second shape
    xy = table.add_field(x, "y")
    too_many = table.add_field(xy, "z")                    # a third field > max_shape_fields
    assert too_many.dictionary and too_many is klass.dictionary_shape
    y = table.add_field(root, "y")
    assert klass.shapes == 5                               # root, x, xy, dictionary, y
    assert table.add_field(y, "x") is too_many             # the class is full: no sixth shape
    assert klass.shapes == 5
    assert table.transitions_made == 3


# ---------------------------------------------------------------- many classes at one site
THOUSAND_CLASSES = """\
fun make(i) {
  class C { init(v) { this.x = v; } }
  return C(i);
}
var s = 0;
for (var i = 0; i < 1000; i = i + 1) {
  var o = make(i);
  s = s + o.x;
}
print s;
"""


def test_a_site_that_sees_a_thousand_classes_goes_megamorphic_and_shapes_stay_bounded(tmp_path: Path) -> None:
    assert run_everywhere(tmp_path, THOUSAND_CLASSES).stdout == "499500\n"
    run = run_program(tmp_path, THOUSAND_CLASSES, "--stats", "--dump=shapes")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "classes.total") == 1000
    assert stats_counter(run.stderr, "shapes.total") == 2000            # each class: its root and C{x}
    classes = re.findall(r"^class C: \d+ instances made by the runtime, (\d+) shapes$", run.stderr, re.MULTILINE)
    assert classes == ["2"] * 1000
    site = next(line for line in run.stderr.splitlines() if line.startswith("<script> line 8 GET_PROPERTY 'x': "))
    assert site.startswith("<script> line 8 GET_PROPERTY 'x': megamorphic: ")
    assert site.endswith(" (and more: past the polymorphism limit)")
    assert len(re.findall(r"#\d+ C\{x\}: field inline slot 0", site)) == DEFAULTS.shape_polymorphism_limit


def test_a_megamorphic_site_keeps_the_shapes_it_saw_first_and_still_answers() -> None:
    vm = make_vm(feedback_after=0, threshold=1_000_000)
    out = run_source(vm, """\
fun make(i) { class C { init(v) { this.x = v; } } return C(i); }
fun get(o) { return o.x; }
var s = 0;
for (var i = 0; i < 50; i = i + 1) s = s + get(make(i));
print s;
""")
    assert out == "1225\n"
    (site,) = shape_caches(vm, "get")
    assert site.state is ICState.MEGAMORPHIC
    limit = DEFAULTS.shape_polymorphism_limit
    assert len(site.cases) == len(site.by_key) == limit
    assert all(isinstance(c, FieldHit) and c.index == 0 for c in site.cases)
    assert len({c.header for c in site.cases if isinstance(c, FieldHit)}) == limit


# ---------------------------------------------------------------- too many shapes in one class
ORDERS = """\
class K {}
fun build(order, v) {
  var k = K();
  if (order == 0) { k.a = v; k.b = v + 1; k.c = v + 2; }
  if (order == 1) { k.a = v; k.c = v + 2; k.b = v + 1; }
  if (order == 2) { k.b = v + 1; k.a = v; k.c = v + 2; }
  if (order == 3) { k.b = v + 1; k.c = v + 2; k.a = v; }
  if (order == 4) { k.c = v + 2; k.a = v; k.b = v + 1; }
  if (order == 5) { k.c = v + 2; k.b = v + 1; k.a = v; }
  return k;
}
fun check(k, v) { return k.a == v and k.b == v + 1 and k.c == v + 2; }
var order = 0;
var good = 0;
var sum = 0;
for (var i = 0; i < 3000; i = i + 1) {
  var k = build(order, i);
  if (check(k, i)) good = good + 1;
  sum = sum + k.c - k.a;
  k.a = 0;
  sum = sum + k.a;
  order = order + 1;
  if (order == 6) order = 0;
}
print good;
print sum;
print build(5, 1).b;
"""


def test_fields_added_in_many_orders_push_a_class_to_dictionary_mode(tmp_path: Path) -> None:
    expected = evaluate(ORDERS, "")
    assert expected.stdout_text == "3000\n6000\n2\n"
    limited = {mode: (*flags, "--set", "max_shapes_per_class=4") for mode, flags in MODES.items()}
    run = run_everywhere(tmp_path, ORDERS, limited)
    assert (run.stdout, run.stderr, run.status) == (expected.stdout_text, "", 0)
    run = run_program(tmp_path, ORDERS, "--set", "max_shapes_per_class=4", "--stats", "--dump=shapes")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "shapes.dictionary_instances") > 2000
    assert re.search(r"^class K: \d+ instances made by the runtime, 5 shapes$", run.stderr, re.MULTILINE)
    assert re.search(r"^  #\d+ K\{dictionary\} \(instances that outgrew the limits\)$", run.stderr, re.MULTILINE)
    # Without the limit the tree holds every order: 1 + 3 + 6 + 6 shapes.
    run = run_program(tmp_path, ORDERS, "--stats")
    assert_clean(run, 0)
    assert run.stdout == expected.stdout_text
    assert stats_counter(run.stderr, "shapes.total") == 16
    assert stats_counter(run.stderr, "shapes.dictionary_instances") == 0


# ---------------------------------------------------------------- fields that shadow methods
SHADOW = """\
class A { init(k) { this.k = k; } m(x) { return x + this.k; } }
fun twice(x) { return x * 2; }
fun call(o, x) { return o.m(x); }
fun read(o) { return o.m; }
var s = 0;
for (var i = 0; i < 2000; i = i + 1) s = s + call(A(1), 1) + read(A(2))(1);
print s;
var f = A(0);
f.m = twice;
print call(f, 21);
print read(f);
print read(f)(4);
print call(A(5), 1);
f.m = "not callable";
print read(f);
print call(f, 1);
"""


def test_a_field_shadows_a_method_at_a_site_that_had_cached_the_method(tmp_path: Path) -> None:
    run = run_everywhere(tmp_path, SHADOW)
    assert run.status == 70
    assert run.stdout == "10000\n42\n<fn twice>\n8\n6\nnot callable\n"
    assert run.stderr == "Can only call functions and classes.\n[line 3] in call()\n[line 16] in script\n"


def test_the_cache_of_a_site_that_saw_a_method_and_then_a_shadowing_field() -> None:
    vm = make_vm(feedback_after=0, threshold=1_000_000)
    out = run_source(vm, SHADOW.split("f.m = \"not")[0])
    assert out == "10000\n42\n<fn twice>\n8\n6\n"
    (invoke,) = shape_caches(vm, "call")
    (get,) = shape_caches(vm, "read")
    for site in (invoke, get):
        assert site.state is ICState.POLYMORPHIC
        method, field = site.cases
        assert isinstance(method, MethodHit) and method.shape == "A{k}" and method.name == "m"
        assert isinstance(field, FieldHit) and field.shape == "A{k,m}" and field.index == 1
        assert {key: case for key, (case, _) in site.by_key.items()} == {method.header: method, field.header: field}


# ---------------------------------------------------------------- the caches
def test_store_sites_cache_transitions_and_whether_they_grow_the_overflow_store() -> None:
    vm = make_vm(feedback_after=0, threshold=1_000_000, slack_tracking_instances=2)
    run_source(vm, """\
class K { init() { this.a = 1; this.b = 2; } }
K(); K();
fun grow(o) { o.c = 3; o.d = 4; o.e = 5; o.f = 6; o.g = 7; o.a = 0; return o; }
var k = grow(K());
print k.a + k.c + k.g;
""")
    sites = shape_caches(vm, "grow")
    cases = [site.cases for site in sites]
    assert all(len(c) == 1 for c in cases)
    hits = [c[0] for c in cases]
    assert all(isinstance(h, StoreHit) for h in hits)
    stores = [h for h in hits if isinstance(h, StoreHit)]
    assert [(h.index, h.inline, h.grows) for h in stores] == [
        (2, 2, True),          # the first field past the two inline slots: a store of 4 is made
        (3, 2, False), (4, 2, False), (5, 2, False),
        (6, 2, True),          # the fifth overflow field: the store grows to 8
        (0, 2, False)]         # an existing field: no transition
    assert [h.new_shape for h in stores] == ["K{a,b,c}", "K{a,b,c,d}", "K{a,b,c,d,e}", "K{a,b,c,d,e,f}",
                                             "K{a,b,c,d,e,f,g}", "K{a,b,c,d,e,f,g}"]
    assert stores[-1].header == stores[-1].new_header
    assert all(s.new_header == t.header for s, t in zip(stores[:4], stores[1:5]))


def test_a_site_never_caches_a_dictionary_mode_instance() -> None:
    vm = make_vm(feedback_after=0, threshold=1_000_000, max_shape_fields=1)
    assert run_source(vm, """\
class D {}
fun get(o) { return o.y; }
var d = D(); d.x = 1; d.y = 2;
print get(d) + get(d);
""") == "4\n"
    (site,) = shape_caches(vm, "get")
    assert site.state is ICState.UNINITIALISED
    assert site.cases == [] and site.by_key == {}


def test_super_and_class_call_sites_cache_on_the_class() -> None:
    vm = make_vm(feedback_after=0, threshold=1_000_000)
    out = run_source(vm, """\
class A { init(v) { this.v = v; } get() { return this.v; } }
class B < A { get() { return super.get() + 1; } }
class C < A { get() { return super.get() + 2; } }
fun make(k, v) { return k(v); }
print make(B, 1).get() + make(C, 1).get();
""")
    assert out == "5\n"
    model = vm.objects
    a, b, c = (global_value(vm, n) for n in "ABC")
    supers = [s for r in vm.records if r.name == "get" for s in r.feedback.values()
              if s.cases and isinstance(s.cases[0], SuperHit)]
    assert len(supers) == 2                                 # B's get and C's get
    for site in supers:
        (hit,) = site.cases
        assert isinstance(hit, SuperHit) and hit.superclass == a and hit.name == "get"
        assert model.class_of(a).methods["get"] == hit.closure
    (call,) = [cache for cache in record(vm, "make").feedback.values()
               if any(isinstance(x, ClassTarget) for x in cache.cases)]
    assert call.state is ICState.POLYMORPHIC
    targets = [t for t in call.cases if isinstance(t, ClassTarget)]
    assert [(t.klass, t.name, t.arity) for t in targets] == [(b, "B", 1), (c, "C", 1)]
    assert targets[0].initializer == model.class_of(a).initializer     # init inherited from A


def test_stage_3_analysis_knows_class_opcodes_only_through_the_vm_hook() -> None:
    """Stage 3's type analysis reads a class opcode's pops and pushes from the opcode table; stage 4's
    ``opcode_types`` adds that ``obj.f = value`` leaves the value (a number here), so ``+`` after it is
    planned on numbers; without the hook the same store leaves a value of unknown type."""
    from stage1_interp.bytecode import Op
    from stage3_deopt.analysis import Known, Speculator, analyse
    vm = make_vm(jit="off")
    run_source(vm, "class P {} fun f(p) { return (p.x = 2) + 1; } print f(P());")
    rec = record(vm, "f")
    (add,) = [i for i, op in enumerate(rec.code.chunk.ops) if op == Op.ADD]
    with_hook = analyse(rec, Speculator(rec, True, opcode_types=vm.opcode_types())).before[add]
    without = analyse(rec, Speculator(rec, True)).before[add]
    assert with_hook is not None and without is not None
    assert with_hook.stack[-2][0] != Known.VALUE      # the constant 2 (or a number), from the hook
    assert without.stack[-2][0] == Known.VALUE        # the generic rule: the table's one push, type unknown
