"""Classes and shapes the program dropped are forgotten; what caches and compiled code name is not.

A class declared in a function gets a new class object (and shapes) per call. Each test below checks
one holder of ``weak.py``'s table, and the ones that say a holder is a root also take the root away and
watch the object go, so none can pass by accident.
"""

from __future__ import annotations

import array

import pytest

from stage0_jit.values import ADDRESS_MASK
from stage4_shapes.runtime import ObjectRuntime
from stage5_gc.vm import GCVM
from stage5_gc.weak import WeakTables

from stage5_helpers import global_value, make_vm, run_source

# make(i) declares a class per call; the last one made is kept in a global.
MAKER = """\
fun make(i) {
  class Point { init(x) { this.x = x; this.y = x + 1; } }
  return Point(i);
}
var kept;
for (var i = 0; i < 200; i = i + 1) kept = make(i);
print kept.y;
"""


def class_names(vm: GCVM) -> list[str]:
    """The names of the classes the object model still holds."""
    return [klass.name for klass in vm.objects.classes.values()]


def test_dropped_classes_die_at_a_full_collection_not_a_young_one() -> None:
    """200 classes made, one kept: a young collection keeps them all (registered objects are its roots);
    a full one forgets every one nothing reaches, with its shapes."""
    vm = make_vm(jit="off")
    assert run_source(vm, MAKER) == "200\n"
    vm.collector.collect(False, "test")
    assert len(vm.objects.classes) == 200
    shapes_before = len(vm.objects.shapes.shapes)
    vm.collector.collect(True, "test")
    live = len(vm.objects.classes)
    assert 1 <= live <= 1 + vm.settings.shape_polymorphism_limit + vm.settings.polymorphism_limit
    kept = vm.objects.shape_of(global_value(vm, "kept") & ADDRESS_MASK)
    assert kept.klass in vm.objects.classes.values()
    assert len(vm.objects.shapes.shapes) < shapes_before // 10
    assert all(shape.header in vm.objects.shapes.by_header for shape in vm.objects.shapes.shapes.values())
    assert vm.gc_heap.registered_count == live + len(vm.objects.shapes.shapes)
    assert run_source(vm, "print make(5).y;") == "6\n"       # the program goes on making them

# Two classes seen by one property site, then dropped by the program.
CACHED = """\
fun make(i) { class C { init() { this.a = i; } } return C(); }
fun get(o) { return o.a; }
var total = 0;
for (var i = 0; i < 2; i = i + 1) total = total + get(make(i));
print total;
"""


def test_a_class_only_an_inline_cache_names_survives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The site ``o.a`` holds both shapes it saw: a full collection keeps their classes (a new shape at a
    freed address would pass the cache's check); without caches as roots, they go."""
    vm = make_vm(jit="off")
    assert run_source(vm, CACHED) == "1\n"
    vm.collector.collect(True, "test")
    assert class_names(vm).count("C") == 2
    monkeypatch.setattr(WeakTables, "cache_values", lambda self: array.array("Q"))
    vm.collector.collect(True, "test")
    assert class_names(vm).count("C") == 0


def test_what_compiled_code_names_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled ``get`` guards on both shapes: they stay pinned even with caches no roots at all."""
    vm = make_vm(threshold=3)
    source = "var a = make(1);\nvar b = make(2);\nfor (var i = 0; i < 30; i = i + 1) total = total + get(a) + get(b);\n" \
             "a = nil;\nb = nil;\nprint total;\n"
    assert run_source(vm, CACHED + source) == "1\n91\n"
    assert any(vm.versions[vm.index_of(record)] for record in vm.records if record.name == "get")
    monkeypatch.setattr(WeakTables, "cache_values", lambda self: array.array("Q"))
    vm.collector.collect(True, "test")
    assert class_names(vm).count("C") >= 2


def test_a_dead_dictionary_mode_instance_leaves_no_index() -> None:
    """The Python index of a dictionary-mode instance goes with the instance, at a young collection."""
    vm = make_vm(jit="off", max_shape_fields=2)
    source = "class D {}\nfun f() { var d = D(); d.a = 1; d.b = 2; d.c = 3; return d.a + d.c; }\nprint f();\n"
    assert run_source(vm, source) == "4\n"
    assert len(vm.objects.dictionary_index) == 1
    vm.collector.collect(False, "test")
    assert len(vm.objects.dictionary_index) == 0


def test_the_stub_cache_is_cleared_when_a_shape_is_forgotten() -> None:
    """Megamorphic answers may name a forgotten shape: the stub cache starts empty after such a collection,
    and stays as it is after one that forgot nothing."""
    vm = make_vm(jit="off")
    assert run_source(vm, MAKER) == "200\n"
    assert isinstance(vm.runtime, ObjectRuntime)
    stub = vm.runtime.stub_cache
    stub.words[0] = 12345
    vm.collector.collect(True, "test")
    assert stub.words[0] == 0
    stub.words[0] = 12345
    vm.collector.collect(True, "test")
    assert stub.words[0] == 12345
