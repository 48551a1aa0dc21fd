"""The collector: generational mark-region collection at safepoints, young and full, with its verifier.

**When.** Only at a safepoint: an interpreter call or loop back-edge, or a
compiled loop back-edge or entry of a function that may allocate
(``bytecode_jit.py``), once the heap's safepoint word is set (a
nursery's worth allocated, the heap past its limit, or ``--gc-stress``).
Allocation itself never collects, so no runtime code written in Python ever
sees a collection between two of its own lines: a value it holds in a local
stays valid until it returns to a safepoint.

**What is live.** The roots (``roots.py``): every interpreter activation's
slots and operand stack, every compiled frame's root area, the frame
records' closures, the pins (what Python or compiled code holds by address)
and the values a runtime helper holds across a call into Lox code.

**Generations without moving** (sticky mark bits, as in Julia's collector):
an object is *old* once it is marked, and its mark stays until the next full
collection. A young collection marks only from the roots and from the old
objects written since the last collection (those in dirty cards, see the
write barrier in ``heap.py``), and stops at anything already marked; the
young objects it reaches are marked, which promotes them. Then the sweep
turns every line no marked object covers into a free run. A full collection
clears every mark first. Which one to run: full when the old objects have
grown by ``full_gc_growth`` since the last full one, or the heap is past its
limit; young otherwise. After a full collection that still leaves more live
data than the limit, the program ends with ``Out of memory.``.

**The verifier** (``--gc-verify``) marks everything reachable again into a
second set of marks after each collection and reports any reachable object
the collection left unmarked (a missing root or write barrier: the object's
lines were just freed) or whose header names no kind.
"""

from __future__ import annotations

import ctypes
import time

from stage0_jit.frames import RECORD_WORDS, ROOTS
from stage0_jit.heap import NativeRegion, OutOfMemory
from stage0_jit.layout import WORD

from . import descriptors
from .heap import LINE, ManagedHeap
from .roots import Roots

TYPE_CHECKING = False
if TYPE_CHECKING:
    from random import Random

    from .vm import GCVM


class CollectorCode:
    """The tracer's native functions, compiled once per VM (on the first collection: LLVM loads then)."""

    def __init__(self, vm: "GCVM", heap: ManagedHeap) -> None:
        import llvmlite.binding as llvm
        from llvmlite import ir

        from .codecache import cached_image
        from .tracer import TracerBuilder
        started = time.perf_counter()
        self.table = NativeRegion(descriptors.KINDS * descriptors.DESCRIPTOR_WORDS * WORD)
        for i, word in enumerate(descriptors.descriptors()):
            self.table.words[i] = word
        engine = vm.engine
        module = ir.Module(name="lox_tracer")
        module.triple = llvm.get_process_triple()
        module.data_layout = str(engine.target_machine.target_data)
        exports = TracerBuilder(module).build(RECORD_WORDS, ROOTS, heap.CARD_SHIFT)
        # The tracer names no address (its context holds them), so its image is kept between runs: compiled
        # at O2 once per machine (72 ms measured), then linked in 0.2 ms.
        image, self.cached = cached_image(engine, str(module), "the collector's tracer", 2)
        addresses = engine.link_image(image, exports, "the collector's tracer")

        def native(name: str, arguments: int) -> "ctypes._CFunctionType":
            return ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * arguments))(addresses[name])
        self.visit_values = native("gc_visit_values", 4)
        self.visit_frames = native("gc_visit_frames", 3)
        self.scan_cards = native("gc_scan_cards", 3)
        self.drain = native("gc_drain", 1)
        self.sweep = native("gc_sweep", 5)
        self.build_seconds = time.perf_counter() - started

    def bind(self, context: "Context", heap: ManagedHeap) -> None:
        """Give a context the addresses the code reads from it."""
        w = context.words
        w[descriptors.HEAP_BASE], w[descriptors.HEAP_SIZE] = heap.base, heap.size
        w[descriptors.TABLE], w[descriptors.CARDS] = self.table.base, heap.cards_address


class Context(NativeRegion):
    """One tracer context (see ``tracer.py``): the collector's, or the verifier's."""

    def __init__(self, marks: int, lines: int, stack: NativeRegion, capacity: int, check: int = 0) -> None:
        super().__init__(descriptors.CONTEXT_WORDS * WORD)
        w = self.words
        w[descriptors.MARKS], w[descriptors.LINES], w[descriptors.STACK] = marks, lines, stack.base
        w[descriptors.CAPACITY], w[descriptors.CHECK] = capacity, check

    def reset(self) -> None:
        """Empty stack and counters."""
        for i in (descriptors.SP, descriptors.MISSING, descriptors.FIRST_BAD, descriptors.OBJECTS, descriptors.BYTES, descriptors.BAD_KINDS):
            self.words[i] = 0


