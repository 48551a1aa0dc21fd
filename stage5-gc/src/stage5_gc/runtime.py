"""Stage 4's runtime with a managed heap, and the two callbacks compiled code uses to reach the collector.

``lox_alloc_slow(size, kind)``: the inline bump allocation found its run
used up; take the next free run (never collects: see ``heap.py``). Returns
the new object's address with its header written, or 0 when even the
reserve past the heap limit is gone (compiled code then reports
``Out of memory.``).

``lox_safepoint(line)``: compiled code stopped at a call or back-edge with
the heap's safepoint word set, its values stored in its root area: collect.
Returns 0, or ERROR after reporting ``Out of memory.``.
"""

from __future__ import annotations

import ctypes

from stage0_jit import values
from stage0_jit.errors import ErrorCode
from stage0_jit.heap import Heap, OutOfMemory
from stage4_shapes.objects import ObjectKind
from stage4_shapes.runtime import ObjectRuntime

from .heap import ManagedHeap
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

    from .collector import Collector

_SLOW_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)
_SAFEPOINT_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)


class GCRuntime(ObjectRuntime):
    """The runtime whose heap is collected (``collector`` is set by the VM)."""

    def __init__(self, settings: Settings, stdout: BinaryIO | None = None, stdin: BinaryIO | None = None) -> None:
        self.gc_settings = settings
        super().__init__(settings, stdout, stdin)
        self.collector: Collector | None = None
        #: What a stop at a safepoint does (the VM's ``safepoint``: collect, and in stage 6 also install
        #: finished compiles); compiled code and the interpreter both stop through it.
        self.safepoint_handler: Callable[[], None] | None = None
        heap = self.heap
        assert isinstance(heap, ManagedHeap)
        rt = self

        def alloc_slow(size: int, kind: int) -> int:
            try:
                address = heap.allocate_slow(size)
            except OutOfMemory:
                return 0
            except BaseException as exc:     # noqa: BLE001 - must not cross into native code
                rt.pending_exception = rt.pending_exception or exc
                return 0
            heap.words[(address - heap.base) >> 3] = kind
            return address

        def safepoint(line: int) -> int:
            try:
                assert rt.safepoint_handler is not None
                rt.safepoint_handler()
                return 0
            except OutOfMemory:
                return values.to_signed(rt.raise_error(ErrorCode.OUT_OF_MEMORY, line))
            except BaseException as exc:     # noqa: BLE001
                rt.pending_exception = rt.pending_exception or exc
                return values.to_signed(values.ERROR)

        self._alloc_slow = _SLOW_TYPE(alloc_slow)
        self._safepoint = _SAFEPOINT_TYPE(safepoint)
        self.callbacks.add("lox_alloc_slow", self._alloc_slow)
        self.callbacks.add("lox_safepoint", self._safepoint)

    def make_heap(self) -> Heap:
        """The managed heap, sized by the settings."""
        s = self.gc_settings
        heap = ManagedHeap(s.heap_reserve_mb << 20, s.heap_limit_mb << 20, s.nursery_kb << 10, s.chunk_kb << 10,
                           s.large_object_kb << 10, s.min_run_lines)
        # Classes and shapes are held by the object model's registries, which forget dead ones (``weak.py``).
        heap.holders.update({ObjectKind.CLASS: heap.register, ObjectKind.SHAPE: heap.register})
        if s.gc_stress:
            heap.stress_interval = heap.stress_countdown = s.gc_interval
        return heap
