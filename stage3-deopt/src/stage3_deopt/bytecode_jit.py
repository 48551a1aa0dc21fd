"""Tier 2 with deopt exits: the normal entry (with a stale-code check) and OSR entries at loop headers.

:class:`SpeculativeCompiler` is stage 1's bytecode compiler plus three things:

- before emitting, it runs the type analysis (``analysis.analyse``), whose
  plans the emitters follow;
- :meth:`deopt_exit` builds the block a failed guard jumps to: it stores
  every live slot and stack entry into the deopt buffer, registers a
  :class:`~stage3_deopt.sidetables.DeoptPoint` saying where each value went,
  calls the runtime's ``lox_deopt(point)`` (which rebuilds the interpreter
  activation and runs it to its end) and returns that result as its own:
  a deopt is an ordinary return, so callers never notice;
- on entry, before pushing its frame, a normal entry checks that it is still
  the function's installed code. Code is discarded after a deopt, but
  callers compiled earlier may call it directly (or have inlined it): the
  check sends such a call through the entry slot to whatever is current.

:class:`OSREntryCompiler` compiles the same body with a different entry:
``i64 f_osr(i64 closure)`` takes over the frame record the interpreter
pushed, loads the live slots and stack entries from the OSR buffer, guards
the ones it speculates are numbers, and jumps to the loop header; only code
reachable from the header is emitted. It is a separate LLVM function from
the normal entry so that each is straight-line code for LLVM, and every
caller keeps the one calling convention.
"""

from __future__ import annotations

from functools import cached_property

from llvmlite import ir

from stage0_jit import values
from stage0_jit.emitters import Operations
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import ERROR, I64, NIL, const, is_number, pointer
from stage0_jit.layout import FUNCTION
from stage1_interp.bytecode import Op, reaching, stack_depths
from stage1_interp.bytecode_jit import BytecodeFunctionCompiler
from stage1_interp.functions import FunctionRecord

from stage2_ic.guards import GuardKind, Operand

from .sidetables import CodeVersion, DeoptPoint, FrameMap, Guard, Stored, ValueLocation
from .analysis import (Analysis, Const, How, Known, State, Type, analyse, is_number as proven_number, is_value,
                       trusted_cases)

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from stage1_interp.sites import Site

    from .vm import DeoptVM


