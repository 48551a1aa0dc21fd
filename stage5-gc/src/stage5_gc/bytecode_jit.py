"""Compiled frames' root areas: where a compiled frame keeps its references while it may be stopped.

LLVM keeps a compiled function's slots and operand stack in registers, where
no collector can find them. So each compiled frame has a **root area**, an
array in its own native stack frame, ``[count, value...]``, whose address
goes into its frame record (``frames.py``'s third word). The collector walks
the frame records and reads every area (``tracer.py``: ``gc_visit_frames``).
The area's first words hold a method's receiver and the parameters the body
never assigns, stored once by the prologue, which then publishes the area
(``fixed_slots``); spills write the words after them, and in a frame with no
such parameters the first spill that stores something publishes the area.

The area is written only where a collection can happen while the frame is
live: before every call (the callee may stop at a safepoint) except calls of
*quiet* functions, which cannot (``calls_quiet_function``), and at a loop
back-edge when the safepoint word is set (only on that slow path). What is
written comes from the same facts stage 3 built for deoptimisation: the
analysis's state at that instruction says which slots are live and what each
slot and stack entry may hold, so proven numbers and constants are left out
(a number is never a reference; a constant is pinned), and so are the call's
own operands (see ``consumed``). Nothing is read back: objects never move.

A safepoint is a poll of the heap's safepoint word (one load and one
branch) at the back-edges of loops that call or may allocate
(``loop_may_allocate``), and on entry to a function that may allocate
(``may_allocate``): a collection is asked for only by allocating, so a
function or a loop that never allocates (``fib``, small numeric helpers, a
counting loop) need not stop; its callers and enclosing loops do. A poll
that stops spills the whole frame first.
"""

from __future__ import annotations

from llvmlite import ir

from stage0_jit.frames import ROOTS
from stage0_jit.irvalues import ERROR, I64, const, load_word, pointer
from stage0_jit.layout import FUNCTION
from stage1_interp.bytecode import Op, invoke_argc, stack_depths
from stage2_ic.feedback import CallTarget
from stage3_deopt.analysis import Const, How, NothingKnown, is_number as proven_number
from stage3_deopt.bytecode_jit import OSREntryCompiler, SpeculativeCompiler
from stage4_shapes.caches import FieldHit, MethodHit, StoreHit, SuperHit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from stage1_interp.sites import Site

_CALLS = frozenset({Op.CALL, Op.INVOKE, Op.SUPER_INVOKE})
#: What may make an object as compiled, whatever the plan (a cell, a closure, a bound method, a bigger
#: overflow store, an instance of a class an invoke finds in a field, a class and its tables).
_ALLOCATING = frozenset({Op.MAKE_CELL, Op.CLOSURE, Op.GET_PROPERTY, Op.SET_PROPERTY, Op.INVOKE,
                         Op.SUPER_INVOKE, Op.GET_SUPER, Op.CLASS, Op.INHERIT, Op.METHOD})


def consumed(op: Op, operand: int) -> int:
    """Stack entries a call takes: the callee or receiver and the arguments (and ``super``'s class). They
    need no spill: the callee's own frame holds what it still uses (its record the closure, its slots the
    receiver and arguments), and the caller never sees them again."""
    if op == Op.CALL:
        return operand + 1
    return invoke_argc(operand) + (2 if op == Op.SUPER_INVOKE else 1)
#: Frames with more slots and stack entries than this keep them in their root area (see ``allocate_frame``).
FRAME_IN_AREA_WORDS = 256


