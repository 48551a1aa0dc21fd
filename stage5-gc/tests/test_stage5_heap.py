"""The managed heap and the collector, built up by hand: descriptors, cycles, deep chains, cards, roots.

Each test that says a root or barrier matters also breaks it and watches the verifier fail, so none of
them can pass by accident.
"""

from __future__ import annotations

import pytest

from stage0_jit.layout import CELL, CLOSURE, LAYOUTS, STRING, Kind
from stage0_jit.values import ADDRESS_MASK
from stage4_shapes.objects import INSTANCE, PAIRS, ObjectKind
from stage5_gc import descriptors as tracer
from stage5_gc.bytecode_jit import FrameRoots
from stage5_gc.heap import LINE
from stage5_gc.roots import Roots

from stage5_helpers import global_value, make_vm, run_source


def test_every_kind_is_described_from_the_layout_table() -> None:
    """Each kind's descriptor says what its layout says: traced words, tail and where its length is."""
    table = tracer.descriptors()

    def row(kind: int) -> list[int]:
        return table[kind * tracer.DESCRIPTOR_WORDS:(kind + 1) * tracer.DESCRIPTOR_WORDS]
    assert row(Kind.STRING)[tracer.D_TAIL] == tracer.TAIL_BYTES
    assert row(Kind.STRING)[tracer.D_COUNT] == STRING.index("length")
    closure = row(Kind.CLOSURE)
    assert closure[tracer.D_POINTER_MASK] == 1 << CLOSURE.index("function")
    assert closure[tracer.D_TAIL] == tracer.TAIL_POINTERS
    assert row(Kind.CELL)[tracer.D_VALUE_MASK] == 1 << CELL.index("value")
    instance = row(ObjectKind.INSTANCE)
    assert instance[tracer.D_VIA_HEADER] == 1 and instance[tracer.D_TAIL] == tracer.TAIL_VALUES
    assert instance[tracer.D_POINTER_MASK] == 1 << INSTANCE.index("overflow")
    assert row(ObjectKind.PAIRS)[tracer.D_SCALE] == 2 and row(ObjectKind.PAIRS)[tracer.D_COUNT] == \
        PAIRS.index("capacity")
    assert all(row(kind)[tracer.D_VALID] for kind in LAYOUTS)
    assert not row(200)[tracer.D_VALID]


def collect(vm: object, full: bool = False) -> None:
    """A collection now (as at a safepoint)."""
    from stage5_gc.vm import GCVM
    assert isinstance(vm, GCVM)
    vm.collector.collect(full, "test")


def test_cycles_survive_and_garbage_lines_come_free() -> None:
    """A cycle reachable from a global survives young and full collections; a dropped one (a ring of 2,000)
    is reclaimed by the full collection, and its lines are reused by the next allocations."""
    vm = make_vm(gc_verify=True, jit="off")
    run_source(vm, "class N { init() { this.next = nil; this.pad = \"x\"; } }\n"
                   "var a = N(); var b = N(); a.next = b; b.next = a;\n"
                   "var junk = nil;\n"
                   "for (var i = 0; i < 2000; i = i + 1) { var c = N(); c.next = junk; junk = c; }\n"
                   "var first = junk; while (first.next != nil) first = first.next; first.next = junk; first = nil;\n")
    collect(vm)
    used_before = vm.collector.old_bytes
    run_source(vm, "junk = nil;")
    collect(vm, full=True)
    assert vm.collector.old_bytes < used_before
    assert run_source(vm, "print a.next.next == a; print b.next.next == b;") == "true\ntrue\n"
    heap = vm.gc_heap
    assert heap.run_count > 0
    frontier = heap.frontier
    run_source(vm, "for (var i = 0; i < 500; i = i + 1) { var c = N(); }")
    assert heap.frontier == frontier, "allocation should have reused the freed lines"


