"""Codegen for each Lox operation: one named emitter per operation, the seam later stages override.

Stage 0 emits the *generic* operation everywhere: an inline check for the
common case (two numbers, a closure of the right arity) and a call to a
helper or the runtime otherwise. Stage 2 subclasses :class:`Operations` and
overrides one emitter at a time with a guarded fast path driven by feedback.
Every store of a value into a heap object goes through :meth:`Operations.store_field`
(where stage 5's write barrier is emitted), except the first stores into an
object the same code just allocated (:meth:`Operations.init_field`: a new
object is young and needs none), and every allocation through
:meth:`Operations.allocate`.
"""

from __future__ import annotations

from llvmlite import ir

from .errors import ErrorCode
from .irmodule import ModuleContext
from .irvalues import (ERROR, I64, NIL, UNDEFINED, address_of, both_numbers, box_address, const, from_bool,
                       from_double, is_falsey, is_number, load_word, number_arithmetic, number_compare,
                       pointer, to_double)
from .layout import CELL, CLOSURE, FUNCTION, GLOBAL, WORD, Kind


class FunctionState:
    """What the emitters need to know about the function being compiled."""

    def __init__(self, function: ir.Function, builder: ir.IRBuilder, entry_builder: ir.IRBuilder,
                 closure: ir.Value, depth: ir.Value, line_pointer: ir.Value, unwind: ir.Block) -> None:
        self.function = function
        self.builder = builder
        self.entry_builder = entry_builder  # stays at the top of the entry block, for allocas
        self.closure = closure              # the running closure (i64 value)
        self.depth = depth                  # this frame's index in the frame stack
        self.line_pointer = line_pointer    # where calls record this frame's current line
        self.unwind = unwind                # pops the frame and returns ERROR
        self.argument_buffers: dict[int, ir.Value] = {}
        self.failure: tuple[ir.Block, list[ir.Value]] | None = None   # the shared error exit and its phis


