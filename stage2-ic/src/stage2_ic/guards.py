"""Feedback-guided emitters: one guard (compare and branch) before a cached fast path, the generic path on a miss.

Each specialisation is named for the case it handles: ``do_numbers`` (both
operands were always numbers), ``do_strings`` (``+`` always saw two strings),
``do_known_calls`` (the call site always called the same one to four
functions). The fast path is fast because the guard proves what the generic
path has to test for, so the rest is straight-line code: a double
operation with no dispatch, or a direct call with the arity check folded
away (the guard pins the function, so its arity is a constant; a function
calling itself calls an inlined copy, see ``inline_copy``). When a guard
fails, the site's native miss counter is bumped and the generic stage-0
operation runs: slower, never wrong. Deoptimisation comes in stage 3.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import I64, address_of, both_numbers, const, from_bool, number_arithmetic, to_double
from stage0_jit.layout import CLOSURE, FUNCTION, GLOBAL, Kind
from stage0_jit import values
from stage1_interp.bytecode_jit import BytecodeFunctionCompiler

from .feedback import CallTarget, InlineCache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .vm import ICVM

NUMBERS = ("number", "number")


class GuardedOperations(Operations):
    """Stage 0's emitters, overridden where the current site's inline cache allows a guarded fast path."""

    def __init__(self, ctx: ModuleContext, vm: "ICVM") -> None:
        super().__init__(ctx)
        self.vm = vm
        self.cache: InlineCache | None = None
        # Inline copies of self-recursive functions, by prototype; their bodies are emitted last.
        self.inline_copies: dict[int, BytecodeFunctionCompiler] = {}

    def enter_site(self, site: object, offset: int) -> None:
        """Look up the inline cache of the operation about to be emitted (``site``: the bytecode compiler)."""
        record = getattr(site, "record", None)
        self.cache = record.feedback.get(offset) if record is not None else None

    def guarded_cases(self) -> list[object]:
        """The site's cases when compiled code may specialise on them, else []."""
        cache = self.cache
        if cache is None or not cache.guarded:
            return []
        return list(cache.cases)

    def count_miss(self, f: FunctionState) -> None:
        """Bump the current site's guard-miss counter (native memory, no call)."""
        if self.cache is None:
            return
        address = self.vm.miss_counters.assign(self.cache)
        if address is None:
            return
        b = f.builder
        counter = b.inttoptr(const(address), I64.as_pointer())
        b.store(b.add(b.load(counter), const(1)), counter)

    def guarded(self, f: FunctionState, ok: ir.Value, name: str, fast: Callable[[], ir.Value],
                generic: Callable[[], ir.Value]) -> ir.Value:
        """Branch on ``ok`` (expected true) to ``name.fast``, built by ``fast``, or to ``name.miss``,
        which bumps the site's miss counter and runs ``generic``; returns the joined value."""
        b = f.builder
        fast_block = b.append_basic_block(f"{name}.fast")
        miss_block = b.append_basic_block(f"{name}.miss")
        done = b.append_basic_block(f"{name}.done")
        b.cbranch(ok, fast_block, miss_block).set_weights([1000, 1])
        b.position_at_end(fast_block)
        result = fast()
        fast_end = b.block
        b.branch(done)
        b.position_at_end(miss_block)
        self.count_miss(f)
        slow = generic()
        slow_end = b.block
        b.branch(done)
        return self.join(f, done, [(result, fast_end), (slow, slow_end)])

    # ------------------------------------------------------------ arithmetic and comparison
    def arithmetic(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Numbers (or, for ``+``, strings) seen every time: guard and take the fast path."""
        cases = self.guarded_cases()
        if cases and all(c == NUMBERS for c in cases):
            return self.do_numbers(f, op, x, y, line)
        if op == "+" and cases == [("string", "string")]:
            return self.do_strings(f, x, y, line)
        return super().arithmetic(f, op, x, y, line)

    def do_numbers(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """One guard for both operands, then the bare double operation."""
        b = f.builder
        return self.guarded(
            f, both_numbers(b, x, y), "num",
            lambda: number_arithmetic(b, op, x, y),
            lambda: super(GuardedOperations, self).arithmetic(f, op, x, y, line))

    def do_strings(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``+`` that only ever saw strings: guard on two strings, concatenate with no number test first."""
        b = f.builder

        def concatenate() -> ir.Value:
            joined: ir.Value = b.call(self.ctx.concat_or_error, [x, y, const(line)])
            self.check_result(f, joined)
            return joined

        strings = b.and_(self.ctx.is_kind(b, x, Kind.STRING), self.ctx.is_kind(b, y, Kind.STRING))
        return self.guarded(f, strings, "str", concatenate,
                            lambda: super(GuardedOperations, self).arithmetic(f, "+", x, y, line))

    def equal(self, f: FunctionState, x: ir.Value, y: ir.Value, negate: bool) -> ir.Value:
        """Two numbers every time: an inline IEEE compare instead of the generic equality helper."""
        cases = self.guarded_cases()
        if not (cases and all(c == NUMBERS for c in cases)):
            return super().equal(f, x, y, negate)
        b = f.builder

        def compare() -> ir.Value:
            same = b.fcmp_ordered("==", to_double(b, x), to_double(b, y))
            return from_bool(b, b.not_(same) if negate else same)

        return self.guarded(f, both_numbers(b, x, y), "eq", compare,
                            lambda: super(GuardedOperations, self).equal(f, x, y, negate))

    # ------------------------------------------------------------ globals
    def get_global(self, f: FunctionState, cell: int, line: int) -> ir.Value:
        """A global defined when the code is compiled can never become undefined again: no check."""
        if self.vm.runtime.heap.field(cell, GLOBAL, "value") != values.UNDEFINED:
            return self.load_field(f, const(cell), GLOBAL.offset("value"))
        return super().get_global(f, cell, line)

    def set_global(self, f: FunctionState, cell: int, value: ir.Value, line: int) -> None:
        """Assigning a global already defined at compile time needs no check either."""
        if self.vm.runtime.heap.field(cell, GLOBAL, "value") != values.UNDEFINED:
            self.store_field(f, const(cell), GLOBAL.offset("value"), value)
        else:
            super().set_global(f, cell, value, line)

    # ------------------------------------------------------------ calls
    def call(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """Known callees (1 to 4 functions): guard on each, call it directly."""
        cache = self.cache
        targets = [c for c in self.guarded_cases() if isinstance(c, CallTarget) and c.arity == len(args)]
        if cache is None or not targets:
            return super().call(f, callee, args, line)
        return self.do_known_calls(f, cache, targets, callee, args, line)

    def do_known_calls(self, f: FunctionState, cache: InlineCache, targets: list[CallTarget], callee: ir.Value,
                       args: list[ir.Value], line: int) -> ir.Value:
        """A chain of guards, each followed by a direct call with no arity check; the generic call last."""
        b = f.builder
        self.record_line(f, line)
        done = b.append_basic_block("known.done")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        for target in targets:
            if cache.closure is not None and len(targets) == 1:
                # The site always called this very closure: one compare proves everything.
                ok = b.icmp_unsigned("==", callee, const(cache.closure))
            else:
                ok = self.is_closure_of(f, callee, target.prototype)
            hit = b.append_basic_block(f"known.{target.name}")
            next_guard = b.append_basic_block("known.next")
            b.cbranch(ok, hit, next_guard).set_weights([1000, 1])
            b.position_at_end(hit)
            result = self.direct_call(f, target, callee, args)
            incoming.append((result, b.block))
            b.branch(done)
            b.position_at_end(next_guard)
        self.count_miss(f)
        generic = super().call(f, callee, args, line)
        incoming.append((generic, b.block))
        b.branch(done)
        result = self.join(f, done, incoming)
        self.check_result(f, result)
        return result

    def inlines_itself(self, prototype: int) -> bool:
        """Whether a self-call of ``prototype`` goes to an inline copy (the setting is on, the body small)."""
        settings = self.vm.settings
        record = self.vm.records[self.vm.runtime.heap.field(prototype, FUNCTION, "id")]
        return settings.inline_recursion and len(record.code.chunk) <= settings.inline_recursion_limit

    def inline_copy(self, prototype: int) -> ir.Function:
        """The always-inlined copy of a self-recursive function in this module (declared now, emitted in
        :meth:`finish_module`). The copy's own self-calls find the real function, not the copy, so LLVM
        inlines exactly one level; the copy pushes its own frame record, so stack traces do not change."""
        copy = self.inline_copies.get(prototype)
        if copy is None:
            vm = self.vm
            record = vm.records[vm.runtime.heap.field(prototype, FUNCTION, "id")]
            real = self.ctx.known_functions[prototype]
            copy = vm.inline_copy_compiler(self.ctx, self, record, f"{real.name}_inline")
            copy.function.linkage = "internal"
            copy.function.attributes.add("alwaysinline")
            self.inline_copies[prototype] = copy
            vm.stats.add("compile.inline_copies")
            vm.trace("compile", f"{record.name} calls itself: its self-calls are inlined one level")
        return copy.function

    def finish_module(self) -> None:
        """Emit the bodies of the inline copies asked for while the module's functions were emitted."""
        for copy in list(self.inline_copies.values()):
            copy.compile()

    def is_closure_of(self, f: FunctionState, callee: ir.Value, prototype: int) -> ir.Value:
        """i1: ``callee`` is a closure of function ``prototype`` (kind test, then the function field)."""
        b = f.builder
        is_closure = self.ctx.is_kind(b, callee, Kind.CLOSURE)
        # Branch-free: a non-closure reads the heap's always-zero word, which is no prototype.
        field_address = b.select(is_closure, b.add(address_of(b, callee), const(CLOSURE.offset("function"))),
                                 const(self.vm.runtime.heap.zero_address))
        function = self.load_field(f, field_address, 0)
        return b.and_(is_closure, b.icmp_unsigned("==", function, const(prototype)))

    def direct_call(self, f: FunctionState, target: CallTarget, closure: ir.Value, args: list[ir.Value]) -> ir.Value:
        """Call a known function directly: its LLVM function when it is in this module (compiled in
        the same batch: recursion, or callees that got hot together), else its installed code, else
        through its entry slot (the arity check is gone in every case: the guard fixed the function)."""
        b = f.builder
        known = self.ctx.known_functions.get(target.prototype)
        if known is not None:
            if known is f.function and self.inlines_itself(target.prototype):
                known = self.inline_copy(target.prototype)
            return b.call(known, [closure, *args])
        entry = self.vm.runtime.heap.field(target.prototype, FUNCTION, "entry")
        record = self.vm.records[self.vm.runtime.heap.field(target.prototype, FUNCTION, "id")]
        signature = ir.FunctionType(I64, [I64] * (1 + len(args)))
        if record.native_entry is not None:
            return b.call(b.inttoptr(const(entry), signature.as_pointer()), [closure, *args])
        return self.call_entry(f, const(target.prototype), closure, args)