class FrameRoots(SpeculativeCompiler):
    """Stage 3's compiler with a root area, spills before calls and safepoint polls."""

    root_area: ir.Value | None = None

    def frame_roots(self, builder: ir.IRBuilder, roots_pointer: ir.Value) -> None:
        """The prologue: a root area in this frame. When the frame has ``fixed_slots`` (or lives in its
        area) the prologue stores them and publishes the area in the frame record at once; otherwise the
        record says "no roots", as in stage 4, and the first spill that stores something publishes the
        area (one store through ``roots_pointer``, made here). So a frame that spills only on some paths
        (``fib``: half its calls are leaves, which return before calling) pays only on those."""
        entry = self.function.entry_basic_block
        eb = ir.IRBuilder(entry)
        eb.position_before(entry.terminator)
        self.root_area = self.new_area(eb)
        self.roots_pointer = roots_pointer
        fixed = self.fixed_slots()
        if self.frame_in_area() or fixed:
            # The receiver and the parameters the body never assigns go into the area's first words
            # here, once, and are left out of every spill.
            values = self.arguments if self.code.is_method else [None, *self.arguments]
            for i, k in enumerate(fixed, start=1):
                value = values[k]
                assert value is not None
                builder.store(value, self.area_word(i))
            builder.store(const(len(fixed)), self.area_word(0))
            builder.store(self.root_area, roots_pointer)
            self.published = True
        else:
            builder.store(const(0), roots_pointer)

    roots_pointer: ir.Value | None = None
    published = False       # whether the prologue published the area (else each storing spill does)

    def allocate_frame(self) -> None:
        """Stage 1's allocas, or for a big frame its slots and stack inside the root area itself. An OSR
        entry (which takes over the interpreter's frame record instead of pushing one, so ``frame_roots``
        never ran) also makes its root area here."""
        b = self.state.entry_builder
        if self.root_area is None:
            self.root_area = self.new_area(b)
            b.store(const(0), pointer(b, self.root_area))
            b.store(self.root_area, pointer(b, self.frame_record, ROOTS * 8))
            self.published = True
        if not self.frame_in_area():
            super().allocate_frame()
            return
        # A big frame (a long script, a call nested thousands deep) lives in its root area: a spill is then
        # one store of the count, where copying every entry at every call would cost the square of its size.
        # Nothing is promoted to registers; such functions are the ones compiled without optimisation anyway.
        assert self.root_array is not None
        slots = self.code.slot_count
        self.slots = [b.gep(self.root_array, [const(0), const(1 + k)], name=f"slot{k}") for k in range(slots)]
        self.stack = [b.gep(self.root_array, [const(0), const(1 + slots + k)], name=f"stack{k}")
                      for k in range(self.code.max_stack)]

    def frame_in_area(self) -> bool:
        """Whether the frame's slots and stack live in its root area (see ``allocate_frame``)."""
        return isinstance(self.analysis.before, NothingKnown) or \
            self.code.slot_count + self.code.max_stack > FRAME_IN_AREA_WORDS

    root_array: ir.Value | None = None

    def new_area(self, builder: ir.IRBuilder) -> ir.Value:
        """An alloca for ``[count, value...]``, room for every slot and stack entry; returns its address."""
        words = 1 + self.code.slot_count + self.code.max_stack
        self.root_array = builder.alloca(ir.ArrayType(I64, words), name="roots")
        self.area_builder = builder
        address: ir.Value = builder.ptrtoint(self.root_array, I64, name="roots_address")
        return address

    _fixed: list[int] | None = None

    def fixed_slots(self) -> list[int]:
        """A method's receiver and the parameters the body never assigns (no ``SET_LOCAL`` or
        ``MAKE_CELL`` names their slot) that some spill would store: they hold the same value for the
        whole activation, so the prologue stores them into the area's first words once, and no spill
        stores them again. (Like the interpreter's activation, the frame then keeps them until it
        returns.) A parameter no spill would store (``fib``'s ``n``, a proven number wherever it calls)
        costs nothing, as before. None in a frame that lives in its area (and in an OSR entry, whose
        prologue has no arguments: ``RootedOSRCompiler``)."""
        if self._fixed is None:
            self._fixed = []
            if not self.frame_in_area():
                chunk = self.code.chunk
                written = {chunk.args[i] for i, op in enumerate(chunk.ops) if op in _WRITES_SLOT}
                first = 0 if self.code.is_method else 1     # a function's slot 0 is its closure
                spilled = {k for offset in self.spill_sites()
                           for k in self.possible_references(offset, 0, self.depths[offset])[0]}
                self._fixed = [k for k in range(first, 1 + self.code.arity) if k not in written and k in spilled]
        return self._fixed

    def root_entries(self, offset: int, consumed: int, depth: int) -> tuple[list[int], list[int]]:
        """What a spill before instruction ``offset`` stores: its ``possible_references`` but the
        ``fixed_slots`` the prologue stored."""
        slots, stack = self.possible_references(offset, consumed, depth)
        fixed = self.fixed_slots()
        return [k for k in slots if k not in fixed], stack

    def possible_references(self, offset: int, consumed: int, depth: int) -> tuple[list[int], list[int]]:
        """Which slots and which stack entries (below ``depth`` less the top ``consumed``) may hold a
        reference before instruction ``offset``: live, and neither a constant nor a proven number."""
        state = self.analysis.before[offset]
        depth = max(depth, 0) - consumed
        if state is None:
            return list(range(self.code.slot_count)), list(range(depth))
        live = self.analysis.live[offset]
        if not self.code.is_method:
            live &= ~1      # slot 0 is the frame's own closure, which its frame record already holds
        slots = [k for k, t in enumerate(state.slots)
                 if live >> k & 1 and not isinstance(t, Const) and not proven_number(t)]
        stack = [k for k, (t, _) in enumerate(state.stack[:depth])
                 if not isinstance(t, Const) and not proven_number(t)]
        return slots, stack

    _sites: list[int] | None = None

    def spill_sites(self) -> list[int]:
        """Where this frame may spill, as ``enter`` decides it: the entry poll, calls that may stop, and the
        polls of loops that may allocate (asked by the prologue, before the body is emitted, so the stack
        depths are computed here if need be: ``emit_body`` computes the same)."""
        if self._sites is None:
            chunk = self.code.chunk
            if not self.depths:
                self.depths = stack_depths(chunk)
            self._sites = ([0] if self.may_allocate() else []) + [
                i for i, op in enumerate(chunk.ops)
                if self.call_may_stop(i) or (op == Op.LOOP and self.loop_may_allocate(chunk.args[i], i))]
        return self._sites

    def spill(self, b: ir.IRBuilder, offset: int, consumed: int = 0) -> None:
        """Store the frame's possible references into its root area (see ``root_entries``)."""
        assert self.root_area is not None
        if self.frame_in_area():        # the values are in the area already: only how many are live
            depth = max(self.depths[offset], 0) - consumed
            b.store(const(self.code.slot_count + depth), pointer(b, self.root_area))
            return
        slots, stack = self.root_entries(offset, consumed, self.depths[offset])
        locations = [self.slots[k] for k in slots] + [self.stack[k] for k in stack]
        if not locations:
            # Nothing to add: whatever an earlier spill of this frame left stays a root until the next one
            # (or, with no earlier spill, the area is still empty). Those objects were live then and have
            # been roots since, so they are still objects: keeping them a little longer is safe, and a
            # frame that never holds a reference across a call (fib) pays nothing at its calls.
            return
        first = 1 + len(self.fixed_slots())
        for i, location in enumerate(locations, start=first):  # plain stack stores into the alloca
            b.store(b.load(location), self.area_word(i))
        b.store(const(first - 1 + len(locations)), self.area_word(0))
        if not self.published:
            assert self.roots_pointer is not None
            b.store(self.root_area, self.roots_pointer)       # published (see frame_roots)

    def area_word(self, index: int) -> ir.Value:
        """An ``i64*`` to word ``index`` of the root area, made once in the entry block (one GEP per word
        per function rather than one per spill: less IR for LLVM to fold)."""
        words = self._area_words
        if words is None:
            words = self._area_words = {}
        word = words.get(index)
        if word is None:
            assert self.root_array is not None and self.area_builder is not None
            word = words[index] = self.area_builder.gep(self.root_array, [const(0), const(index)])
        return word

    _area_words: dict[int, ir.Value] | None = None
    area_builder: ir.IRBuilder | None = None

    def poll(self, line: int, spill_at: int | None = None) -> None:
        """A safepoint: when the heap's safepoint word is set, (spill and) let the runtime collect."""
        f = self.state
        b = f.builder
        heap = self.runtime.heap
        requested = b.icmp_unsigned("!=", load_word(b, const(heap.safepoint_address)), const(0))
        with b.if_then(requested, likely=False):
            if spill_at is not None:
                self.spill(b, spill_at)
            safepoint = self.ctx.declare("lox_safepoint", ir.FunctionType(I64, [I64]))
            result = b.call(safepoint, [const(line)])
            self.ops.check_result(f, b.select(b.icmp_unsigned("==", result, const(0)), const(0), ERROR))

    def enter(self, site: "Site") -> bool:
        """On entry, a poll if the function may allocate; before a call, a spill; before a back-edge, a poll
        (spilling only when it stops)."""
        if not super().enter(site):
            return False
        if site.offset == 0 and self.may_allocate():
            self.poll(site.line, spill_at=0)
        if self.call_may_stop(site.offset):
            self.spill(self.state.builder, site.offset, consumed(site.op, site.arg))
        elif site.op == Op.LOOP and self.loop_may_allocate(site.arg, site.offset):
            self.poll(site.line, spill_at=site.offset)
        return True

    def loop_may_allocate(self, start: int, back_edge: int) -> bool:
        """Whether the loop from ``start`` to its ``back_edge`` may allocate or call. One that does neither
        needs no poll: only allocating asks for a collection, so none can be asked for while it runs (one
        asked for before it waits until the next safepoint after it, with the heap no bigger)."""
        return any(self.call_may_stop(offset) or self.allocates(offset, strict=True)
                   for offset in range(start, back_edge))

    def call_may_stop(self, offset: int) -> bool:
        """Whether instruction ``offset`` is a call that may reach a safepoint (any call but one of quiet
        functions): the frame spills before it, and a loop holding it polls."""
        return self.code.chunk.ops[offset] in _CALLS and not self.calls_quiet_function(offset)

    def calls_quiet_function(self, offset: int) -> bool:
        """Whether the call at ``offset`` is guarded on known functions (or methods) that are all *quiet*:
        no call, no loop and nothing that may make an object in their bytecode (``ADD`` counts: it may
        join strings). Such a callee reaches no safepoint in any tier: the interpreter stops only at its
        own calls and back-edges, compiled code only at polls, which a quiet function has none of. So the
        call needs no spill (``add(mul(x, 3), 7)`` in a loop), and a loop calling it no poll on its
        account; a guard that fails deopts before the call, and the interpreter then holds the frame."""
        plan = self.analysis.plans[offset]
        if plan is None or plan.how is not How.GUARD or plan.case not in ("targets", "shapes"):
            return False
        cache = self.speculator.cache(offset)
        if cache is None or not cache.cases:
            return False
        return all(isinstance(case, (CallTarget, MethodHit, SuperHit)) and self.quiet(case.prototype)
                   for case in cache.cases)

    _quiet: dict[int, bool] | None = None

    def quiet(self, prototype: int) -> bool:
        """Whether a function's bytecode has no call, loop or allocation (asked once per prototype per
        compile: every call site and every loop around it asks)."""
        if self._quiet is None:
            self._quiet = {}
        answer = self._quiet.get(prototype)
        if answer is None:
            record = self.vm.records[self.runtime.heap.field(prototype, FUNCTION, "id")]
            answer = self._quiet[prototype] = not any(Op(op) in _NOT_QUIET for op in record.code.chunk.ops)
        return answer

    _may_allocate: bool | None = None

    def may_allocate(self) -> bool:
        """Whether this function may allocate (then it polls on entry; see the module docstring): any
        instruction that makes an object, an ``ADD`` not planned on numbers, or a call not planned on
        known functions (it may call a class). Instructions the plan leaves to the interpreter do not
        count: the interpreter polls for itself."""
        if self._may_allocate is None:
            self._may_allocate = any(self.allocates(offset) for offset in range(len(self.code.chunk)))
        return self._may_allocate

    def allocates(self, offset: int, strict: bool = False) -> bool:
        """Whether instruction ``offset`` may allocate, as compiled. A shape-cached site counts only when one
        of its cases does (see ``_ALLOCATION_FREE``) and its misses deopt, or, unless ``strict``, run the
        generic code (rare misses: an entry poll may skip them, a loop's poll may not)."""
        plan = self.analysis.plans[offset]
        if plan is None or plan.how is How.LEAVE:
            return False
        op = Op(self.code.chunk.ops[offset])
        if op == Op.ADD:
            return not (plan.how in (How.KNOWN, How.GUARD) and plan.case == "numbers")
        if op == Op.CALL:
            return not (plan.how is How.GUARD and plan.case == "targets")
        free = _ALLOCATION_FREE.get(op)
        if free is not None and plan.case == "shapes" and (
                plan.how is How.GUARD or (plan.how is How.FALLBACK and not strict)):
            cache = self.speculator.cache(offset)
            if cache is not None and cache.cases and all(free(case) for case in cache.cases):
                return False
        return op in _ALLOCATING


