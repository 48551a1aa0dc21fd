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

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.irvalues import I64, I64P, address_of, const
from stage0_jit.layout import CLOSURE, FUNCTION
from stage1_interp.bytecode import Op, invoke_argc

from .objects import BOUND_METHOD, ObjectKind


class ObjectOperations(Operations):
    """Generic emitters for the object opcodes (a mixin in front of any stage's ``Operations``)."""

    def callback(self, name: str, arguments: list[ir.Type]) -> ir.Function:
        """A runtime object callback, declared once per module."""
        existing = self.ctx.module.globals.get(name)
        if isinstance(existing, ir.Function):
            return existing
        return ir.Function(self.ctx.module, ir.FunctionType(I64, arguments), name)

    def name_word(self, name: str) -> ir.Value:
        """An interned name as a constant word (names compare by address)."""
        return const(self.ctx.runtime.constant_string(name))

    # ------------------------------------------------------------ properties
    def get_property(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """``obj.name`` through the runtime's lookup."""
        return self.generic_get(f, obj, name, line)

    def generic_get(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """The uncached property read."""
        function = self.callback("lox_get_property", [I64, I64, I64])
        result: ir.Value = f.builder.call(function, [obj, self.name_word(name), const(line)])
        self.check_result(f, result)
        return result

    def set_property(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """``obj.name = value`` through the runtime."""
        return self.generic_set(f, obj, name, value, line)

    def generic_set(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """The uncached property write; returns the value."""
        function = self.callback("lox_set_property", [I64, I64, I64, I64])
        result: ir.Value = f.builder.call(function, [obj, self.name_word(name), value, const(line)])
        self.check_result(f, result)
        return result

    # ------------------------------------------------------------ methods
    def invoke(self, f: FunctionState, obj: ir.Value, name: str, args: list[ir.Value], line: int) -> ir.Value:
        """``obj.name(args)`` through the runtime (method lookup and call)."""
        return self.generic_invoke(f, obj, const(0), name, args, line)

    def generic_invoke(self, f: FunctionState, receiver: ir.Value, superclass: ir.Value, name: str,
                       args: list[ir.Value], line: int) -> ir.Value:
        """An uncached invoke (``superclass`` 0) or super call."""
        b = f.builder
        self.record_line(f, line)
        buffer = self.argument_buffer(f, len(args))
        for i, arg in enumerate(args):
            b.store(arg, b.gep(buffer, [const(i)]))
        function = self.callback("lox_invoke", [I64, I64, I64, I64P, I64, I64])
        result: ir.Value = b.call(function, [receiver, superclass, self.name_word(name), buffer,
                                             const(len(args)), const(line)])
        self.check_result(f, result)
        return result

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
        site = getattr(self, "current_site", None)
        assert site is not None, "class_op needs the function being compiled"
        names: list[str] = site.code.chunk.names
        return names[index]

    def enter_site(self, site: object, offset: int) -> None:
        """Remember the function being compiled (its names)."""
        super().enter_site(site, offset)
        self.current_site = site

    # ------------------------------------------------------------ calls
    def call_other(self, f: FunctionState, callee: ir.Value, args: list[ir.Value], line: int) -> ir.Value:
        """A bound method of the right arity is called natively; anything else goes to the runtime."""
        b = f.builder
        bound = b.append_basic_block("call.bound")
        check = b.append_basic_block("call.bound.arity")
        other = b.append_basic_block("call.other")
        done = b.append_basic_block("call.other.done")
        b.cbranch(self.ctx.is_kind(b, callee, ObjectKind.BOUND_METHOD), bound, other)
        b.position_at_end(bound)
        address = address_of(b, callee)
        method = self.load_field(f, address, BOUND_METHOD.offset("method"))
        receiver = self.load_field(f, address, BOUND_METHOD.offset("receiver"))
        function = self.load_field(f, address_of(b, method), CLOSURE.offset("function"))
        arity = self.load_field(f, function, FUNCTION.offset("arity"))
        b.cbranch(b.icmp_unsigned("==", arity, const(len(args))), check, other)
        b.position_at_end(check)
        called = self.call_method_entry(f, function, method, receiver, args)
        called_end = b.block
        b.branch(done)
        b.position_at_end(other)
        slow = super().call_other(f, callee, args, line)
        slow_end = b.block
        b.branch(done)
        return self.join(f, done, [(called, called_end), (slow, slow_end)])

    def call_method_entry(self, f: FunctionState, function: ir.Value, closure: ir.Value, receiver: ir.Value,
                          args: list[ir.Value]) -> ir.Value:
        """Jump through a method's entry slot: ``entry(closure, receiver, args...)``."""
        b = f.builder
        entry = self.load_field(f, function, FUNCTION.offset("entry"))
        signature = ir.FunctionType(I64, [I64] * (2 + len(args)))
        result: ir.Value = b.call(b.inttoptr(entry, signature.as_pointer()), [closure, receiver, *args])
        return result


