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
``lox_resolve``       (header, name) -> a field (``index << 2 | 1``), a method
                      (its closure), nothing (0), or dictionary mode (3)
``lox_transition``    (header, name) -> the shape adding ``name`` leads to, or 0
``lox_get_native``    ``obj.name``: a field's value or a new bound method
``lox_set_native``    ``obj.name = value``: an existing field, or a transition
                      the shape tree already has
====================  ========================================================

The walks run once per (shape, name): ``lox_resolve`` and ``lox_transition``
keep their answers in the runtime's *stub cache*, one native table shared by
every megamorphic site (V8's megamorphic stub cache): the entry a (shape,
name) pair hashes to holds the pair and the answer, so a site that sees
thirty classes answers most accesses with one hashed probe and two compares.
Answers never go stale: classes never change, shapes never lose fields, and
the field's *index* is what is kept (where that index lives is read from the
shape each time, so slack tracking may still shrink the inline slots).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from llvmlite import ir

from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import I64, NIL, address_of, box_address, const, load_word, pointer

from .runtime import ObjectRuntime
from .objects import BOUND_METHOD, CLASS, FIELDS, INSTANCE, PAIRS, SHAPE, SHAPE_SHIFT, ObjectKind

_INLINE = INSTANCE.tail_offset
_OVERFLOW = INSTANCE.offset("overflow")
NOT_FOUND = -1
DICTIONARY = -2
FIELD_TAG = 1                 # lox_resolve: index << 2 | FIELD_TAG is a field
DICTIONARY_WORD = 3           # lox_resolve: a dictionary-mode instance (never cached)


@contextmanager
def count_up(b: ir.IRBuilder, f: ir.Function, limit: ir.Value, name: str) -> Iterator[ir.Value]:
    """``for (i = 0; i < limit; i = i + 1)``: yields ``i`` with the builder in the loop body (which may
    return early); after the block, the builder is past the loop."""
    start = b.block
    test = f.append_basic_block(name)
    body = f.append_basic_block(f"{name}.body")
    done = f.append_basic_block(f"{name}.done")
    b.branch(test)
    b.position_at_end(test)
    i = b.phi(I64, "i")
    i.add_incoming(const(0), start)
    b.cbranch(b.icmp_unsigned("<", i, limit), body, done)
    b.position_at_end(body)
    yield i
    i.add_incoming(b.add(i, const(1)), b.block)
    b.branch(test)
    b.position_at_end(done)