#: Instructions that write a local slot (see ``fixed_slots``).
_WRITES_SLOT = frozenset({Op.SET_LOCAL, Op.MAKE_CELL})

#: What keeps a function from being quiet (see ``calls_quiet_function``), judged from its bytecode alone.
_NOT_QUIET = _CALLS | _ALLOCATING | {Op.LOOP, Op.ADD}

#: Shape-cached cases whose fast path makes no object: a field read, a store that needs no bigger
#: overflow store, a method called directly (its callee polls for itself).
_ALLOCATION_FREE: "dict[Op, Callable[[Hashable], bool]]" = {
    Op.GET_PROPERTY: lambda case: isinstance(case, FieldHit),
    Op.SET_PROPERTY: lambda case: isinstance(case, StoreHit) and not case.grows,
    Op.INVOKE: lambda case: isinstance(case, MethodHit),
    Op.SUPER_INVOKE: lambda case: isinstance(case, SuperHit),
}


class RootedCompiler(FrameRoots):
    """A normal entry (or inline copy) with a root area."""


class RootedOSRCompiler(FrameRoots, OSREntryCompiler):
    """An OSR entry with a root area."""

    def fixed_slots(self) -> list[int]:
        """None: an OSR entry's prologue has no arguments (its values come from the OSR buffer)."""
        return []
