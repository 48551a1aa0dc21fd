"""Speculating emitters: a guard whose miss deoptimises, so the code after it can take the guarded case as proven.

Stage 2's ``guarded`` joined the fast path with the generic operation after
every guard, so LLVM saw a phi of "double or whatever the generic path
returned" and had to test it again at the next use. Here a miss leaves the
function through a *deopt exit* (``bytecode_jit.SpeculativeCompiler.deopt_exit``):
the fast path is the only way forward, the result of ``a + b`` is a double
that flows into the next operation untested, and an operand the type
analysis already proved (``analysis.How.KNOWN``) is not tested at all.

Each operation follows its site's :class:`~stage3_deopt.analysis.Plan`
(the same one the analysis used): ``KNOWN`` emits the bare operation,
``GUARD`` one test and a deopt exit, ``FALLBACK``/``GENERIC`` stage 2's and
stage 0's emitters unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from stage0_jit.emitters import FunctionState
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import (NIL, const, from_bool, from_double, is_number, number_arithmetic,
                                 number_compare, to_double)
from stage0_jit.layout import Kind
from stage2_ic.feedback import CallTarget
from stage2_ic.guards import GuardedOperations

from .sidetables import Guard, GuardKind, Operand
from .analysis import How, Plan, Type, call_targets, is_number as proven_number

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from .bytecode_jit import SpeculativeCompiler
    from .vm import DeoptVM

#: Where the guarded values of a binary and a unary operator are (the top of the operand stack).
_BINARY = (Operand.top("left", 2), Operand.top("right", 1))
_UNARY = (Operand.top("operand", 1),)


class SpeculativeOperations(GuardedOperations):
    """Stage 2's emitters, with the speculated cases compiled as guard-or-deoptimise."""

    def __init__(self, ctx: ModuleContext, vm: "DeoptVM") -> None:
        super().__init__(ctx, vm)
        self.frame: SpeculativeCompiler | None = None

    def enter_site(self, site: object, offset: int) -> None:
        """Remember the function being compiled: its plans, its operand types and its deopt exits."""
        super().enter_site(site, offset)
        from .bytecode_jit import SpeculativeCompiler
        self.frame = site if isinstance(site, SpeculativeCompiler) else None

    def current(self) -> tuple[Plan, tuple[Type, ...]] | None:
        """The plan of the instruction being emitted and its operands' types (None: not a speculating frame)."""
        frame = self.frame
        if frame is None:
            return None
        plan = frame.analysis.plans[frame.offset]
        state = frame.analysis.before[frame.offset]
        if plan is None or state is None:
            return None
        return plan, tuple(t for t, _ in state.stack)

    def speculate(self, f: FunctionState, ok: ir.Value, guard: Guard) -> None:
        """Go on when ``ok``; otherwise leave for the interpreter at this instruction (one compare-and-branch)."""
        assert self.frame is not None
        b = f.builder
        exit_block, point = self.frame.deopt_exit(guard)
        ok = self.frame.stressed(ok, point)
        cont = b.append_basic_block("spec.ok")
        b.cbranch(ok, cont, exit_block).set_weights([1000, 1])
        b.position_at_end(cont)

    def unreached(self, f: FunctionState) -> ir.Value:
        """An operation the interpreter never recorded, in a speculating function: leave for the interpreter
        if it is ever reached (it records it; the function is recompiled with it cached). Code after this
        point is unreachable; returns a placeholder value for it."""
        assert self.frame is not None
        b = f.builder
        exit_block, _ = self.frame.deopt_exit(Guard(GuardKind.NO_FEEDBACK))
        b.branch(exit_block)
        b.position_at_end(b.append_basic_block("unreached"))
        return NIL

    def never_recorded(self) -> bool:
        """Whether the current site is one compiled code should leave rather than run generically: it has no
        feedback at all, and it lies past the loop an OSR entry was compiled for (the activation had not got
        there yet). A site inside the loop, or in a function compiled after many calls, that has no feedback
        is rare; it gets the generic path instead."""
        frame = self.frame
        if frame is None or not frame.after_the_loop(frame.offset):
            return False
        return frame.speculator.speculate and frame.speculator.cache(frame.offset) is None \
            and frame.speculator.site_allowed.get(frame.offset, True)

    def require_numbers(self, f: FunctionState, operands: list[tuple[ir.Value, Type]], guard: Guard) -> None:
        """Guard the operands not already proven numbers (none at all for a ``KNOWN`` plan)."""
        b = f.builder
        unknown = [value for value, t in operands if not proven_number(t)]
        if not unknown:
            return
        ok = is_number(b, unknown[0])
        for value in unknown[1:]:
            ok = b.and_(ok, is_number(b, value))
        self.speculate(f, ok, guard)

    # ------------------------------------------------------------ arithmetic, comparison, equality
    def arithmetic(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``KNOWN``/``GUARD`` numbers: the bare double operation; strings: the concatenation helper."""
        spec = self.current()
        if spec is None or spec[0].how not in (How.KNOWN, How.GUARD):
            return super().arithmetic(f, op, x, y, line)
        plan, types = spec
        b = f.builder
        if plan.case == "numbers":
            self.require_numbers(f, [(x, types[-2]), (y, types[-1])], Guard(GuardKind.NUMBERS, _BINARY))
            return number_arithmetic(b, op, x, y)
        strings = b.and_(self.ctx.is_kind(b, x, Kind.STRING), self.ctx.is_kind(b, y, Kind.STRING))
        if plan.case == "strings":
            self.speculate(f, strings, Guard(GuardKind.STRINGS, _BINARY))
            return self.concatenate(f, x, y, line)
        # Numbers or strings: add numbers inline, concatenate strings, leave on anything else.
        numbers = b.and_(is_number(b, x), is_number(b, y))
        add_block = b.append_basic_block("add.numbers")
        other = b.append_basic_block("add.strings")
        done = b.append_basic_block("add.done")
        b.cbranch(numbers, add_block, other)
        b.position_at_end(add_block)
        summed = from_double(b, b.fadd(to_double(b, x), to_double(b, y)))
        b.branch(done)
        b.position_at_end(other)
        self.speculate(f, strings, Guard(GuardKind.NUMBERS_OR_STRINGS, _BINARY))
        joined = self.concatenate(f, x, y, line)
        joined_end = b.block
        b.branch(done)
        return self.join(f, done, [(summed, add_block), (joined, joined_end)])

    def concatenate(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Two strings joined by the IR helper (which can only fail for lack of memory)."""
        joined: ir.Value = f.builder.call(self.ctx.concat_or_error, [x, y, const(line)])
        self.check_result(f, joined)
        return joined

    def compare(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Numbers proven or guarded: the bare ``fcmp`` (clox's NaN rules kept)."""
        spec = self.current()
        if spec is None or spec[0].how not in (How.KNOWN, How.GUARD):
            return super().compare(f, op, x, y, line)
        _, types = spec
        b = f.builder
        self.require_numbers(f, [(x, types[-2]), (y, types[-1])], Guard(GuardKind.NUMBERS, _BINARY))
        return number_compare(b, op, x, y)

    def equal(self, f: FunctionState, x: ir.Value, y: ir.Value, negate: bool) -> ir.Value:
        """Numbers proven or guarded: an inline IEEE compare."""
        spec = self.current()
        if spec is None or spec[0].how not in (How.KNOWN, How.GUARD):
            return super().equal(f, x, y, negate)
        _, types = spec
        b = f.builder
        self.require_numbers(f, [(x, types[-2]), (y, types[-1])], Guard(GuardKind.NUMBERS, _BINARY))
        same = b.fcmp_ordered("==", to_double(b, x), to_double(b, y))
        return from_bool(b, b.not_(same) if negate else same)

    def negate(self, f: FunctionState, x: ir.Value, line: int) -> ir.Value:
        """A number proven or guarded: the bare ``fneg``."""
        spec = self.current()
        if spec is None or spec[0].how not in (How.KNOWN, How.GUARD):
            return super().negate(f, x, line)
        _, types = spec
        b = f.builder
        self.require_numbers(f, [(x, types[-1])], Guard(GuardKind.NEGATED_NUMBER, _UNARY))
        return from_double(b, b.fneg(to_double(b, x)))

    # ------------------------------------------------------------ globals
    def get_global(self, f: FunctionState, cell: int, line: int) -> ir.Value:
        """A global that always held a number: load it and guard, so what follows knows a double."""
        spec = self.current()
        value = super().get_global(f, cell, line)
        if spec is not None and spec[0].how is How.GUARD:
            assert self.frame is not None
            operand = self.frame.code.chunk.args[self.frame.offset]      # the global's index in the function
            self.speculate(f, is_number(f.builder, value), Guard(GuardKind.GLOBAL_NUMBER,
                                                                 (Operand("global", "global", operand),)))
        return value

    # ------------------------------------------------------------ calls
    def call(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """Known callees, guarded one by one; the last miss deoptimises instead of calling generically."""
        spec = self.current()
        cache = self.cache
        if spec is None or spec[0].how is not How.GUARD or cache is None:
            return super().call(f, callee, args, line)
        b = f.builder
        self.record_line(f, line)
        targets = call_targets(cache, len(args))

        def guard(target: CallTarget) -> ir.Value:
            if cache is not None and cache.closure is not None and len(targets) == 1:
                return b.icmp_unsigned("==", callee, const(cache.closure))   # always this very closure
            return self.is_closure_of(f, callee, target.prototype)

        def fast(target: CallTarget) -> Callable[[], ir.Value]:
            return lambda: self.direct_call(f, target, callee, args)
        result = self.chain(f, "known", [(guard(t), fast(t)) for t in targets], True,
                            lambda: super(SpeculativeOperations, self).call(f, callee, args, line),
                            Guard(GuardKind.CALL_TARGET, (Operand.top("callee", len(args) + 1),)))
        self.check_result(f, result)
        return result

    def chain(self, f: FunctionState, name: str, keys: list[tuple[ir.Value, Callable[[], ir.Value]]],
              speculating: bool, generic: Callable[[], ir.Value], guard: Guard) -> ir.Value:
        """Test each ``(ok, fast)`` in turn; the first that holds runs its fast path. After the last: a
        deopt exit when speculating (no generic path to merge with), else the site's miss counter and
        ``generic`` (stage 2's way)."""
        b = f.builder
        done = b.append_basic_block(f"{name}.done")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        for n, (ok, fast) in enumerate(keys):
            last = n == len(keys) - 1
            if last and speculating:
                self.speculate(f, ok, guard)
            else:
                hit = b.append_basic_block(f"{name}.hit")
                miss = b.append_basic_block(f"{name}.next")
                b.cbranch(ok, hit, miss).set_weights([1000, 1])
                b.position_at_end(hit)
            result = fast()
            incoming.append((result, b.block))
            b.branch(done)
            if not (last and speculating):
                b.position_at_end(miss)
        if not speculating:
            self.count_miss(f)
            result = generic()
            incoming.append((result, b.block))
            b.branch(done)
        return self.join(f, done, incoming)
