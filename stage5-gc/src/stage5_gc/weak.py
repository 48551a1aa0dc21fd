"""What the runtime holds without keeping it alive: classes, shapes and dictionary-mode instances, forgotten when dead.

A class declared in a function that runs a million times makes a million
classes (each with its shapes). Pinned for good, they would fill the heap,
so they are *registered* instead (``heap.register``), and who holds them
decides how long they live:

======================  =====================================================
holder                  how it holds a class, a shape or a method's closure
======================  =====================================================
the object model        weakly: ``classes`` and the shape table are
                        registries; a full collection forgets what it left
                        unmarked (``forget_dead``)
young collections       strongly: every registered object is a root, so a
                        class only dies at a full collection (when no inline
                        cache can still name it, see the next row)
inline caches and       strongly, at full collections: every case's objects
feedback                and shapes (``Case.OBJECTS``, ``Case.HEADERS``), the
                        one closure a call site calls and the value a site
                        saw last are roots (``cache_values``). A site keeps
                        at most its polymorphism limit of cases, so this is
                        bounded; a megamorphic site stops adding any
compiled code           strongly, for good: each case a compile turns into a
                        guard or a direct call is pinned when the emitter
                        takes it (``constants.py``; LuaJIT's code constants
                        are roots the same way). Bounded by the number of
                        compiles, which deopt limits bound
the megamorphic stub    not at all: it is cleared after a full collection
cache                   that forgot a shape (V8 clears its stub cache at
                        every full collection the same way)
======================  =====================================================

Nothing moves, so a dead shape's address may be handed out again; the rows
above are what makes that safe: no cache, guard or table can still compare
against an address the collector freed. A dictionary-mode instance's Python
index (name -> pair) is dropped after any collection that left it unmarked.
"""

from __future__ import annotations

import array
import ctypes

from stage0_jit import values
from stage2_ic.feedback import Case
from stage4_shapes.objects import SHAPE_SHIFT
from stage4_shapes.runtime import ObjectRuntime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator

    from .vm import GCVM


def case_objects(case: "Hashable", low: int, high: int) -> "Iterator[int]":
    """The objects (as values) a cache's case names: its ``OBJECTS`` inside the heap ``[low, high)`` and the
    shapes of its ``HEADERS``."""
    if not isinstance(case, Case):
        return
    for name in case.OBJECTS:
        address = getattr(case, name) & values.ADDRESS_MASK
        if low <= address < high:
            yield values.OBJ_TAG | address
    for name in case.HEADERS:
        yield values.OBJ_TAG | (getattr(case, name) >> SHAPE_SHIFT)


class WeakTables:
    """The object model's registries and caches, as the collector sees them (see the module docstring)."""

    def __init__(self, vm: "GCVM") -> None:
        self.vm = vm
        self.heap = vm.gc_heap
        self.classes_forgotten = 0
        self.shapes_forgotten = 0

    # ------------------------------------------------------------ roots of full collections
    def cache_values(self) -> array.array[int]:
        """Every object an inline cache or feedback names, as object values."""
        words: array.array[int] = array.array("Q")
        heap = self.heap
        low, high = heap.base, heap.base + heap.size
        for cache in self.vm.caches():
            for held in (cache.closure, cache.last_value):
                if held is not None and values.is_obj(held):
                    words.append(held)
            for case in cache.cases:          # a shape cache's by_key only indexes these
                words.extend(case_objects(case, low, high))
        return words

    # ------------------------------------------------------------ after a collection
    def forget_dead(self, full: bool) -> None:
        """Drop what the collection left unmarked: dictionary-mode indexes after any collection; classes and
        shapes after a full one (then the registered objects are the survivors, and the stub cache is
        cleared when a shape went)."""
        heap = self.heap
        model = self.vm.objects
        marked = heap.is_marked
        index = model.dictionary_index
        if index:
            for address in [a for a in index if not marked(a)]:
                del index[address]
        if not full:
            return
        table = model.shapes
        dead_shapes = [shape for shape in table.shapes.values() if not marked(shape.address)]
        for shape in dead_shapes:
            del table.shapes[shape.id]
            del table.by_header[shape.header]
            if shape.klass.dictionary_shape is shape:
                shape.klass.dictionary_shape = None     # a live class makes a new one when it needs it
        dead_classes = [klass for klass in model.classes.values() if not marked(klass.address)]
        for klass in dead_classes:
            del model.classes[klass.id]
        self.shapes_forgotten += len(dead_shapes)
        self.classes_forgotten += len(dead_classes)
        if dead_shapes:
            runtime = self.vm.runtime
            assert isinstance(runtime, ObjectRuntime)
            stub = runtime.stub_cache
            ctypes.memset(stub.base, 0, stub.size)
        if dead_shapes or dead_classes:
            heap.keep_registered([klass.address for klass in model.classes.values()] +
                                 [shape.address for shape in table.shapes.values()])
            self.vm.trace("gc", f"  forgot {len(dead_classes)} classes and {len(dead_shapes)} shapes; "
                                f"{len(model.classes)} classes and {len(table.shapes)} shapes live")