class Collection:
    """What one collection did (for ``--trace=gc``, ``--stats`` and the timeline)."""

    __slots__ = ("number", "full", "before", "after", "survivors", "survivor_bytes", "dirty_cards",
                 "pause", "started", "free_runs", "reason")

    def __init__(self, number: int, full: bool, reason: str) -> None:
        self.number = number
        self.full = full
        self.reason = reason
        self.before = self.after = self.survivors = self.survivor_bytes = self.dirty_cards = 0
        self.pause = 0.0
        self.started = 0.0
        self.free_runs = 0

    def describe(self) -> str:
        """One ``--trace=gc`` line."""
        kind = "full" if self.full else "young"
        return (f"#{self.number} {kind} ({self.reason}): heap {self.before >> 10} KiB -> {self.after >> 10} KiB "
                f"live, {self.survivors} objects marked ({self.survivor_bytes >> 10} KiB"
                f"{'' if self.full else ' promoted'}), {self.dirty_cards} dirty cards, "
                f"{self.free_runs} free runs, pause {self.pause * 1000:.2f} ms")


class Collector:
    """Runs collections for one VM (see the module docstring)."""

    def __init__(self, vm: "GCVM", heap: ManagedHeap) -> None:
        self.vm = vm
        self.heap = heap
        settings = vm.settings
        self.growth = settings.full_gc_growth
        self.full_floor = settings.full_gc_floor_mb << 20
        self.next_full_at = self.full_floor
        self.registered_floor = settings.full_gc_registered
        heap.registered_limit = self.registered_floor      # past it the heap asks for a full collection
        self.verify = vm.options_gc_verify
        self.random: Random | None = None
        if settings.gc_random_interval:
            from random import Random
            self.random = Random(settings.gc_seed)
        self.random_interval = settings.gc_random_interval
        self.roots = Roots(vm)
        capacity = heap.size >> descriptors.GRANULE_SHIFT >> 1
        self.stack = NativeRegion(capacity * WORD)
        self.context = Context(heap.marks.base, heap.lines.base, self.stack, capacity)
        self.code: CollectorCode | None = None
        self.history: list[Collection] = []
        self.pauses: list[float] = []
        self.seconds = 0.0
        self.full_pending = False
        self.old_bytes = 0            # bytes of lines marked after the last collection
        self._verify_marks: NativeRegion | None = None
        self._verify_stack: NativeRegion | None = None

    # ------------------------------------------------------------ entry
    def safepoint(self) -> None:
        """The program stopped at a safepoint with the safepoint word set: collect (young, or full when due).
        Raises ``OutOfMemory`` when even a full collection leaves more than the limit live."""
        heap = self.heap
        if not heap.requested:
            heap.flags[heap.SAFEPOINT] = 0
            return
        over = self.old_bytes + heap.handed_out > heap.limit
        classes = heap.registered_count > heap.registered_limit
        full = self.full_pending or over or classes
        reason = "heap limit" if over else "old generation grew" if self.full_pending else \
            "classes and shapes grew" if classes else \
            "stress" if heap.stress_interval else "nursery full"
        self.collect(full, reason)
        if over and self.old_bytes > heap.limit:
            raise OutOfMemory()

    def collect(self, full: bool, reason: str) -> Collection:
        """One collection; returns its record."""
        started = time.perf_counter()
        heap = self.heap
        if self.code is None:
            self.code = CollectorCode(self.vm, heap)
            self.code.bind(self.context, heap)
            self.vm.stats.add_time("gc.tracer_load_s", self.code.build_seconds)
            self.vm.stats.add("gc.tracer_from_cache", int(self.code.cached))
            started = time.perf_counter()
        code = self.code
        record = Collection(len(self.history) + 1, full, reason)
        record.started = started
        heap.retire_run()
        record.before = self.old_bytes + heap.handed_out
        context = self.context
        context.reset()
        lines_used = heap.used_lines
        granules = (heap.frontier - heap.base) >> descriptors.GRANULE_SHIFT
        cards = ((heap.frontier - heap.base) >> heap.CARD_SHIFT) + 1
        if full:
            ctypes.memset(heap.marks.base, 0, granules)
            ctypes.memset(heap.lines.base, 0, lines_used)
            ctypes.memset(heap.cards_address, 0, cards)
        else:
            record.dirty_cards = code.scan_cards(context.base, 0, cards)
        self.roots.visit(code, context, full)
        if code.drain(context.base):
            raise RuntimeError("the collector's mark stack overflowed")
        record.survivors = context.words[descriptors.OBJECTS]
        record.survivor_bytes = context.words[descriptors.BYTES]
        runs = code.sweep(heap.lines.base, 0, lines_used, heap.runs.base, heap.min_run_lines)
        marked_lines = heap.runs.words[2 * runs]
        heap.reset_after_collection(runs)
        self.vm.weak_tables.forget_dead(full)
        self.old_bytes = marked_lines * LINE
        record.after = self.old_bytes
        record.free_runs = runs
        if full:
            self.next_full_at = max(self.full_floor, int(self.old_bytes * self.growth))
            heap.registered_limit = max(self.registered_floor, int(heap.registered_count * self.growth))
            self.full_pending = False
        elif self.old_bytes > self.next_full_at:
            self.full_pending = True
        if self.random is not None:
            heap.stress_interval = self.random.randint(1, self.random_interval)
            heap.stress_countdown = heap.stress_interval
        record.pause = time.perf_counter() - started
        self.history.append(record)
        self.pauses.append(record.pause)
        self.seconds += record.pause
        self.vm.on_collection(record)
        if self.verify:
            self.check(record)
        return record

    # ------------------------------------------------------------ the verifier
    def check(self, record: Collection) -> None:
        """Mark everything reachable again into a second set of marks, checking each object against the
        collection's marks: a reachable object left unmarked was a missed root or write barrier."""
        heap = self.heap
        code = self.code
        assert code is not None
        if self._verify_marks is None:
            self._verify_marks = NativeRegion(heap.marks.size)
            self._verify_stack = NativeRegion(self.stack.size)
        assert self._verify_stack is not None
        granules = (heap.frontier - heap.base) >> descriptors.GRANULE_SHIFT
        ctypes.memset(self._verify_marks.base, 0, granules)
        context = Context(self._verify_marks.base, 0, self._verify_stack, self.stack.size // WORD,
                          check=heap.marks.base)
        code.bind(context, heap)
        context.reset()
        self.roots.visit(code, context, record.full)
        if code.drain(context.base):
            raise RuntimeError("the verifier's mark stack overflowed")
        missing = context.words[descriptors.MISSING]
        bad = context.words[descriptors.BAD_KINDS]
        if missing or bad:
            first = context.words[descriptors.FIRST_BAD]
            raise AssertionError(
                f"gc-verify after collection #{record.number} ({'full' if record.full else 'young'}): "
                f"{missing} reachable objects unmarked, {bad} with no valid kind; first at "
                f"{first:#x} (heap offset {first - heap.base:#x})")
        self.vm.trace("gc", f"  verified: {context.words[descriptors.OBJECTS]} reachable objects, all marked")

    def census(self, ids: int = 0) -> tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
        """Objects and bytes of everything reachable now (a marking into scratch marks), per kind and per id
        of the object a header points to (``ids`` of them: an instance's shape)."""
        heap = self.heap
        if self.code is None:
            self.code = CollectorCode(self.vm, heap)
        marks = NativeRegion(heap.marks.size)
        stack = NativeRegion(self.stack.size)
        table = NativeRegion(descriptors.KINDS * 2 * WORD)
        context = Context(marks.base, 0, stack, stack.size // WORD)
        self.code.bind(context, heap)
        context.reset()
        context.words[descriptors.CENSUS] = table.base
        by_id = NativeRegion(max(ids, 1) * 2 * WORD)
        context.words[descriptors.BY_ID], context.words[descriptors.IDS] = by_id.base, ids
        self.roots.visit(self.code, context, True)
        self.code.drain(context.base)

        def counted(region: NativeRegion, n: int) -> dict[int, tuple[int, int]]:
            return {k: (region.words[2 * k], region.words[2 * k + 1]) for k in range(n) if region.words[2 * k]}
        return counted(table, descriptors.KINDS), counted(by_id, ids)

    # ------------------------------------------------------------ reports
    def pause_percentiles(self) -> tuple[float, float, float]:
        """(p50, p99, max) pause in seconds."""
        if not self.pauses:
            return 0.0, 0.0, 0.0
        ordered = sorted(self.pauses)

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        return at(0.5), at(0.99), ordered[-1]
