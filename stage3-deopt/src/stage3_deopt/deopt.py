"""Deoptimisation at run time: rebuild the activation a deopt exit describes, run it, and decide what happens next.

A failed guard calls ``lox_deopt(point)``. :meth:`Deoptimizer.deoptimise`
reads the point's side table (``sidetables.FrameMap``), rebuilds the slots
and operand stack from the deopt buffer, and resumes the interpreter at the
guard's bytecode on the frame record compiled code had pushed
(``Interpreter.resume``). The interpreter runs the failing instruction
itself, so errors, lines and traces are exactly its own, and its feedback
recorder sees the new case: the site's feedback widens. The result goes back
to the compiled code, which returns it as its own (an ordinary return).

What happens next (the policy, counted per site and per function):

1. the function's compiled code is discarded and the function goes back to
   the interpreter, its counters restarting where feedback recording starts
   (``feedback_after``), so the interpreter records the new case and the
   function is recompiled, with the wider feedback, once it is hot again;
2. a site that has deoptimised ``site_deopt_limit`` times stops speculating:
   later compilations give it stage 2's guard-and-generic code;
3. a function that has deoptimised ``function_deopt_limit`` times stops
   speculating altogether.

Only deopts of installed code count: an older activation of code already
discarded (a recursion unwinding through it) leaves too, but its bets
predate the wider feedback and nothing is recompiled for it.

So a program whose types flip forever deoptimises a bounded number of times
and settles into generic compiled code. ``--trace=deopt`` explains every
deopt (which guard, what it trusted, what it saw, what was rebuilt, what
happens next); ``--deopt-stress`` arms every guard to fail once.
"""

from __future__ import annotations

import ctypes
from collections import defaultdict

from stage0_jit import values
from stage0_jit.heap import NativeRegion
from stage0_jit.layout import GLOBAL, WORD
from stage1_interp.functions import FunctionRecord
from stage2_ic.feedback import type_tag
from stage2_ic.guards import GuardKind, Operand

from .sidetables import DeoptBuffer, DeoptPoint, Stored, SideTables
from .analysis import Speculator

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from llvmlite import ir

    from stage0_jit.irmodule import ModuleContext

    from .vm import DeoptVM

DEOPT_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)


class StressFlags:
    """``--deopt-stress``: one native word per deopt point, armed (1) when its guard is compiled and
    cleared the first time the point fires. The words come in chunks made as points are numbered, so
    every guard of a program is armed, however many there are."""

    CHUNK = 1 << 16     # words per chunk (512 KiB of address space, touched only where points are)

    def __init__(self) -> None:
        self.chunks: list[NativeRegion] = []

    def arm(self, point: int) -> int:
        """Arm ``point``'s flag; returns the flag's address, which the compiled guard reads."""
        chunk, index = divmod(point, self.CHUNK)
        self.make_room(point)
        region = self.chunks[chunk]
        region.words[index] = 1
        return region.base + index * WORD

    def make_room(self, point: int) -> None:
        """Make the flags up to ``point``'s (stage 6 makes them before a forked process numbers points in a
        reserved block: the flags' addresses it compiles in must exist in this process too)."""
        while len(self.chunks) <= point // self.CHUNK:
            self.chunks.append(NativeRegion(self.CHUNK * WORD))

    def fired(self, point: int) -> bool:
        """Whether ``point`` fired because its flag was armed (then cleared: it fails only once)."""
        chunk, index = divmod(point, self.CHUNK)
        if chunk >= len(self.chunks) or self.chunks[chunk].words[index] == 0:
            return False
        self.chunks[chunk].words[index] = 0
        return True