def test_a_deep_chain_is_marked_without_recursion() -> None:
    """A linked list of 100,000 nodes: marking is a loop over an explicit stack."""
    vm = make_vm(gc_verify=True, jit="off")
    run_source(vm, "class L { init(n) { this.next = n; } }\n"
                   "var head = nil; for (var i = 0; i < 100000; i = i + 1) head = L(head);\n")
    collect(vm, full=True)
    assert vm.collector.history[-1].survivors >= 100000
    assert run_source(vm, "var n = 0; var p = head; while (p != nil) { n = n + 1; p = p.next; } print n;") == \
        "100000\n"


def test_an_old_object_written_after_a_collection_is_found_through_its_card() -> None:
    """A young object stored only into an old one survives a young collection because the store marked the
    old object's card; with the card wiped, the verifier reports the young object unmarked."""
    vm = make_vm(jit="off")
    run_source(vm, "class B { init() { this.v = nil; } } var box = B();")
    collect(vm)                                       # box is old now
    run_source(vm, "box.v = B(); box.v.v = \"young\";")
    heap = vm.gc_heap
    box = global_value(vm, "box") & ADDRESS_MASK
    assert heap.is_marked(box)
    card = (box - heap.base) >> heap.CARD_SHIFT
    assert heap.cards[card] == 1
    heap.cards[card] = 0                              # as if the write barrier had been forgotten
    vm.collector.verify = True
    with pytest.raises(AssertionError, match="reachable objects unmarked"):
        collect(vm)


def test_the_barrier_keeps_a_young_object_stored_into_an_old_one() -> None:
    """The same program with its card intact: verified, and the young value is still there."""
    vm = make_vm(jit="off", gc_verify=True)
    run_source(vm, "class B { init() { this.v = nil; } } var box = B();")
    collect(vm)
    run_source(vm, "box.v = B(); box.v.v = \"young\";")
    collect(vm)
    collect(vm)
    assert run_source(vm, "print box.v.v;") == "young\n"


# A value only a suspended frame holds: `keep` is in f's slot while g runs and allocates.
ONLY_IN_A_FRAME = """\
class Node { init(x) { this.x = x; } }
fun churn() { var s = 0; for (var i = 0; i < 300; i = i + 1) { var n = Node(i); s = s + n.x; } return s; }
fun f(k) { var keep = Node(k); var s = churn(); return keep.x + s; }
var t = 0;
for (var j = 0; j < 30; j = j + 1) t = t + f(j);
print t == 1345935;
"""


@pytest.mark.parametrize("jit", ["off", "eager", "tiered"])
def test_an_object_held_only_by_a_suspended_frame_survives(jit: str) -> None:
    """Interpreted activations and compiled frames' root areas are roots, under a collection at every
    safepoint after an allocation."""
    vm = make_vm(jit=jit, gc_stress=True, gc_verify=True, threshold=3)
    assert run_source(vm, ONLY_IN_A_FRAME) == "true\n"
    assert len(vm.collector.history) > 100


# A value only a compiled frame's parameter holds: `keep` is passed straight into g (the caller keeps no
# copy) and g never assigns it, so g's prologue stores it in its root area once (``fixed_slots``).
ONLY_A_PARAMETER = """\
class Node { init(x) { this.x = x; } }
fun churn() { var s = 0; for (var i = 0; i < 300; i = i + 1) { var n = Node(i); s = s + n.x; } return s; }
fun g(keep, other) { var s = churn(); return keep.x + s + other; }
fun f(k) { return g(Node(k), 1); }
var t = 0;
for (var j = 0; j < 30; j = j + 1) t = t + f(j);
print t == 1345965;
"""


@pytest.mark.parametrize("jit", ["eager", "tiered"])
def test_an_object_held_only_by_an_unassigned_parameter_survives(jit: str) -> None:
    """A parameter the body never assigns is a root for the whole activation, stored by the prologue."""
    vm = make_vm(jit=jit, gc_stress=True, gc_verify=True, threshold=3)
    assert run_source(vm, ONLY_A_PARAMETER) == "true\n"
    assert len(vm.collector.history) > 100


