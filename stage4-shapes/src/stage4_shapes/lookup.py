"""The native generic lookup: what compiled code does at a megamorphic (or ``--ic=off``) site, without Python.

A shape knows the one field it added and its parent, so "which slot holds
``name``" is a walk up the shape chain comparing interned names by address
(a dictionary lookup, in effect: V8 scans its descriptor arrays the same
way for small objects); a class's methods are a (name, closure) table. These
IR helpers, added to a module the first time one of its sites needs them,
answer in native code and hand back to the runtime only what they cannot
finish: errors, dictionary-mode instances, a transition never made before,
an overflow store that must grow.

====================  ========================================================
``lox_field_index``   (header, name) -> the field's index; -1: none; -2: the
                      instance is in dictionary mode
``lox_find_method``   (class, name) -> the method's closure, or 0
``lox_get_native``    ``obj.name``: a field's value or a new bound method
``lox_set_native``    ``obj.name = value``: an existing field, or a transition
                      the shape tree already has
====================  ========================================================
"""

from __future__ import annotations

from llvmlite import ir

from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import I64, NIL, address_of, box_address, const, load_word, pointer

from .objects import BOUND_METHOD, CLASS, FIELDS, INSTANCE, PAIRS, SHAPE, SHAPE_SHIFT, ObjectKind

_INLINE = INSTANCE.tail_offset
_OVERFLOW = INSTANCE.offset("overflow")
NOT_FOUND = -1
DICTIONARY = -2