class NativeLookup:
    """The lookup helpers, as one module sees them (compiled once per VM, by the first module that needs
    each; see ``ModuleContext.shared_helper``)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def helper(self, name: str, arguments: int) -> tuple[ir.Function, ir.IRBuilder, bool]:
        """The shared helper ``i64 name(i64 x arguments)`` (compiled once per VM, see
        ``ModuleContext.shared_helper``): (function, builder, whether this module must build its body)."""
        function, builder = self.ctx.begin_shared(name, ir.FunctionType(I64, [I64] * arguments))
        if builder is None:
            return function, ir.IRBuilder(), False
        return function, builder, True

    def python(self, name: str, arguments: int) -> ir.Function:
        """A runtime callback (Python), declared once per module."""
        return self.ctx.declare(name, ir.FunctionType(I64, [I64] * arguments))

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
        with count_up(b, f, load_word(b, table, PAIRS.offset("count")), "scan") as i:
            entry = b.add(table, b.add(const(PAIRS.tail_offset), b.shl(i, const(4))))
            with b.if_then(b.icmp_unsigned("==", load_word(b, entry), name)):
                b.ret(load_word(b, entry, 8))
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

    def barrier(self, b: ir.IRBuilder, address: ir.Value) -> None:
        """The write barrier after a field store into the instance at ``address``: its card, and its overflow
        store's (the field may live there)."""
        overflow = load_word(b, address, _OVERFLOW)
        self.ctx.barrier(b, address)
        self.ctx.barrier(b, b.select(b.icmp_unsigned("==", overflow, const(0)), address, overflow))

    # ------------------------------------------------------------ the megamorphic cache
    def stub_entry(self, b: ir.IRBuilder, header: ir.Value, key: ir.Value) -> ir.Value:
        """The address of the stub-cache entry for (shape, key)."""
        runtime = self.ctx.runtime
        assert isinstance(runtime, ObjectRuntime)
        mixed = b.xor(b.lshr(header, const(SHAPE_SHIFT)), key)
        index = b.and_(b.lshr(mixed, const(3)), const(runtime.stub_cache_entries - 1))
        return b.add(const(runtime.stub_cache.base), b.shl(index, const(5)))

    def cached(self, name: str, miss: Callable[[ir.IRBuilder, ir.Function, ir.Value, ir.Value], ir.Value],
               salt: int) -> ir.Function:
        """``name(header, key)``: the stub cache's answer for (shape, key), else ``miss``'s, kept for next time
        unless it is 0 (nothing) or DICTIONARY_WORD (never cached)."""
        f, b, new = self.helper(name, 2)
        if not new:
            return f
        header, key = f.args
        if not getattr(self.ctx.runtime.settings, "ic", True):
            # --ic=off: no caches of any kind, the shared one included: every access walks.
            b.ret(miss(b, f, header, key))
            return f
        key = b.or_(key, const(salt))
        entry = self.stub_entry(b, header, key)
        hit = b.and_(b.icmp_unsigned("==", load_word(b, entry), header),
                     b.icmp_unsigned("==", load_word(b, entry, 8), key))
        with b.if_then(hit, likely=True):
            b.ret(load_word(b, entry, 16))
        answer = miss(b, f, header, f.args[1])
        keep = b.and_(b.icmp_unsigned("!=", answer, const(0)), b.icmp_unsigned("!=", answer, const(DICTIONARY_WORD)))
        with b.if_then(keep):
            b.store(header, pointer(b, entry))
            b.store(key, pointer(b, entry, 8))
            b.store(answer, pointer(b, entry, 16))
        b.ret(answer)
        return f

    def resolve(self) -> ir.Function:
        """``lox_resolve(header, name)``: ``index << 2 | 1`` for a field, the closure for a method, 0 for
        neither, DICTIONARY_WORD for a dictionary-mode instance (the stub cache first, then the walks)."""
        def walk(b: ir.IRBuilder, f: ir.Function, header: ir.Value, name: ir.Value) -> ir.Value:
            index = b.call(self.field_index(), [header, name])
            with b.if_then(b.icmp_signed("==", index, const(DICTIONARY))):
                b.ret(const(DICTIONARY_WORD))
            # A field's answer is returned (not b.ret) so that `cached` keeps it, as it keeps a method's; the
            # method table is read on this miss path either way, and a field shadows a method of its name.
            method = self.find_method(b, b.lshr(header, const(SHAPE_SHIFT)), name)
            field: ir.Value = b.or_(b.shl(index, const(2)), const(FIELD_TAG))
            answer: ir.Value = b.select(b.icmp_signed(">=", index, const(0)), field, method)
            return answer
        return self.cached("lox_resolve", walk, 0)

    def transition(self) -> ir.Function:
        """``lox_transition(header, name)``: the shape adding field ``name`` leads to, if the tree has it."""
        def walk(b: ir.IRBuilder, f: ir.Function, header: ir.Value, name: ir.Value) -> ir.Value:
            shape = b.lshr(header, const(SHAPE_SHIFT))
            result: ir.Value = b.call(self.pair_lookup(), [load_word(b, shape, SHAPE.offset("transitions")), name])
            return result
        return self.cached("lox_transition", walk, 1)   # names are 8-aligned: | 1 keeps transitions apart

    # ------------------------------------------------------------ get and set
    def resolve_on_instance(self, f: ir.Function, b: ir.IRBuilder, obj: ir.Value,
                            name: ir.Value) -> tuple[ir.Block, ir.Value, ir.Value, ir.Value, ir.Value]:
        """The start of a native get or set: anything but an instance branches to a new ``python`` block;
        an instance's name is resolved on its header. Returns (that block, the address, the header, the shape,
        the answer)."""
        slow = f.append_basic_block("python")
        address = address_of(b, obj)
        self.branch_unless_instance(b, obj, slow)
        header = load_word(b, address)
        return slow, address, header, b.lshr(header, const(SHAPE_SHIFT)), b.call(self.resolve(), [header, name])

    def get(self) -> ir.Function:
        """``lox_get_native(obj, name, line)``: a field or a bound method natively; anything else in Python."""
        f, b, new = self.helper("lox_get_native", 3)
        if not new:
            return f
        obj, name, line = f.args
        slow, address, header, shape, found = self.resolve_on_instance(f, b, obj, name)
        with b.if_then(b.icmp_unsigned("==", b.and_(found, const(3)), const(FIELD_TAG))):
            b.ret(b.load(self.slot(b, address, shape, b.lshr(found, const(2)))))
        with b.if_then(b.icmp_signed(">=", found, const(0))):
            b.branch(slow)                   # nothing, or a dictionary-mode instance: Python
        bound = b.call(self.ctx.alloc, [const(BOUND_METHOD.fixed_size), const(int(ObjectKind.BOUND_METHOD))])
        with b.if_then(b.icmp_unsigned("==", bound, const(0))):
            b.branch(slow)
        b.store(obj, pointer(b, bound, BOUND_METHOD.offset("receiver")))
        b.store(found, pointer(b, bound, BOUND_METHOD.offset("method")))
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
        slow, address, header, shape, found = self.resolve_on_instance(f, b, obj, name)
        with b.if_then(b.icmp_unsigned("==", b.and_(found, const(3)), const(FIELD_TAG))):
            b.store(value, self.slot(b, address, shape, b.lshr(found, const(2))))
            self.barrier(b, address)
            b.ret(value)
        with b.if_then(b.icmp_unsigned("==", found, const(DICTIONARY_WORD))):
            b.branch(slow)
        child = b.call(self.transition(), [header, name])
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
        self.barrier(b, address)
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
        with count_up(b, f, capacity, "fill") as i:
            b.store(NIL, pointer(b, b.add(address, b.add(const(_INLINE), b.shl(i, const(3))))))
        b.ret(box_address(b, address))
        return f

    def branch_unless_instance(self, b: ir.IRBuilder, obj: ir.Value, otherwise: ir.Block) -> None:
        """Go on when ``obj`` is an instance, else branch to ``otherwise``."""
        fine = b.append_basic_block("instance")
        b.cbranch(self.ctx.is_kind(b, obj, ObjectKind.INSTANCE), fine, otherwise)
        b.position_at_end(fine)