def broken_run(vm: object) -> tuple[int, str]:
    """Run ONLY_IN_A_FRAME; (status, output)."""
    import io
    from stage5_gc.vm import GCVM
    assert isinstance(vm, GCVM) and isinstance(vm.runtime.out, io.BytesIO)
    try:
        status = vm.run_source(ONLY_IN_A_FRAME)
    except AssertionError:                            # the verifier saw a dangling object's header
        return -1, ""
    return status, vm.runtime.out.getvalue().decode("latin-1")


def test_without_compiled_frames_root_areas_objects_are_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled code that never spills (and stores no parameters in its prologue) loses its frame's
    objects: the program goes wrong. (The verifier
    cannot see a missing root, since it starts from the same roots; the stress test sees its effects.)"""
    monkeypatch.setattr(FrameRoots, "spill", lambda self, b, offset, consumed=0: None)
    monkeypatch.setattr(FrameRoots, "fixed_slots", lambda self: [])     # nor the prologue's parameters
    status, output = broken_run(make_vm(jit="eager", gc_stress=True))
    assert status != 0 or output != "true\n"


def test_without_interpreter_activations_objects_are_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interpreter whose activations are not roots loses its frames' objects: the program goes wrong."""
    import array
    monkeypatch.setattr(Roots, "interpreter_values", lambda self: array.array("Q"))
    status, output = broken_run(make_vm(jit="off", gc_stress=True))
    assert status != 0 or output != "true\n"


def test_allocation_loops_run_in_bounded_memory() -> None:
    """Instances, strings, closures and lists of cells made and dropped a million bytes at a time: the
    heap's frontier stays within a few nurseries of the live data."""
    vm = make_vm(nursery_kb=256)
    run_source(vm, """\
class P { init(x, y) { this.x = x; this.y = y; } }
fun counter() { var n = 0; fun inc() { n = n + 1; return n; } return inc; }
var s = 0;
for (var i = 0; i < 60000; i = i + 1) {
  var p = P(i, i);
  var c = counter();
  var t = "a" + "b";
  s = s + p.x + c();
}
print s;
""")
    heap = vm.gc_heap
    assert heap.total_handed_out > 4 * (heap.frontier - heap.base)
    assert heap.frontier - heap.base < 4 << 20
    assert vm.collector.history


def test_large_objects_get_lines_of_their_own_and_come_free() -> None:
    """A string past large_object_kb goes to the frontier in whole lines; dropped, its lines are reused."""
    vm = make_vm(jit="off", large_object_kb=1, gc_verify=True)
    run_source(vm, "var s = \"0123456789\"; for (var i = 0; i < 8; i = i + 1) s = s + s;")
    heap = vm.gc_heap
    assert heap.large_bytes >= 2560
    assert (heap.frontier - heap.base) % LINE == 0
    run_source(vm, "s = nil;")
    collect(vm, full=True)
    assert vm.collector.old_bytes < 2560



def test_the_tracer_image_is_kept_between_runs(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first VM compiles the tracer and keeps its image; the next links the kept one; with the cache off
    every VM compiles. Each collects the same."""
    monkeypatch.setenv("LOX_CODE_CACHE", str(tmp_path))
    program = "class N { init(n) { this.n = n; } } var k = nil; for (var i = 0; i < 3000; i = i + 1) k = N(k);"
    cached = []
    for setting in (str(tmp_path), str(tmp_path), "off"):
        monkeypatch.setenv("LOX_CODE_CACHE", setting)
        vm = make_vm(jit="off", gc_verify=True)
        run_source(vm, program)
        collect(vm)
        assert vm.collector.code is not None
        cached.append(vm.collector.code.cached)
        assert vm.collector.history[-1].survivors >= 3000
    assert cached == [False, True, False]