class Operations:
    """The generic emitters (stage 0); subclass and override to specialise one operation."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.site: object = None        # the instruction being emitted (see enter_site)

    def finish_module(self) -> None:
        """Hook: every function of the module has been emitted (stage 2 emits its inline copies here)."""

    def enter_site(self, site: object) -> None:
        """The next operation emitted is ``site``: stage 1's description of one bytecode instruction (its
        ``sites.Site``; stage 2's adds the inline cache, stage 3's the plan and deopt exit). Emitters read it
        as ``self.site``; stage 0 compiles from the syntax tree and has none."""
        self.site = site

    @staticmethod
    def join(f: FunctionState, done: ir.Block, incoming: list[tuple[ir.Value, ir.Block]]) -> ir.Value:
        """Continue at ``done`` with the value of whichever ``(value, from block)`` path arrived."""
        b = f.builder
        b.position_at_end(done)
        phi = b.phi(I64)
        for value, block in incoming:
            phi.add_incoming(value, block)
        return phi

    # ------------------------------------------------------------ errors
    def failure_block(self, f: FunctionState) -> tuple[ir.Block, list[ir.Value]]:
        """The function's one error exit: phis pick (code, line, a, b), it reports and unwinds.

        Sharing it keeps every check down to one compare and one branch, which
        keeps modules small and LLVM's compile time down.
        """
        if f.failure is None:
            block = f.function.append_basic_block("fail")
            fb = ir.IRBuilder(block)
            phis = [fb.phi(I64, name=name) for name in ("code", "line", "a", "b")]
            fb.call(self.ctx.runtime_error, phis)
            fb.branch(f.unwind)
            f.failure = (block, phis)
        return f.failure

    def _route_failure(self, f: FunctionState, code: ErrorCode, line: int | ir.Value,
                       a: ir.Value | int, b_: ir.Value | int) -> ir.Block:
        block, phis = self.failure_block(f)
        for phi, value in zip(phis, (const(code), line, a, b_)):
            phi.add_incoming(value if isinstance(value, ir.Value) else const(value), f.builder.block)
        return block

    def fail(self, f: FunctionState, code: ErrorCode, line: int | ir.Value,
             a: ir.Value | int = 0, b_: ir.Value | int = 0) -> None:
        """Raise a runtime error (Python records message and trace) and unwind this frame."""
        f.builder.branch(self._route_failure(f, code, line, a, b_))

    def fail_unless(self, f: FunctionState, ok: ir.Value, code: ErrorCode, line: int,
                    a: ir.Value | int = 0, b_: ir.Value | int = 0) -> None:
        """Continue when ``ok``; otherwise raise ``code`` (one compare-and-branch to the shared exit)."""
        b = f.builder
        failure = self._route_failure(f, code, line, a, b_)
        cont = b.append_basic_block("ok")
        branch = b.cbranch(ok, cont, failure)
        branch.set_weights([1000, 1])
        b.position_at_end(cont)

    def check_result(self, f: FunctionState, result: ir.Value) -> None:
        """After a call that may have failed: unwind if it returned ERROR."""
        b = f.builder
        cont = b.append_basic_block("ok")
        branch = b.cbranch(b.icmp_unsigned("==", result, ERROR), f.unwind, cont)
        branch.set_weights([1, 1000])
        b.position_at_end(cont)

    # ------------------------------------------------------------ memory
    def allocate(self, f: FunctionState, kind: int, size: ir.Value | int, line: int) -> ir.Value:
        """Allocate an object inline (bump pointer); returns its address."""
        size_value = size if isinstance(size, ir.Value) else const(size)
        address = f.builder.call(self.ctx.alloc, [size_value, const(int(kind))])
        self.fail_unless(f, f.builder.icmp_unsigned("!=", address, const(0)), ErrorCode.OUT_OF_MEMORY, line)
        return address

    def store_field(self, f: FunctionState, address: ir.Value, byte_offset: int, value: ir.Value) -> None:
        """Store a word into a heap object: the one place compiled code writes the heap (and so where
        the write barrier goes)."""
        f.builder.store(value, pointer(f.builder, address, byte_offset))
        if not isinstance(value, ir.Constant):
            # A constant needs no barrier: a number or nil is no reference, and any object compiled code
            # names is kept alive for good (stage 5 pins it), so it is never a young object to remember.
            self.ctx.barrier(f.builder, address)

    def init_field(self, f: FunctionState, address: ir.Value, byte_offset: int, value: ir.Value) -> None:
        """Store a word into an object allocated by this same code and not yet stored anywhere: no write
        barrier (a new object is young; only stores into possibly old ones need one)."""
        f.builder.store(value, pointer(f.builder, address, byte_offset))

    def load_field(self, f: FunctionState, address: ir.Value, byte_offset: int) -> ir.Value:
        """Load a word of a heap object."""
        return load_word(f.builder, address, byte_offset)

    def new_cell(self, f: FunctionState, value: ir.Value, line: int) -> ir.Value:
        """A fresh cell for a captured variable; returns its address."""
        address = self.allocate(f, Kind.CELL, CELL.fixed_size, line)
        self.init_field(f, address, CELL.offset("value"), value)
        return address

    def new_closure(self, f: FunctionState, function_address: int, cells: list[ir.Value], line: int) -> ir.Value:
        """A closure of a function prototype over ``cells`` (addresses); returns the value."""
        address = self.allocate(f, Kind.CLOSURE, CLOSURE.fixed_size + WORD * len(cells), line)
        self.init_field(f, address, CLOSURE.offset("function"), const(function_address))
        self.init_field(f, address, CLOSURE.offset("cell_count"), const(len(cells)))
        for i, cell in enumerate(cells):
            self.init_field(f, address, CLOSURE.tail_offset + WORD * i, cell)
        return box_address(f.builder, address)

    def closure_cell(self, f: FunctionState, index: int) -> ir.Value:
        """The address of captured cell ``index`` of the running closure."""
        closure = address_of(f.builder, f.closure)
        return self.load_field(f, closure, CLOSURE.tail_offset + WORD * index)

    # ------------------------------------------------------------ arithmetic
    def arithmetic(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``- * /`` (and ``+``'s number case): both numbers, else 'Operands must be numbers.'."""
        if op == "+":
            return self.add(f, x, y, line)
        b = f.builder
        self.fail_unless(f, both_numbers(b, x, y), ErrorCode.OPERANDS_MUST_BE_NUMBERS, line)
        return number_arithmetic(b, op, x, y)

    def add(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``+``: numbers inline; strings (or the error) in the concatenation helper."""
        b = f.builder
        numbers = b.append_basic_block("add.numbers")
        other = b.append_basic_block("add.other")
        done = b.append_basic_block("add.done")
        b.cbranch(both_numbers(b, x, y), numbers, other)
        b.position_at_end(numbers)
        summed = from_double(b, b.fadd(to_double(b, x), to_double(b, y)))
        b.branch(done)
        b.position_at_end(other)
        joined = b.call(self.ctx.concat_or_error, [x, y, const(line)])
        self.check_result(f, joined)
        other_end = b.block
        b.branch(done)
        return self.join(f, done, [(summed, numbers), (joined, other_end)])

    def compare(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """``< <= > >=``: both numbers, else 'Operands must be numbers.'."""
        b = f.builder
        self.fail_unless(f, both_numbers(b, x, y), ErrorCode.OPERANDS_MUST_BE_NUMBERS, line)
        return number_compare(b, op, x, y)

    def equal(self, f: FunctionState, x: ir.Value, y: ir.Value, negate: bool) -> ir.Value:
        """``==`` / ``!=`` (never fails)."""
        b = f.builder
        same = b.call(self.ctx.equal, [x, y])
        if negate:
            same = b.not_(same)
        return from_bool(b, same)

    def negate(self, f: FunctionState, x: ir.Value, line: int) -> ir.Value:
        """Unary ``-``."""
        b = f.builder
        self.fail_unless(f, is_number(b, x), ErrorCode.OPERAND_MUST_BE_NUMBER, line)
        return from_double(b, b.fneg(to_double(b, x)))

    def not_(self, f: FunctionState, x: ir.Value) -> ir.Value:
        """``!``."""
        return from_bool(f.builder, is_falsey(f.builder, x))

    def truthy(self, f: FunctionState, x: ir.Value) -> ir.Value:
        """i1 for conditions."""
        return f.builder.not_(is_falsey(f.builder, x))

    # ------------------------------------------------------------ globals
    def get_global(self, f: FunctionState, cell: int, line: int) -> ir.Value:
        """Read a global: its cell's value, or 'Undefined variable' if it was never defined."""
        value = self.load_field(f, const(cell), GLOBAL.offset("value"))
        self.fail_unless(f, f.builder.icmp_unsigned("!=", value, UNDEFINED),
                         ErrorCode.UNDEFINED_VARIABLE, line, const(cell))
        return value

    def set_global(self, f: FunctionState, cell: int, value: ir.Value, line: int) -> None:
        """Assign a global (it must be defined already)."""
        current = self.load_field(f, const(cell), GLOBAL.offset("value"))
        self.fail_unless(f, f.builder.icmp_unsigned("!=", current, UNDEFINED),
                         ErrorCode.UNDEFINED_VARIABLE, line, const(cell))
        self.store_field(f, const(cell), GLOBAL.offset("value"), value)

    def define_global(self, f: FunctionState, cell: int, value: ir.Value) -> None:
        """``var`` / ``fun`` at the top level: (re)define a global."""
        self.store_field(f, const(cell), GLOBAL.offset("value"), value)

    # ------------------------------------------------------------ properties (no instances before stage 4)
    def get_property(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """``obj.name``: class-free Lox has no instances, so this is always the runtime error."""
        self.fail(f, ErrorCode.NO_PROPERTIES, line)
        f.builder.position_at_end(f.builder.append_basic_block("after.get"))
        return NIL

    def set_property(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """``obj.name = value``: always the runtime error without instances."""
        self.fail(f, ErrorCode.NO_FIELDS, line)
        f.builder.position_at_end(f.builder.append_basic_block("after.set"))
        return NIL

    def invoke(self, f: FunctionState, obj: ir.Value, name: str, args: list[ir.Value], line: int) -> ir.Value:
        """``obj.name(args)`` (clox's invoke): always 'Only instances have methods.' without instances."""
        self.fail(f, ErrorCode.NO_METHODS, line)
        f.builder.position_at_end(f.builder.append_basic_block("after.invoke"))
        return NIL

    def class_op(self, f: FunctionState, op: int, operand: int, stack: list[ir.Value], sp: int, line: int) -> None:
        """Stage 4's class opcodes (CLASS, INHERIT, METHOD, GET_SUPER, SUPER_INVOKE), given the operand
        stack's allocas and its height; class-free Lox never emits them."""
        raise AssertionError("class operations arrive in stage 4")

    # ------------------------------------------------------------ calls
    def record_line(self, f: FunctionState, line: int) -> None:
        """Store this frame's current line (read by stack traces of errors in callees)."""
        f.builder.store(const(line), f.line_pointer)

    def argument_buffer(self, f: FunctionState, count: int) -> ir.Value:
        """A stack array of ``count`` words for passing arguments to the slow call path."""
        buffer = f.argument_buffers.get(count)
        if buffer is None:
            buffer = f.entry_builder.alloca(I64, count or 1, name=f"argv{count}")
            f.argument_buffers[count] = buffer
        return buffer

    def call(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """Call any value: a closure of the right arity directly through its entry slot, anything else via the runtime."""
        b = f.builder
        self.record_line(f, line)
        direct = b.append_basic_block("call.direct")
        slow = b.append_basic_block("call.slow")
        done = b.append_basic_block("call.done")
        b.cbranch(self.ctx.is_kind(b, callee, Kind.CLOSURE), direct, slow)
        b.position_at_end(direct)
        function = self.load_field(f, address_of(b, callee), CLOSURE.offset("function"))
        arity = self.load_field(f, function, FUNCTION.offset("arity"))
        fast = b.append_basic_block("call.fast")
        b.cbranch(b.icmp_unsigned("==", arity, const(len(args))), fast, slow)
        b.position_at_end(fast)
        result_fast = self.call_entry(f, function, callee, args)
        fast_end = b.block
        b.branch(done)
        b.position_at_end(slow)
        result_slow = self.call_other(f, callee, args, line)
        slow_end = b.block
        b.branch(done)
        result = self.join(f, done, [(result_fast, fast_end), (result_slow, slow_end)])
        self.check_result(f, result)
        return result

    def stored_arguments(self, f: FunctionState, args: list[ir.Value]) -> ir.Value:
        """The argument buffer for ``len(args)`` words, with ``args`` stored in it (for a runtime callback)."""
        buffer = self.argument_buffer(f, len(args))
        for i, arg in enumerate(args):
            f.builder.store(arg, f.builder.gep(buffer, [const(i)]))
        return buffer

    def call_other(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """A call of anything but a closure of the right arity: the runtime's slow path (stage 4 adds bound
        methods here, called natively)."""
        return self.slow_call(f, callee, args, const(line))

    def slow_call(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: ir.Value) -> ir.Value:
        """Any call, through the runtime (``lox_call_slow``)."""
        buffer = self.stored_arguments(f, args)
        result: ir.Value = f.builder.call(self.ctx.call_slow, [callee, buffer, const(len(args)), line])
        return result

    def call_entry(self, f: FunctionState, function: ir.Value, closure: ir.Value, args: list[ir.Value]) -> ir.Value:
        """Jump through a function's entry slot (the indirection a later tier swaps)."""
        b = f.builder
        entry = self.load_field(f, function, FUNCTION.offset("entry"))
        signature = ir.FunctionType(I64, [I64] * (1 + len(args)))
        target = b.inttoptr(entry, signature.as_pointer())
        return b.call(target, [closure, *args])

    # ------------------------------------------------------------ printing
    def print_value(self, f: FunctionState, value: ir.Value, line: int) -> None:
        """``print``: formatting is a slow path in Python."""
        f.builder.call(self.ctx.print, [value])