class SpeculativeCompiler(BytecodeFunctionCompiler):
    """A function's normal entry, compiled with its analysis, deopt exits and the stale-code check."""

    def __init__(self, ctx: ModuleContext, ops: Operations, vm: "DeoptVM", record: FunctionRecord, symbol: str,
                 version: CodeVersion, parameters: int | None = None) -> None:
        super().__init__(ctx, ops, vm, record, symbol, parameters)
        self.deopt_vm = vm
        self.version = version
        self.speculator = vm.deopt.speculator(record)
        self.depths = stack_depths(record.code.chunk)
        self.analysis: Analysis = self.analyse()
        self.inlined_into: str | None = None
        # What the emitters did at each instruction (the guard kinds of its deopt exits, "miss" for a counted
        # miss): checked against the plans once the body is emitted (check_plans).
        self.emitted: dict[int, list[GuardKind | str]] = {}

    def analyse(self) -> Analysis:
        """The facts the emitters rely on (from instruction 0)."""
        return analyse(self.record, self.speculator, size_limit=self.size_limit)

    @property
    def size_limit(self) -> int:
        """Past this many instructions a function is compiled unoptimised and not analysed (it runs once)."""
        return self.deopt_vm.settings.max_optimised_size

    # ------------------------------------------------------------ entry
    def entry_check(self, builder: ir.IRBuilder) -> ir.IRBuilder:
        """Stale code (discarded since this caller bound to it) forwards the call to the installed entry."""
        b = builder
        installed = self.ctx.known_functions.get(self.record.prototype, self.function)
        slot = b.load(pointer(b, const(self.record.prototype), FUNCTION.offset("entry")), name="installed")
        current = b.icmp_unsigned("==", slot, b.ptrtoint(installed, I64))
        stale = self.function.append_basic_block("stale")
        fresh = self.function.append_basic_block("fresh")
        b.cbranch(current, fresh, stale).set_weights([1000, 1])
        sb = ir.IRBuilder(stale)
        target = sb.inttoptr(slot, self.function.function_type.as_pointer())
        sb.ret(sb.call(target, list(self.function.args)))
        return ir.IRBuilder(fresh)

    def emit_body(self, start: int) -> None:
        """Stage 1's body, then the check that every site was emitted as its plan said."""
        super().emit_body(start)
        self.check_plans()

    def check_plans(self) -> None:
        """The emitters follow the plans the analysis made (the facts it proved rest on them): a ``GUARD`` or
        ``LEAVE`` site has its deopt exit and counts no miss, ``FALLBACK`` has no deopt exit, ``KNOWN`` and
        ``GENERIC`` neither; an instruction without a plan leaves only as an OSR entry guard. An emitter that
        decided otherwise fails this assertion (every compile in every test checks it)."""
        for offset, plan in enumerate(self.analysis.plans):
            did = [d for d in self.emitted.get(offset, []) if d is not GuardKind.OSR_ENTRY]
            deopts = [d for d in did if d != "miss"]
            how = plan.how if plan is not None else None
            if how is How.GUARD:
                ok = bool(deopts) and "miss" not in did and GuardKind.NO_FEEDBACK not in deopts
            elif how is How.LEAVE:
                ok = deopts == [GuardKind.NO_FEEDBACK]
            elif how is How.FALLBACK:
                ok = not deopts
            else:
                ok = not did
            assert ok, (f"{self.record.name} bytecode {offset} {Op(self.code.chunk.ops[offset]).name}: the plan "
                        f"says {how.name if how else 'nothing'}, the emitters did {did or 'nothing'}")

    def note(self, what: GuardKind | str) -> None:
        """Record what the emitters did at the current instruction (see ``check_plans``)."""
        self.emitted.setdefault(self.offset, []).append(what)

    # ------------------------------------------------------------ deoptimisation
    def enter(self, site: "Site") -> bool:
        """A site whose plan is ``LEAVE`` (never run, past an OSR entry's loop) becomes a deopt exit ("no
        feedback yet") instead of its operation: what follows it in its block is unreachable."""
        if not super().enter(site):
            return False
        plan = self.analysis.plans[site.offset]
        if plan is None or plan.how is not How.LEAVE:
            return True
        b = self.state.builder
        exit_block, _ = self.deopt_exit(Guard(GuardKind.NO_FEEDBACK))
        b.branch(exit_block)
        b.position_at_end(self.function.append_basic_block("unreached"))
        return False

    def stressed(self, ok: ir.Value, point: DeoptPoint) -> ir.Value:
        """Under ``--deopt-stress``, a guard also fails the first time it is reached (its flag is still set)."""
        flag = self.deopt_vm.deopt.stress_flag(point)
        if flag is None:
            return ok
        b = self.state.builder
        armed = b.load(pointer(b, const(flag)), name="stress")
        return b.and_(ok, b.icmp_unsigned("==", armed, const(0)))

    def frame_map(self, offset: int, buffer_words: int) -> FrameMap:
        """Where every live value of the activation is at ``offset`` (see ``sidetables``)."""
        state = self.analysis.before[offset]
        assert state is not None, f"no facts at {offset}"
        live = self.analysis.live[offset]
        locations: list[ValueLocation] = []
        word = 1
        entries: list[tuple[str, int, Type]] = [
            ("slot", k, state.slots[k]) for k in range(self.code.slot_count) if live >> k & 1]
        entries += [("stack", k, t) for k, (t, _) in enumerate(state.stack)]
        for place, index, t in entries:
            if isinstance(t, Const):
                locations.append(ValueLocation(place, index, Stored.CONSTANT, t.word))
                continue
            how = Stored.DOUBLE if proven_number(t) else Stored.CELL if t is Known.CELL else Stored.BOXED
            assert word < buffer_words, "frame larger than the deopt buffer"
            locations.append(ValueLocation(place, index, how, word))
            word += 1
        return FrameMap(self.record.name, self.record_index, offset, self.code.chunk.lines[offset],
                        self.code.slot_count, len(state.stack), tuple(locations))

    def location(self, v: ValueLocation) -> ir.Value:
        """The alloca holding one value of the frame."""
        return (self.slots if v.place == "slot" else self.stack)[v.index]

    @property
    def record_index(self) -> int:
        """The function's index in the VM's records (its prototype's id)."""
        return int(self.runtime.heap.field(self.record.prototype, FUNCTION, "id"))

    def deopt_exit(self, guard: Guard) -> tuple[ir.Block, DeoptPoint]:
        """A block that leaves compiled code at the current instruction when ``guard`` fails: store the frame,
        let the interpreter finish the activation, return what it returns. The point's guard gets the site's
        feedback cases and its operands' stack entries numbered as in the frame map."""
        deopt = self.deopt_vm.deopt
        offset = self.offset
        frame = self.frame_map(offset, deopt.buffer.capacity)
        cache = self.speculator.cache(offset)
        guard = guard.with_operands(tuple(o.in_frame(frame.stack_depth) for o in guard.operands),
                                    trusted_cases(cache))
        point = deopt.tables.add(guard, Op(self.code.chunk.ops[offset]).name, frame, self.version,
                                 self.inlined_into)
        self.note(guard.kind)
        block = self.function.append_basic_block(f"deopt{point.id}")
        b = ir.IRBuilder(block)
        base = deopt.buffer.base
        b.store(self.state.closure, pointer(b, const(base)))
        for v in frame.locations:
            if v.how is not Stored.CONSTANT:
                b.store(b.load(self.location(v)), pointer(b, const(base + 8 * v.word)))
        result = b.call(deopt.declare(self.ctx), [const(point.id)])
        b.store(self.state.depth, self.depth_pointer)
        b.ret(result)
        return block, point


