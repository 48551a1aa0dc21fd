"""Stage 5's VM: stage 4 plus a managed heap, a collector, and root areas in compiled frames.

Hooks it plugs into: ``Runtime.make_heap`` (``heap.ManagedHeap``: free runs,
marks, pins, the allocation slow path), ``VM.make_runtime``
(``runtime.GCRuntime``: the callbacks compiled code calls to allocate from a
new run and to stop at a safepoint), ``TieredVM.safepoint`` (the interpreter
stops here at calls and back-edges when the heap asks), ``TieredVM.activations``
(the interpreter's activations, read as roots) and
``DeoptVM.compiler_classes`` (``bytecode_jit.py``: compiled frames with root
areas, spills and polls). The write barrier needs no hook: stage 0's one
store emitter, stage 4's native stores and the interpreter's store paths
already mark cards, and this heap is the first to read them.
"""

from __future__ import annotations

from stage0_jit.runtime import Runtime
from stage0_jit.vm import Options
from stage1_interp.timeline import INTERPRETER_TRACK
from stage4_shapes.vm import ShapesVM

from .collector import Collection, Collector
from .heap import ManagedHeap
from .runtime import GCRuntime
from .settings import Settings
from .weak import WeakTables

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage0_jit.irmodule import ModuleContext
    from stage0_jit.emitters import Operations
    from stage3_deopt.bytecode_jit import OSREntryCompiler, SpeculativeCompiler


class GCVM(ShapesVM):
    """The whole of Lox with shapes, tiers and a generational collector."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        runtime = self.runtime
        assert isinstance(runtime, GCRuntime)
        heap = runtime.heap
        assert isinstance(heap, ManagedHeap)
        self.gc_heap = heap
        self.options_gc_verify = self.settings.gc_verify
        self.weak_tables = WeakTables(self)
        self.collector = Collector(self, heap)
        runtime.collector = self.collector
        runtime.safepoint_handler = self.safepoint

    def make_runtime(self) -> Runtime:
        """The runtime with the managed heap."""
        assert isinstance(self.settings, Settings)
        return GCRuntime(self.settings)

    def safepoint(self) -> None:
        """The interpreter stopped at a call or back-edge with the safepoint word set: collect."""
        self.collector.safepoint()

    def operations(self, ctx: "ModuleContext") -> "Operations":
        """Stage 4's emitters, pinning what compiled code names (``constants.py``); generic under ``--ic=off``."""
        if not self.settings.ic:
            return super().operations(ctx)
        from .constants import PinningOperations
        return PinningOperations(ctx, self)

    def compiler_classes(self) -> "tuple[type[SpeculativeCompiler], type[OSREntryCompiler]]":
        """Stage 3's compilers with root areas (``bytecode_jit.py``)."""
        from .bytecode_jit import RootedCompiler, RootedOSRCompiler
        return RootedCompiler, RootedOSRCompiler

    def on_collection(self, record: Collection) -> None:
        """Trace one collection and put it on the timeline."""
        self.trace("gc", record.describe())
        timeline = self.timeline
        if timeline.enabled:
            start_us = (record.started - timeline.origin) * 1e6
            timeline.span(f"gc #{record.number} {'full' if record.full else 'young'}", "gc", INTERPRETER_TRACK,
                          start_us, {"before_kb": record.before >> 10, "after_kb": record.after >> 10,
                                     "marked": record.survivors, "reason": record.reason})

    def finish(self) -> None:
        """Stage 4's report plus the collector's."""
        if self.options.stats:
            self.report_gc()
        if "heap" in self.options.dumps:
            from .census import census
            self.options.diagnostics.write(census(self))
        super().finish()

    def report_gc(self) -> None:
        """``--stats``: collections, pauses, allocation and time spent collecting."""
        collector = self.collector
        heap = self.gc_heap
        stats = self.stats
        young = sum(1 for c in collector.history if not c.full)
        stats.add("gc.collections", len(collector.history))
        stats.add("gc.young", young)
        stats.add("gc.full", len(collector.history) - young)
        stats.add("gc.allocated_kb", heap.total_handed_out >> 10)
        stats.add("gc.heap_kb", (heap.frontier - heap.base) >> 10)
        stats.add("gc.pins", heap.pin_count)
        stats.add("gc.classes_forgotten", self.weak_tables.classes_forgotten)
        stats.add("gc.shapes_forgotten", self.weak_tables.shapes_forgotten)
        stats.add_time("gc.collecting_s", collector.seconds)
        p50, p99, most = collector.pause_percentiles()
        elapsed = max(self.stats_elapsed(), 1e-9)
        stats.section("gc (pauses, allocation rate)", [
            f"  pauses: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {most * 1000:.2f} ms",
            f"  allocated {heap.total_handed_out / 1e6:.1f} MB in {elapsed:.2f} s: "
            f"{heap.total_handed_out / 1e6 / elapsed:.0f} MB/s; collecting {collector.seconds:.3f} s "
            f"({100 * collector.seconds / elapsed:.1f}%)"])

    def stats_elapsed(self) -> float:
        """Seconds since the VM started (for the allocation rate)."""
        import time
        return time.perf_counter() - self.timeline.origin
