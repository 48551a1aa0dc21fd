"""Where the collector starts: every place a live Lox value can be while the program is stopped at a safepoint.

=====================  ==========================================================================
root                   how the collector reads it
=====================  ==========================================================================
interpreter            every running interpreter loop's activations (``TieredVM.activations``:
activations            the running one's slots and operand stack, and each saved caller's), copied
                       into a native buffer and visited as values
compiled frames        each frame record's root area: ``[count, values...]``, stored by the
                       compiled code before every call and at a poll that stops
                       (``frames.py``, ``bytecode_jit.py``); visited natively
frame records          the closure each running frame runs (interpreted or compiled)
pins                   objects Python or compiled code holds by address (``heap.keep``): function
                       prototypes, global cells, natives, literals and names, the closure a call
                       site always calls, what compiled code names (``constants.py``); visited
                       natively
registered objects     classes and shapes (``weak.py``): every one in a young collection; in a
(young)                full one only what something else reaches
inline caches (full)   what every cache and feedback names (``WeakTables.cache_values``)
=====================  ==========================================================================

No Lox value lives anywhere else at a safepoint: the interpreter loop keeps
its stack in the activation's own list, allocation never collects, and a
compiled frame spills every value that may be a reference before it calls.
The runtime's Python helpers that call into Lox code (a slow call, a class
call running ``init``, an invoke) pass every value they hold on to the
callee, whose frame then holds it; none keeps one for after the call.
"""

from __future__ import annotations

import array

from stage0_jit.heap import NativeRegion
from stage0_jit.layout import WORD

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .collector import CollectorCode, Context
    from .vm import GCVM


class Roots:
    """Visits every root for one collection (or one verification)."""

    def __init__(self, vm: "GCVM") -> None:
        self.vm = vm
        self.buffer = NativeRegion(1 << 20)

    def interpreter_values(self) -> array.array[int]:
        """Every value the interpreter's activations hold, as one array of words."""
        words: array.array[int] = array.array("Q")
        for holder in self.vm.activations:
            slots, stack, saved = holder
            words.extend(slots)         # type: ignore[arg-type]
            words.extend(stack)         # type: ignore[arg-type]
            for caller in saved:        # type: ignore[attr-defined]
                words.extend(caller[1])
                words.extend(caller[2])
        return words

    def visit(self, code: "CollectorCode", context: "Context", full: bool) -> None:
        """Mark from every root of a young or ``full`` collection into ``context`` (the caller drains)."""
        vm = self.vm
        heap = vm.gc_heap
        words = self.interpreter_values()
        if full:
            words.extend(vm.weak_tables.cache_values())
        else:
            code.visit_values(context.base, heap.registered.base, heap.registered_count, 1)
        n = len(words)
        if n * WORD > self.buffer.size:
            self.buffer = NativeRegion(max(n * WORD * 2, self.buffer.size * 2))
        if n:
            self.buffer.bytes[:n * WORD] = memoryview(words).cast("B")
        code.visit_values(context.base, self.buffer.base, n, 1)
        code.visit_values(context.base, heap.pins.base, heap.pin_count, 1)
        frames = vm.runtime.frames
        code.visit_frames(context.base, frames.records_address, frames.depth)