class OSREntryCompiler(SpeculativeCompiler):
    """An entry at a loop header: the interpreter's activation continues here (see the module docstring)."""

    def __init__(self, ctx: ModuleContext, ops: Operations, vm: "DeoptVM", record: FunctionRecord, symbol: str,
                 version: CodeVersion, header: int, slots: list[int], stack: list[int]) -> None:
        self.header = header
        self.live_slots = slots
        self.live_stack = stack
        self.speculated: list[tuple[str, int]] = []
        self.checking_entry = False        # while building an entry guard's exit (see frame_map)
        super().__init__(ctx, ops, vm, record, symbol, version, parameters=0)
        self.entry_map = self.frame_map(header, vm.osr_entries.buffer.capacity)

    def frame_map(self, offset: int, buffer_words: int) -> FrameMap:
        """As for any exit; an entry guard's exit keeps the values it checks boxed (they may not be numbers)."""
        frame = super().frame_map(offset, buffer_words)
        if not self.checking_entry:
            return frame
        checked = set(self.speculated)
        return frame.with_locations(tuple(
            v.with_how(Stored.BOXED) if v.how is Stored.DOUBLE and (v.place, v.index) in checked else v
            for v in frame.locations))

    @cached_property
    def leads_to_header(self) -> list[bool]:
        """Which instructions can lead back to the loop header (the loop and what precedes it)."""
        return reaching(self.code.chunk, self.header)

    def after_the_loop(self, offset: int) -> bool:
        """Code reachable from the loop header that cannot lead back to it: what follows the loop."""
        return not self.leads_to_header[offset]

    def frame_index(self, builder: ir.IRBuilder, depth: ir.Value) -> ir.Value:
        """The interpreter already pushed this activation's record: take it over."""
        return builder.sub(depth, const(1), name="record_index")

    def analyse(self) -> Analysis:
        """Facts from the loop header on: structural facts (cells) from the whole function, number
        speculation on the values the activation holds right now."""
        self.speculator.past_the_loop = self.after_the_loop
        whole = analyse(self.record, self.speculator, size_limit=self.size_limit)
        at_header = whole.before[self.header]
        assert at_header is not None
        slots: list[Type] = []
        for k, t in enumerate(at_header.slots):
            slots.append(self.entry_type(t, self.live_slots[k] if k < len(self.live_slots) else values.NIL))
        stack = tuple((self.entry_type(t, self.live_stack[k]), -1) for k, (t, _) in enumerate(at_header.stack))
        entry = State(tuple(slots), stack)
        region = analyse(self.record, self.speculator, self.header, entry, size_limit=self.size_limit)
        settled = region.before[self.header]
        assert settled is not None
        # Guard, on entry, the values the loop keeps as numbers. The whole function's facts spare the check only
        # for a constant: its number facts rest on the guards of compiled code, and the activation entering here
        # ran in the interpreter, which has none (any activation reaching this header hot uses this entry, not
        # only the one it was compiled for: one whose slot holds a string there must not be read as a double).
        for k, t in enumerate(settled.slots):
            if proven_number(t) and not isinstance(at_header.slots[k], Const) and region.live[self.header] >> k & 1:
                self.speculated.append(("slot", k))
        for k, (t, _) in enumerate(settled.stack):
            if proven_number(t) and not isinstance(at_header.stack[k][0], Const):
                self.speculated.append(("stack", k))
        return region

    def entry_type(self, proven: Type, value: int) -> Type:
        """What the OSR entry assumes of one value: a constant or a cell if the whole function proves it, else
        a number if it is one now (checked on entry) where the slot certainly holds a Lox value; nothing when
        the function does not speculate (``--deopt=off``, or past its deopt limit: no entry check may fail)."""
        if isinstance(proven, Const) or not is_value(proven):
            return proven
        return Known.NUMBER if self.speculator.speculate and values.is_number(value) else Known.VALUE

    def compile(self) -> None:
        """Take over the frame, load the live values, guard the speculated ones, jump to the header."""
        f = self.state
        eb = f.entry_builder
        eb.branch(self.body_block)
        ub = ir.IRBuilder(f.unwind)
        ub.store(f.depth, self.depth_pointer)
        ub.ret(ERROR)
        eb.position_before(eb.block.instructions[-1])
        self.allocate_frame()
        b = f.builder
        base = self.deopt_vm.osr_entries.buffer.base
        loaded = {(v.place, v.index) for v in self.entry_map.locations}
        for k, slot in enumerate(self.slots):
            if ("slot", k) not in loaded:
                b.store(NIL, slot)
        for v in self.entry_map.locations:
            word = const(v.word) if v.how is Stored.CONSTANT else b.load(pointer(b, const(base + 8 * v.word)))
            b.store(word, self.location(v))
        self.offset = self.header
        for place, index in self.speculated:
            value = b.load((self.slots if place == "slot" else self.stack)[index])
            self.guard_entry_number(value, Guard(GuardKind.OSR_ENTRY, (Operand("loop value", place, index),)))
        self.emit_body(self.header)
        self.close_frame()

    def guard_entry_number(self, value: ir.Value, guard: Guard) -> None:
        """One entry guard: a value the region treats as a number must be one now, else deopt at the header."""
        b = self.state.builder
        self.checking_entry = True
        try:
            exit_block, point = self.deopt_exit(guard)
        finally:
            self.checking_entry = False
        ok = self.stressed(is_number(b, value), point)
        cont = self.function.append_basic_block("osr.ok")
        b.cbranch(ok, cont, exit_block).set_weights([1000, 1])
        b.position_at_end(cont)