class Deoptimizer:
    """The side tables, the deopt buffer, the ``lox_deopt`` callback and the deopt policy of one VM."""

    def __init__(self, vm: "DeoptVM") -> None:
        self.vm = vm
        self.tables = SideTables()
        self.buffer = DeoptBuffer()
        settings = vm.settings
        self.stress = StressFlags() if settings.deopt_stress else None
        self.site_deopts: dict[tuple[int, int], int] = defaultdict(int)     # (function id, offset) -> deopts
        self.function_deopts: dict[int, int] = defaultdict(int)             # function id -> deopts
        self.sites_off: set[tuple[int, int]] = set()
        self.functions_off: set[int] = set()
        self.by_reason: dict[tuple[str, str], int] = defaultdict(int)       # (function, reason) -> deopts
        self.callback = DEOPT_TYPE(self._enter)
        vm.runtime.callbacks.add("lox_deopt", self.callback)

    # ------------------------------------------------------------ what the compiler asks
    def speculator(self, record: FunctionRecord) -> Speculator:
        """The speculation policy for compiling ``record`` now (limits reached so far taken into account)."""
        settings = self.vm.settings
        index = self.vm.index_of(record)
        speculate = settings.deopt and settings.ic and index not in self.functions_off
        allowed = {offset: False for (function, offset) in self.sites_off if function == index}
        return Speculator(record, speculate, allowed, self.vm.opcode_types(), self.vm.opcode_plans())

    def stress_flag(self, point: DeoptPoint) -> int | None:
        """Under ``--deopt-stress``: the address of the point's flag, armed (1) until it first fires."""
        return self.stress.arm(point.id) if self.stress is not None else None

    @staticmethod
    def declare(ctx: "ModuleContext") -> "ir.Function":
        """``i64 lox_deopt(i64 point)`` in this module (declared once per module)."""
        from llvmlite import ir

        from stage0_jit.irvalues import I64
        return ctx.declare("lox_deopt", ir.FunctionType(I64, [I64]))

    # ------------------------------------------------------------ the exit
    def _enter(self, point_id: int) -> int:
        """The C callback: never lets a Python exception cross into native code."""
        runtime = self.vm.runtime
        try:
            return values.to_signed(self.deoptimise(self.tables.points[point_id]))
        except BaseException as exc:   # noqa: BLE001 - must not cross into native code
            runtime.pending_exception = runtime.pending_exception or exc
            return values.to_signed(values.ERROR)

    def deoptimise(self, point: DeoptPoint) -> int:
        """Rebuild the activation, apply the policy, let the interpreter finish it; returns its result."""
        frame = point.frame
        closure, slots, stack = frame.rebuild(self.buffer)
        depth = self.vm.runtime.frames.depth - 1          # the record compiled code pushed
        forced = self.stress is not None and self.stress.fired(point.id)
        self.account(point, slots, stack, forced)
        return self.vm.interpreter.resume(closure, slots, stack, frame.offset, depth)

    # ------------------------------------------------------------ policy and explanation
    def account(self, point: DeoptPoint, slots: list[int], stack: list[int], forced: bool) -> None:
        """Count the deopt, discard the code and apply the limits; explain it under ``--trace=deopt``."""
        vm = self.vm
        settings = vm.settings
        record = point.code.record
        index = vm.index_of(record)
        point.taken += 1
        vm.stats.add("deopt.total")
        vm.timeline.instant(f"deopt: {record.name} {point.operation}", "deopt",
                            {"reason": point.reason, "line": point.frame.line, "forced": forced})
        if forced:
            vm.stats.add("deopt.stress_forced")
            self.explain(point, slots, stack, "forced by --deopt-stress (the guard held): "
                                              "the compiled code stays; this guard is disarmed")
            return
        self.by_reason[(record.name, point.reason)] += 1
        point.code.deopts += 1
        if not point.code.valid:
            # An older activation (a recursion, say) of code a deopt already discarded: its bets were made before
            # the feedback widened, and no recompilation follows, so it says nothing about whether the site
            # settles. Counting it would let one type change in a recursive function reach the limits at once.
            self.explain(point, slots, stack, f"{point.code.title} was already discarded (an older activation): "
                                              f"not counted towards the deopt limits")
            return
        if point.guard.kind is GuardKind.NO_FEEDBACK:
            # An OSR entry's code met an operation past its loop that the interpreter had never run (the
            # activation had not got there): it runs in the interpreter now, which records it, and the next
            # compilation caches it. Once per site, so it counts towards no limit.
            vm.discard(record, f"no feedback yet at line {point.frame.line}")
            self.explain(point, slots, stack, f"{record.name}'s compiled code is discarded; the interpreter records "
                                              f"this site; recompiled after {self.reheat} more calls + back-edges "
                                              f"(not counted towards the deopt limits)")
            return
        key = (index, point.frame.offset)
        self.site_deopts[key] += 1
        self.function_deopts[index] += 1
        site, function = self.site_deopts[key], self.function_deopts[index]
        vm.discard(record, f"deopt at line {point.frame.line}")
        steps = [f"{record.name}'s compiled code is discarded "
                 f"(deopt {site} of this site, {function} of {record.name})"]
        if function >= settings.function_deopt_limit and index not in self.functions_off:
            self.functions_off.add(index)
            vm.stats.add("deopt.functions_stopped_speculating")
            steps.append(f"{record.name} reached function_deopt_limit ({settings.function_deopt_limit}): "
                         f"it stops speculating (generic code from now on)")
        elif site >= settings.site_deopt_limit and key not in self.sites_off:
            self.sites_off.add(key)
            vm.stats.add("deopt.sites_stopped_speculating")
            steps.append(f"this site reached site_deopt_limit ({settings.site_deopt_limit}): "
                         f"it stops speculating")
        steps.append(f"recompiled with the wider feedback after {self.reheat} more calls + back-edges")
        self.explain(point, slots, stack, "; ".join(steps))

    @property
    def reheat(self) -> int:
        """Calls + back-edges between a discard and the next compilation (counting restarts where feedback
        recording starts, so the interpreter keeps recording in between)."""
        return max(self.vm.settings.threshold - self.vm.feedback_after, 1)

    def explain(self, point: DeoptPoint, slots: list[int], stack: list[int], next_steps: str) -> None:
        """The ``--trace=deopt`` lines: the guard, its bet, what came instead, the rebuild, what next."""
        vm = self.vm
        if "deopt" not in vm.options.trace:
            return
        frame = point.frame
        trusted = point.guard.describe_trusted(vm.show_case, "seen {} times")
        inlined = f" (in the inline copy LLVM inlined into {point.inlined_into})" if point.inlined_into else ""
        kinds = {how: sum(1 for v in frame.locations if v.how is how) for how in Stored}
        dead = frame.slot_count - sum(1 for v in frame.locations if v.place == "slot")
        vm.trace("deopt", f"{frame.function} line {frame.line} bytecode {frame.offset} {point.operation}"
                          f"{inlined}: guard '{point.reason}' failed in {point.code.title}")
        vm.trace("deopt", f"  trusted: {trusted}")
        vm.trace("deopt", f"  saw: {self.seen(point, slots, stack)}")
        vm.trace("deopt", f"  rebuilt 1 interpreter frame: {len(frame.locations)} values "
                          f"({kinds[Stored.BOXED]} boxed, {kinds[Stored.DOUBLE]} re-boxed doubles, "
                          f"{kinds[Stored.CELL]} cells, {kinds[Stored.CONSTANT]} constants), "
                          f"{dead} dead slots as nil")
        vm.trace("deopt", f"  next: the interpreter resumes at bytecode {frame.offset}; {next_steps}")

    def seen(self, point: DeoptPoint, slots: list[int], stack: list[int]) -> str:
        """What the guard found instead of what it trusted: its operands' values, read from the rebuilt frame."""
        found = [self.value_of(point, operand, slots, stack) for operand in point.guard.operands]
        heap = self.vm.runtime.heap
        return point.guard.describe_found(found, lambda v: type_tag(heap, v), self.vm.describe_value)

    def value_of(self, point: DeoptPoint, operand: Operand, slots: list[int], stack: list[int]) -> int:
        """The value of one guarded operand: in the rebuilt frame, or in a global's cell."""
        if operand.place == "global":
            heap = self.vm.runtime.heap
            return int(heap.field(point.code.record.global_cells[operand.index], GLOBAL, "value"))
        return (slots if operand.place == "slot" else stack)[operand.index]

    def report(self) -> list[str]:
        """``--stats`` lines: deopts per function and reason."""
        return [f"  {name}: {count} deopts, guard '{reason}'"
                for (name, reason), count in sorted(self.by_reason.items())]
