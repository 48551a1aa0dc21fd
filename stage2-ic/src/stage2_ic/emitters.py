"""Feedback-guided emitters: a chain of guards (compare and branch) before the cached fast paths, the generic path on a miss.

Each specialisation is named for the case it handles: ``do_numbers`` (both
operands were always numbers), ``do_strings`` (``+`` always saw two strings),
``do_known_call`` (the call site always called the same one to four
functions). The fast path is fast because the guard proves what the generic
path has to test for, so the rest is straight-line code: a double
operation with no dispatch, or a direct call with the arity check folded
away (the guard pins the function, so its arity is a constant; a function
calling itself calls an inlined copy, see ``inline_copy``).

Every guarded site goes through one loop, :meth:`GuardedOperations.chain`:
one ``(test, fast path)`` per cached case, then the *miss end*. Here the miss
end bumps the site's native miss counter and runs the generic stage-0
operation: slower, never wrong. Stage 3 overrides only that end
(``miss_exit``): a miss deoptimises instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import I64, address_of, const, from_bool, is_number, number_arithmetic, to_double
from stage0_jit.layout import CLOSURE, FUNCTION, GLOBAL, Kind
from stage0_jit import values
from stage1_interp.bytecode_jit import BytecodeFunctionCompiler

from .feedback import CallTarget
from .guards import BINARY, GuardKind, Operand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .sites import CachedSite
    from .vm import ICVM

NUMBERS = ("number", "number")
STRINGS = ("string", "string")
#: One case of a chain: the guard's test (an i1) and what to emit when it holds.
Key = tuple[ir.Value, Callable[[], ir.Value]]


class GuardedOperations(Operations):
    """Stage 0's emitters, overridden where the current site's inline cache allows a guarded fast path."""

    site: "CachedSite | None"

    def __init__(self, ctx: ModuleContext, vm: "ICVM") -> None:
        super().__init__(ctx)
        self.vm = vm
        # Inline copies of self-recursive functions, by prototype; their bodies are emitted last.
        self.inline_copies: dict[int, BytecodeFunctionCompiler] = {}

    # ------------------------------------------------------------ the guard chain
    def cached_cases(self, usable: Callable[[Hashable], bool]) -> list[Hashable]:
        """The cases of the current site to compile fast paths for: its guarded cases that ``usable``
        accepts (the others reach the miss end). Stage 3 asks the site's plan first."""
        site = self.site
        return [case for case in site.cases if usable(case)] if site is not None else []

    def chain(self, f: FunctionState, name: str, keys: list[Key], generic: Callable[[], ir.Value],
              kind: GuardKind, operands: tuple[Operand, ...]) -> ir.Value:
        """Test each ``(ok, fast)`` in turn; the first that holds runs its fast path. When none holds, the miss
        end (:meth:`miss_exit`): here the site's miss counter and ``generic``. ``kind`` and ``operands`` say
        what the tests check, for a deopt record (stage 3). Returns the joined result."""
        b = f.builder
        exit_block = self.miss_exit(f, kind, operands)
        done = b.append_basic_block(f"{name}.done")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        for n, (ok, fast) in enumerate(keys):
            hit = b.append_basic_block(f"{name}.fast")
            miss = b.append_basic_block(f"{name}.miss" if n == len(keys) - 1 else f"{name}.next")
            b.cbranch(ok, hit, miss).set_weights([1000, 1])
            b.position_at_end(hit)
            result = fast()
            incoming.append((result, b.block))
            b.branch(done)
            b.position_at_end(miss)
        if exit_block is not None:
            b.branch(exit_block)
        else:
            self.count_miss(f)
            result = generic()
            incoming.append((result, b.block))
            b.branch(done)
        return self.join(f, done, incoming)

    def miss_exit(self, f: FunctionState, kind: GuardKind, operands: tuple[Operand, ...]) -> ir.Block | None:
        """Hook: where a chain goes when no guard holds (None: count the miss and take the generic path,
        stage 2's way; stage 3 returns a deopt exit)."""
        return None

    def guarded(self, f: FunctionState, name: str, tests: list[ir.Value], fast: Callable[[], ir.Value],
                generic: Callable[[], ir.Value], kind: GuardKind, operands: tuple[Operand, ...]) -> ir.Value:
        """A chain of one case: all of ``tests`` hold, then ``fast``. No tests at all (stage 3: every operand
        is proven) is ``fast`` alone."""
        if not tests:
            return fast()
        b = f.builder
        ok = tests[0]
        for test in tests[1:]:
            ok = b.and_(ok, test)
        return self.chain(f, name, [(ok, fast)], generic, kind, operands)

    def number_tests(self, f: FunctionState, operands: list[ir.Value]) -> list[ir.Value]:
        """The tests that prove ``operands`` (the top entries of the operand stack) numbers. Stage 3 leaves out
        the operands its analysis proved."""
        return [is_number(f.builder, value) for value in operands]

    def count_miss(self, f: FunctionState) -> None:
        """Bump the current site's guard-miss counter (native memory, no call)."""
        cache = self.site.cache if self.site is not None else None
        if cache is None:
            return
        address = self.vm.miss_counters.assign(cache)
        if address is None:
            return
        b = f.builder
        counter = b.inttoptr(const(address), I64.as_pointer())
        b.store(b.add(b.load(counter), const(1)), counter)

    # ------------------------------------------------------------ arithmetic and equality
    def binary_case(self, op: str) -> str:
        """The case a binary operator's site specialises on: ``numbers``, ``strings`` (``+`` only), or ``""``
        (the generic operation). Stage 3 asks the site's plan."""
        cases = self.cached_cases(lambda case: True)
        if cases and all(c == NUMBERS for c in cases):
            return "numbers"
        if op == "+" and cases == [STRINGS]:
            return "strings"
        return ""

    def arithmetic(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """ADD, SUBTRACT, MULTIPLY, DIVIDE: ``do_numbers`` or ``do_strings`` for the site's case."""
        case = self.binary_case(op)
        if case == "numbers":
            return self.do_numbers(f, op, x, y, line)
        if case == "strings":
            return self.do_strings(f, x, y, line)
        return super().arithmetic(f, op, x, y, line)

    def do_numbers(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """One guard for both operands, then the bare double operation."""
        b = f.builder
        return self.guarded(f, "num", self.number_tests(f, [x, y]), lambda: number_arithmetic(b, op, x, y),
                            lambda: Operations.arithmetic(self, f, op, x, y, line), GuardKind.NUMBERS, BINARY)

    def do_strings(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``+`` that only ever saw strings: guard on two strings, concatenate with no number test first."""
        b = f.builder
        strings = b.and_(self.ctx.is_kind(b, x, Kind.STRING), self.ctx.is_kind(b, y, Kind.STRING))
        return self.guarded(f, "str", [strings], lambda: self.concatenate(f, x, y, line),
                            lambda: Operations.arithmetic(self, f, "+", x, y, line), GuardKind.STRINGS, BINARY)

    def concatenate(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Two strings joined by the IR helper (which can only fail for lack of memory)."""
        joined: ir.Value = f.builder.call(self.ctx.concat_or_error, [x, y, const(line)])
        self.check_result(f, joined)
        return joined

    def equal(self, f: FunctionState, x: ir.Value, y: ir.Value, negate: bool) -> ir.Value:
        """EQUAL, NOT_EQUAL: two numbers every time is an inline IEEE compare instead of the equality helper."""
        if self.binary_case("==") != "numbers":
            return super().equal(f, x, y, negate)
        b = f.builder

        def compare() -> ir.Value:
            same = b.fcmp_ordered("==", to_double(b, x), to_double(b, y))
            return from_bool(b, b.not_(same) if negate else same)

        return self.guarded(f, "eq", self.number_tests(f, [x, y]), compare,
                            lambda: Operations.equal(self, f, x, y, negate), GuardKind.NUMBERS, BINARY)

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
        """CALL: one guard and fast path per cached callee (:meth:`call_case`: a function is
        ``do_known_call``; stage 4 adds a class), then the generic call."""
        argc = len(args)
        cases = self.cached_cases(lambda case: self.fits_call(case, argc))
        if not cases:
            return super().call(f, callee, args, line)
        self.record_line(f, line)
        keys = [self.call_case(f, case, callee, args, line, len(cases)) for case in cases]
        result = self.chain(f, "known", keys, lambda: Operations.call(self, f, callee, args, line),
                            self.call_guard(cases), (Operand.top("callee", argc + 1),))
        self.check_result(f, result)
        return result

    def fits_call(self, case: Hashable, argc: int) -> bool:
        """Whether a call site's case gets a fast path for ``argc`` arguments (a function of that arity: any
        other is the error path)."""
        return isinstance(case, CallTarget) and case.arity == argc

    def call_guard(self, cases: list[Hashable]) -> GuardKind:
        """What a call site's guards check (stage 4: classes)."""
        return GuardKind.CALL_TARGET

    def call_case(self, f: FunctionState, case: Hashable, callee: ir.Value, args: list[ir.Value], line: int,
                  count: int) -> Key:
        """One case of a call site's chain: the test for ``case`` and its fast path (of ``count`` cases)."""
        assert isinstance(case, CallTarget)
        cache = self.site.cache if self.site is not None else None
        b = f.builder
        if cache is not None and cache.closure is not None and count == 1:
            # The site always called this very closure: one compare proves everything.
            ok = b.icmp_unsigned("==", callee, const(cache.closure))
        else:
            ok = self.is_closure_of(f, callee, case.prototype)
        return ok, lambda: self.do_known_call(f, case, callee, args)

    def do_known_call(self, f: FunctionState, target: CallTarget, callee: ir.Value, args: list[ir.Value]) -> ir.Value:
        """A guarded callee: a direct call with no arity check."""
        return self.direct_call(f, target, callee, args)

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
