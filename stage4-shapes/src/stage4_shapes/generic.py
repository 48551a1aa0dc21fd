"""Compiled code for objects without caches: what every mode can fall back on (and all of ``--ic=off``).

Property get and set, ``invoke``, ``super`` and the class declaration
opcodes call the runtime's object callbacks (``runtime.ObjectCallbacks``),
which run the same lookups as the interpreter. Calling a bound method is
handled natively in the generic call path: load its receiver and method,
check the arity, jump through the method's entry slot with the receiver.
These are the slow paths; ``emitters.ShapedOperations`` puts shape-guarded
fast paths in front of them.
"""

from __future__ import annotations

from functools import cached_property

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.irvalues import I64, I64P, NIL, address_of, const, is_number, to_double
from stage0_jit.layout import CLOSURE, FUNCTION, NATIVE, Kind
from stage0_jit.runtime import CHR
from stage1_interp.bytecode import Op, invoke_argc
from stage1_interp.sites import Site

from .lookup import NativeLookup
from .objects import BOUND_METHOD, CLASS, ObjectKind


class ObjectOperations(Operations):
    """Generic emitters for the object opcodes (a mixin in front of any stage's ``Operations``)."""

    def callback(self, name: str, arguments: list[ir.Type]) -> ir.Function:
        """A runtime object callback, declared once per module."""
        return self.ctx.declare(name, ir.FunctionType(I64, arguments))

    def name_word(self, name: str) -> ir.Value:
        """An interned name as a constant word (names compare by address)."""
        return const(self.ctx.runtime.constant_string(name))

    # ------------------------------------------------------------ properties
    def get_property(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """``obj.name`` through the runtime's lookup."""
        return self.generic_get(f, obj, name, line)

    @cached_property
    def lookup(self) -> NativeLookup:
        """The module's native lookup helpers."""
        return NativeLookup(self.ctx)

    def generic_get(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """The uncached property read: the native lookup (Python only for what it cannot finish)."""
        result: ir.Value = f.builder.call(self.lookup.get(), [obj, self.name_word(name), const(line)])
        self.check_result(f, result)
        return result

    def set_property(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """``obj.name = value`` through the runtime."""
        return self.generic_set(f, obj, name, value, line)

    def generic_set(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """The uncached property write (native lookup, known transitions native); returns the value."""
        result: ir.Value = f.builder.call(self.lookup.set(), [obj, self.name_word(name), value, const(line)])
        self.check_result(f, result)
        return result

    # ------------------------------------------------------------ methods
    def invoke(self, f: FunctionState, obj: ir.Value, name: str, args: list[ir.Value], line: int) -> ir.Value:
        """``obj.name(args)`` through the runtime (method lookup and call)."""
        return self.generic_invoke(f, obj, const(0), name, args, line)

    def generic_invoke(self, f: FunctionState, receiver: ir.Value, superclass: ir.Value, name: str,
                       args: list[ir.Value], line: int) -> ir.Value:
        """An uncached invoke (``superclass`` 0) or super call: one call of the module's out-of-line helper
        for this argument count (``lox_invoke_N``), so that code full of uncached sites stays small."""
        b = f.builder
        self.record_line(f, line)
        result: ir.Value = b.call(self.invoke_helper(len(args)),
                                  [receiver, superclass, self.name_word(name), *args, const(line)])
        self.check_result(f, result)
        return result

    def invoke_helper(self, argc: int) -> ir.Function:
        """``lox_invoke_N(receiver, superclass, name, args..., line)``: a method found by the native lookup
        (or, for ``super``, in the superclass's table) is called through its entry slot; a field's value,
        a dictionary-mode instance and errors go to the runtime."""
        helper, state = self.begin_helper(f"lox_invoke_{argc}", argc + 4)
        if state is None:
            return helper
        f = state
        receiver, superclass, name = helper.args[:3]
        args, line = list(helper.args[3:-1]), helper.args[-1]
        b = f.builder
        lookup = self.lookup
        python = b.append_basic_block("invoke.python")
        native = b.append_basic_block("invoke.native")
        plain = b.append_basic_block("invoke.plain")
        parent = b.append_basic_block("invoke.super")
        found_method = b.append_basic_block("invoke.found")
        b.cbranch(b.icmp_unsigned("==", superclass, const(0)), plain, parent)
        b.position_at_end(plain)
        lookup.branch_unless_instance(b, receiver, python)
        header = self.load_field(f, address_of(b, receiver), 0)
        found = b.call(lookup.resolve(), [header, name])
        # A method is its closure (an object: negative as a signed word); a field, nothing or a
        # dictionary-mode instance go to the runtime.
        own = b.select(b.icmp_signed("<", found, const(0)), found, const(0))
        plain_end = b.block
        b.branch(found_method)
        b.position_at_end(parent)
        # super.name(...): the superclass is a class (INHERIT checked it); its table has every method.
        table = self.load_field(f, address_of(b, superclass), CLASS.offset("methods"))
        inherited = b.call(lookup.pair_lookup(), [table, name])
        parent_end = b.block
        b.branch(found_method)
        b.position_at_end(found_method)
        method = b.phi(I64)
        method.add_incoming(own, plain_end)
        method.add_incoming(inherited, parent_end)
        callable_ = b.append_basic_block("invoke.arity")
        b.cbranch(b.icmp_unsigned("!=", method, const(0)), callable_, python)
        b.position_at_end(callable_)
        function = self.load_field(f, address_of(b, method), CLOSURE.offset("function"))
        arity = self.load_field(f, function, FUNCTION.offset("arity"))
        b.cbranch(b.icmp_unsigned("==", arity, const(argc)), native, python)
        b.position_at_end(native)
        b.ret(self.call_entry(f, function, method, [receiver, *args]))
        b.position_at_end(python)
        buffer = self.stored_arguments(f, args)
        function_python = self.callback("lox_invoke", [I64, I64, I64, I64P, I64, I64])
        b.ret(b.call(function_python, [receiver, superclass, name, buffer, const(argc), line]))
        return helper

    def class_op(self, f: FunctionState, op: int, operand: int, stack: list[ir.Value], sp: int, line: int) -> None:
        """CLASS, INHERIT, METHOD, GET_SUPER (runtime callbacks: they run once per declaration) and
        SUPER_INVOKE."""
        b = f.builder
        if op == Op.SUPER_INVOKE:
            argc = invoke_argc(operand)
            this = b.load(stack[sp - argc - 2])
            args = [b.load(stack[sp - argc - 1 + k]) for k in range(argc)]
            superclass = b.load(stack[sp - 1])
            name = self.site_name(operand >> 8)
            b.store(self.super_invoke(f, this, superclass, name, args, line), stack[sp - argc - 2])
            return
        function = self.callback("lox_class_op", [I64, I64, I64, I64, I64])
        name_word = self.name_word(self.site_name(operand)) if op != Op.INHERIT else const(0)
        if op == Op.CLASS:
            operands = [const(0), const(0)]
        else:
            operands = [b.load(stack[sp - 2]), b.load(stack[sp - 1])]
        result = b.call(function, [const(int(op)), *operands, name_word, const(line)])
        self.check_result(f, result)
        if op == Op.CLASS:
            b.store(result, stack[sp])
        elif op == Op.GET_SUPER:
            b.store(result, stack[sp - 2])

    def super_invoke(self, f: FunctionState, this: ir.Value, superclass: ir.Value, name: str,
                     args: list[ir.Value], line: int) -> ir.Value:
        """``super.name(args)`` through the runtime."""
        return self.generic_invoke(f, this, superclass, name, args, line)

    def site_name(self, index: int) -> str:
        """Name ``index`` of the function being compiled."""
        site = self.site
        assert isinstance(site, Site), "class_op needs the function being compiled"
        return site.name(index)

    # ------------------------------------------------------------ calls
    def call_other(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """A call of a non-closure: one out-of-line helper per argument count (``lox_call_other_N``) calls a
        bound method or a class natively, anything else through the runtime. Out of line, because the
        generic path is at every uncached call site and a long script has thousands of them."""
        helper, state = self.begin_helper(f"lox_call_other_{len(args)}", len(args) + 2)
        if state is not None:
            result = self.call_bound_or_class(state, helper.args[0], list(helper.args[1:-1]), helper.args[-1])
            state.builder.ret(result)
        called: ir.Value = f.builder.call(helper, [callee, *args, const(line)])
        return called

    def begin_helper(self, name: str, arguments: int) -> tuple[ir.Function, FunctionState | None]:
        """A shared helper ``i64 name(i64 x arguments)`` built with the emitters: (function, the state to
        emit its body with when this module defines it, else None). The body may use argument buffers
        (allocas in its entry block) but never unwinds: it returns ERROR for its caller to check."""
        helper, builder = self.ctx.begin_shared(name, ir.FunctionType(I64, [I64] * arguments))
        if builder is None:
            return helper, None
        entry = builder.block
        body = helper.append_basic_block("body")
        builder.branch(body)
        builder.position_before(entry.instructions[-1])
        return helper, FunctionState(helper, ir.IRBuilder(body), builder, helper.args[0], const(0), const(0), body)

    def call_bound_or_class(self, f: FunctionState, callee: ir.Value, args: list[ir.Value],
                            line: ir.Value) -> ir.Value:
        """A bound method, or a class whose ``init`` takes these arguments, called natively; anything else
        through the runtime (``line`` is an IR value here: the helper serves every call site)."""
        b = f.builder
        bound = b.append_basic_block("call.bound")
        check = b.append_basic_block("call.bound.arity")
        other = b.append_basic_block("call.other")
        done = b.append_basic_block("call.other.done")
        not_bound = b.append_basic_block("call.class")
        b.cbranch(self.ctx.is_kind(b, callee, ObjectKind.BOUND_METHOD), bound, not_bound)
        b.position_at_end(not_bound)
        if len(args) == 1:
            native = b.append_basic_block("call.native")
            character, character_end = self.native_chr(f, callee, args[0], native)
            b.branch(done)
            b.position_at_end(native)
        created, created_end = self.construct(f, callee, args, other)
        b.branch(done)
        b.position_at_end(bound)
        address = address_of(b, callee)
        method = self.load_field(f, address, BOUND_METHOD.offset("method"))
        receiver = self.load_field(f, address, BOUND_METHOD.offset("receiver"))
        function = self.load_field(f, address_of(b, method), CLOSURE.offset("function"))
        arity = self.load_field(f, function, FUNCTION.offset("arity"))
        b.cbranch(b.icmp_unsigned("==", arity, const(len(args))), check, other)
        b.position_at_end(check)
        called = self.call_entry(f, function, method, [receiver, *args])
        called_end = b.block
        b.branch(done)
        b.position_at_end(other)
        slow = self.slow_call(f, callee, args, line)
        slow_end = b.block
        b.branch(done)
        incoming = [(called, called_end), (created, created_end), (slow, slow_end)]
        if len(args) == 1:
            incoming.append((character, character_end))
        return self.join(f, done, incoming)

    def native_chr(self, f: FunctionState, callee: ir.Value, code: ir.Value,
                   otherwise: ir.Block) -> tuple[ir.Value, ir.Block]:
        """``chr(n)`` without Python: an integer 0..255 indexes the runtime's table of one-character strings
        (a tokenizer written in Lox calls it for every character). Anything else (another native, a bad
        argument: the error) branches to ``otherwise``."""
        b = f.builder
        is_chr = b.append_basic_block("chr")
        kind = self.ctx.is_kind(b, callee, Kind.NATIVE)
        safe = b.select(kind, address_of(b, callee), const(self.ctx.runtime.heap.zero_address - NATIVE.offset("id")))
        native_id = self.load_field(f, safe, NATIVE.offset("id"))
        b.cbranch(b.and_(kind, b.icmp_unsigned("==", native_id, const(CHR))), is_chr, otherwise)
        b.position_at_end(is_chr)
        number = b.append_basic_block("chr.number")
        b.cbranch(is_number(b, code), number, otherwise)
        b.position_at_end(number)
        x = to_double(b, code)
        index = b.fptosi(x, I64)
        exact = b.fcmp_ordered("==", b.sitofp(index, x.type), x)
        in_range = b.and_(b.fcmp_ordered(">=", x, ir.Constant(x.type, 0.0)), b.fcmp_ordered("<", x, ir.Constant(x.type, 256.0)))
        hit = b.append_basic_block("chr.hit")
        b.cbranch(b.and_(in_range, exact), hit, otherwise)
        b.position_at_end(hit)
        table = self.ctx.runtime.character_table().base
        result = self.load_field(f, b.add(const(table), b.shl(index, const(3))), 0)
        return result, b.block

    def construct(self, f: FunctionState, callee: ir.Value, args: list[ir.Value],
                  otherwise: ir.Block) -> tuple[ir.Value, ir.Block]:
        """Calling a class natively: a new instance, then ``init`` (when its arity fits) through its entry
        slot. Anything else (not a class, a wrong argument count, a full heap) branches to ``otherwise``.
        Returns the result and the block it is in (which ends unterminated, for the caller's join)."""
        b = f.builder
        is_class = b.append_basic_block("class.new")
        b.cbranch(self.ctx.is_kind(b, callee, ObjectKind.CLASS), is_class, otherwise)
        b.position_at_end(is_class)
        klass = address_of(b, callee)
        initializer = self.load_field(f, klass, CLASS.offset("initializer"))
        has_init = b.icmp_unsigned("!=", initializer, NIL)
        safe_init = b.select(has_init, address_of(b, initializer), const(self.ctx.runtime.heap.zero_address))
        function = self.load_field(f, safe_init, CLOSURE.offset("function"))
        safe_function = b.select(has_init, function, const(self.ctx.runtime.heap.zero_address))
        arity = b.select(has_init, self.load_field(f, safe_function, FUNCTION.offset("arity")), const(0))
        fits = b.append_basic_block("class.alloc")
        b.cbranch(b.icmp_unsigned("==", arity, const(len(args))), fits, otherwise)
        b.position_at_end(fits)
        instance = b.call(self.lookup.new_instance(), [klass])
        made = b.append_basic_block("class.made")
        b.cbranch(b.icmp_unsigned("!=", instance, const(0)), made, otherwise)
        b.position_at_end(made)
        with_init = b.append_basic_block("class.init")
        joined = b.append_basic_block("class.done")
        made_end = b.block
        b.cbranch(has_init, with_init, joined)
        b.position_at_end(with_init)
        initialised = self.call_entry(f, function, initializer, [instance, *args])
        init_end = b.block
        b.branch(joined)
        b.position_at_end(joined)
        result = b.phi(I64)
        result.add_incoming(instance, made_end)
        result.add_incoming(initialised, init_end)
        return result, b.block