class NativeLookup:
    """The lookup helpers of one module (made on first use)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self._functions: dict[str, ir.Function] = {}

    def helper(self, name: str, arguments: int) -> tuple[ir.Function, ir.IRBuilder, bool]:
        """An internal function ``i64 name(i64 x arguments)``: (function, builder, whether it is new)."""
        function = self._functions.get(name)
        if function is not None:
            return function, ir.IRBuilder(), False
        function = ir.Function(self.ctx.module, ir.FunctionType(I64, [I64] * arguments), name)
        function.linkage = "internal"
        function.attributes.add("noinline")
        self._functions[name] = function
        return function, ir.IRBuilder(function.append_basic_block("entry")), True

    def python(self, name: str, arguments: int) -> ir.Function:
        """A runtime callback (Python), declared once per module."""
        existing = self.ctx.module.globals.get(name)
        if isinstance(existing, ir.Function):
            return existing
        return ir.Function(self.ctx.module, ir.FunctionType(I64, [I64] * arguments), name)

    # ------------------------------------------------------------ the walks
    def field_index(self) -> ir.Function:
        """``lox_field_index(header, name)`` (see the module docstring)."""
        f, b, new = self.helper("lox_field_index", 2)
        if not new:
            return f
        header, name = f.args
        shape = b.lshr(header, const(SHAPE_SHIFT))
        with b.if_then(b.icmp_unsigned("!=", load_word(b, shape, SHAPE.offset("dictionary")), const(0))):
            b.ret(const(DICTIONARY))
        loop = f.append_basic_block("walk")
        step = f.append_basic_block("step")
        found = f.append_basic_block("found")
        missing = f.append_basic_block("missing")
        start = b.block
        b.branch(loop)
        b.position_at_end(loop)
        current = b.phi(I64, "shape")
        current.add_incoming(shape, start)
        b.cbranch(b.icmp_unsigned("==", current, const(0)), missing, step)
        b.position_at_end(step)
        parent = load_word(b, current, SHAPE.offset("parent"))
        current.add_incoming(parent, step)
        b.cbranch(b.icmp_unsigned("==", load_word(b, current, SHAPE.offset("name")), name), found, loop)
        b.position_at_end(found)
        b.ret(load_word(b, current, SHAPE.offset("index")))
        b.position_at_end(missing)
        b.ret(const(NOT_FOUND))
        return f

    def pair_lookup(self) -> ir.Function:
        """``lox_pair_lookup(table, name)``: the value paired with ``name`` in a PAIRS table, or 0."""
        f, b, new = self.helper("lox_pair_lookup", 2)
        if not new:
            return f
        table, name = f.args
        with b.if_then(b.icmp_unsigned("==", table, const(0))):
            b.ret(const(0))
        count = load_word(b, table, PAIRS.offset("count"))
        loop = f.append_basic_block("scan")
        body = f.append_basic_block("compare")
        found = f.append_basic_block("found")
        missing = f.append_basic_block("missing")
        start = b.block
        b.branch(loop)
        b.position_at_end(loop)
        i = b.phi(I64, "i")
        i.add_incoming(const(0), start)
        b.cbranch(b.icmp_unsigned("<", i, count), body, missing)
        b.position_at_end(body)
        entry = b.add(table, b.add(const(PAIRS.tail_offset), b.shl(i, const(4))))
        i.add_incoming(b.add(i, const(1)), body)
        b.cbranch(b.icmp_unsigned("==", load_word(b, entry), name), found, loop)
        b.position_at_end(found)
        b.ret(load_word(b, entry, 8))
        b.position_at_end(missing)
        b.ret(const(0))
        return f

    def find_method(self, b: ir.IRBuilder, shape: ir.Value, name: ir.Value) -> ir.Value:
        """The method ``name`` of the class of ``shape`` (0: none)."""
        klass = load_word(b, shape, SHAPE.offset("class"))
        result: ir.Value = b.call(self.pair_lookup(), [load_word(b, klass, CLASS.offset("methods")), name])
        return result

    def slot(self, b: ir.IRBuilder, address: ir.Value, shape: ir.Value, index: ir.Value) -> ir.Value:
        """An ``i64*`` to field ``index`` of the instance (inline below the shape's capacity, else overflow)."""
        capacity = load_word(b, shape, SHAPE.offset("inline_capacity"))
        inline = b.add(address, b.add(const(_INLINE), b.shl(index, const(3))))
        overflow = b.add(load_word(b, address, _OVERFLOW),
                         b.add(const(FIELDS.tail_offset), b.shl(b.sub(index, capacity), const(3))))
        return pointer(b, b.select(b.icmp_unsigned("<", index, capacity), inline, overflow))

    # ------------------------------------------------------------ get and set
    def get(self) -> ir.Function:
        """``lox_get_native(obj, name, line)``: a field or a bound method natively; anything else in Python."""
        f, b, new = self.helper("lox_get_native", 3)
        if not new:
            return f
        obj, name, line = f.args
        slow = f.append_basic_block("python")
        address = address_of(b, obj)
        self.branch_unless_instance(b, obj, slow)
        header = load_word(b, address)
        shape = b.lshr(header, const(SHAPE_SHIFT))
        index = b.call(self.field_index(), [header, name])
        with b.if_then(b.icmp_signed(">=", index, const(0))):
            b.ret(b.load(self.slot(b, address, shape, index)))
        with b.if_then(b.icmp_signed("==", index, const(DICTIONARY))):
            b.branch(slow)
        method = self.find_method(b, shape, name)
        with b.if_then(b.icmp_unsigned("==", method, const(0))):
            b.branch(slow)
        bound = b.call(self.ctx.alloc, [const(BOUND_METHOD.fixed_size), const(int(ObjectKind.BOUND_METHOD))])
        with b.if_then(b.icmp_unsigned("==", bound, const(0))):
            b.branch(slow)
        b.store(obj, pointer(b, bound, BOUND_METHOD.offset("receiver")))
        b.store(method, pointer(b, bound, BOUND_METHOD.offset("method")))
        b.ret(box_address(b, bound))
        b.position_at_end(slow)
        b.ret(b.call(self.python("lox_get_property", 3), [obj, name, line]))
        return f

    def set(self) -> ir.Function:
        """``lox_set_native(obj, name, value, line)``: an existing field or a known transition natively."""
        f, b, new = self.helper("lox_set_native", 4)
        if not new:
            return f
        obj, name, value, line = f.args
        slow = f.append_basic_block("python")
        address = address_of(b, obj)
        self.branch_unless_instance(b, obj, slow)
        header = load_word(b, address)
        shape = b.lshr(header, const(SHAPE_SHIFT))
        index = b.call(self.field_index(), [header, name])
        with b.if_then(b.icmp_signed(">=", index, const(0))):
            b.store(value, self.slot(b, address, shape, index))
            b.ret(value)
        with b.if_then(b.icmp_signed("==", index, const(DICTIONARY))):
            b.branch(slow)
        child = b.call(self.pair_lookup(), [load_word(b, shape, SHAPE.offset("transitions")), name])
        with b.if_then(b.icmp_unsigned("==", child, const(0))):
            b.branch(slow)
        added = load_word(b, child, SHAPE.offset("index"))
        capacity = load_word(b, child, SHAPE.offset("inline_capacity"))
        # Past the inline slots the overflow store must exist and have room; otherwise Python grows it.
        inline = b.icmp_unsigned("<", added, capacity)
        overflow = load_word(b, address, _OVERFLOW)
        roomy = f.append_basic_block("roomy")
        check = f.append_basic_block("check_overflow")
        b.cbranch(inline, roomy, check)
        b.position_at_end(check)
        exists = b.icmp_unsigned("!=", overflow, const(0))
        safe = b.select(exists, overflow, const(self.ctx.runtime.heap.zero_address - FIELDS.offset("capacity")))
        room = b.icmp_unsigned("<", b.sub(added, capacity), load_word(b, safe, FIELDS.offset("capacity")))
        b.cbranch(b.and_(exists, room), roomy, slow)
        b.position_at_end(roomy)
        b.store(value, self.slot(b, address, child, added))
        b.store(b.or_(b.shl(child, const(SHAPE_SHIFT)), const(int(ObjectKind.INSTANCE))), pointer(b, address))
        b.ret(value)
        b.position_at_end(slow)
        b.ret(b.call(self.python("lox_set_property", 4), [obj, name, value, line]))
        return f

    def new_instance(self) -> ir.Function:
        """``lox_new_instance(class)``: an instance at the class's root shape, its inline slots nil; 0 when
        the heap is full."""
        f, b, new = self.helper("lox_new_instance", 1)
        if not new:
            return f
        (klass,) = f.args
        root = load_word(b, klass, CLASS.offset("root_shape"))
        capacity = load_word(b, root, SHAPE.offset("inline_capacity"))
        size = b.add(const(INSTANCE.fixed_size), b.shl(capacity, const(3)))
        address = b.call(self.ctx.alloc, [size, const(int(ObjectKind.INSTANCE))])
        with b.if_then(b.icmp_unsigned("==", address, const(0))):
            b.ret(const(0))
        b.store(b.or_(b.shl(root, const(SHAPE_SHIFT)), const(int(ObjectKind.INSTANCE))), pointer(b, address))
        b.store(const(0), pointer(b, address, _OVERFLOW))
        loop = f.append_basic_block("fill")
        body = f.append_basic_block("fill.slot")
        done = f.append_basic_block("filled")
        start = b.block
        b.branch(loop)
        b.position_at_end(loop)
        i = b.phi(I64, "i")
        i.add_incoming(const(0), start)
        b.cbranch(b.icmp_unsigned("<", i, capacity), body, done)
        b.position_at_end(body)
        b.store(NIL, pointer(b, b.add(address, b.add(const(_INLINE), b.shl(i, const(3))))))
        i.add_incoming(b.add(i, const(1)), body)
        b.branch(loop)
        b.position_at_end(done)
        b.ret(box_address(b, address))
        return f

    def branch_unless_instance(self, b: ir.IRBuilder, obj: ir.Value, otherwise: ir.Block) -> None:
        """Go on when ``obj`` is an instance, else branch to ``otherwise``."""
        fine = b.append_basic_block("instance")
        b.cbranch(self.ctx.is_kind(b, obj, ObjectKind.INSTANCE), fine, otherwise)
        b.position_at_end(fine)

