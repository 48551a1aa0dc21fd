"""Compiled code for objects: shape-guarded fast paths for property get/set, method calls and class calls.

A cached site becomes a chain of guards, one per case its shape cache holds
(``caches.py``). Each guard is one load and one compare: an instance's
header word carries its shape (``objects.py``), and a non-object reads the
heap's always-zero word instead, so "is an instance of shape S" is
``header(v) == S << 8 | INSTANCE``. What follows a passing guard is what the
interpreter learned for that shape, with no call into Python:

==================  ==========================================================
``do_field_get``    one load at a constant offset (inline slot), or two
                    (the overflow store, then the slot)
``do_bind``         a method read: a bound method allocated inline
``do_field_set``    one store (and, for a cached transition, one store of the
                    new header)
``do_method_call``  a direct call of the method's compiled code with the
                    receiver (LLVM may inline it when it is in this module)
``do_new``          calling a class: the instance allocated inline at the
                    class's root shape, then a direct call of ``init``
==================  ==========================================================

Each site follows the plan stage 3's analysis made for it (``plans.py``):
a chain whose miss deoptimises (``GUARD``), the same chain with the generic
path behind it (``FALLBACK``: ``generic.py``), the generic path alone
(``GENERIC``), or, for a site never run past the loop an OSR entry starts
at, a deopt exit ("no feedback yet", ``LEAVE``). The chain itself is stage
2's (``GuardedOperations.chain``); this module gives each case kind its
test and fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import NIL, address_of, box_address, const, is_obj
from stage0_jit.layout import FUNCTION, WORD
from stage2_ic.emitters import Key
from stage2_ic.feedback import CallTarget
from stage2_ic.guards import GuardKind, Operand
from stage3_deopt.emitters import SpeculativeOperations

from .caches import ClassTarget, FieldHit, MethodHit, StoreHit, SuperHit
from .generic import ObjectOperations
from .objects import BOUND_METHOD, FIELDS, INSTANCE, ObjectKind, instance_size, overflow_capacity

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from .vm import ShapesVM

_INLINE = INSTANCE.tail_offset           # byte offset of inline slot 0
_OVERFLOW = INSTANCE.offset("overflow")


class GenericObjectOperations(ObjectOperations):
    """``--ic=off``: stage 1's generic code and the generic object paths (no shape caches)."""


class ShapedOperations(ObjectOperations, SpeculativeOperations):
    """Shape-keyed caches in compiled code, on top of stage 3's speculation (see the module docstring)."""

    def __init__(self, ctx: ModuleContext, vm: "ShapesVM") -> None:
        SpeculativeOperations.__init__(self, ctx, vm)
        self.shapes_vm = vm

    def header_of(self, f: FunctionState, v: ir.Value) -> ir.Value:
        """The header word of ``v`` if it is an object, else 0 (the heap's zero word): one select, one load."""
        b = f.builder
        where = b.select(is_obj(b, v), address_of(b, v), const(self.ctx.runtime.heap.zero_address))
        return self.load_field(f, where, 0)

    def shape_keys(self, f: FunctionState, obj: ir.Value, cases: list[Hashable],
                   fast: Callable[[Hashable], Callable[[], ir.Value]]) -> list[Key]:
        """One ``(header == case's header, fast path)`` per case: the receiver's header is loaded once."""
        b = f.builder
        header = self.header_of(f, obj)
        keys: list[Key] = []
        for case in cases:
            assert isinstance(case, (FieldHit, MethodHit, StoreHit))
            keys.append((b.icmp_unsigned("==", header, const(case.header)), fast(case)))
        return keys

    # ------------------------------------------------------------ fields
    def field_address(self, f: FunctionState, address: ir.Value, index: int, inline: int) -> tuple[ir.Value, int]:
        """(base address, byte offset) of field ``index``: in the instance, or in its overflow store."""
        if index < inline:
            return address, _INLINE + WORD * index
        overflow = self.load_field(f, address, _OVERFLOW)
        return overflow, FIELDS.tail_offset + WORD * (index - inline)

    def get_property(self, f: FunctionState, obj: ir.Value, name: str, line: int) -> ir.Value:
        """GET_PROPERTY: per cached shape, ``do_field_get`` (a field) or ``do_bind`` (a method)."""
        cases = self.cached_cases(lambda case: isinstance(case, (FieldHit, MethodHit)))
        if not cases:
            return self.generic_get(f, obj, name, line)
        address = address_of(f.builder, obj)

        def fast(case: Hashable) -> Callable[[], ir.Value]:
            if isinstance(case, FieldHit):
                return lambda: self.do_field_get(f, address, case)
            assert isinstance(case, MethodHit)
            return lambda: self.do_bind(f, obj, case, line)
        kind = GuardKind.SHAPE_BIND if all(isinstance(c, MethodHit) for c in cases) else GuardKind.SHAPE_GET
        return self.chain(f, "get", self.shape_keys(f, obj, cases, fast),
                          lambda: self.generic_get(f, obj, name, line), kind, (Operand.top("receiver", 1),))

    def do_field_get(self, f: FunctionState, address: ir.Value, case: FieldHit) -> ir.Value:
        """The field's slot at a constant offset."""
        base, offset = self.field_address(f, address, case.index, case.inline)
        return self.load_field(f, base, offset)

    def do_bind(self, f: FunctionState, receiver: ir.Value, case: MethodHit, line: int) -> ir.Value:
        """A bound method allocated inline (the method is a constant: classes never change)."""
        address = self.allocate(f, ObjectKind.BOUND_METHOD, BOUND_METHOD.fixed_size, line)
        self.init_field(f, address, BOUND_METHOD.offset("receiver"), receiver)
        self.init_field(f, address, BOUND_METHOD.offset("method"), const(case.closure))
        return box_address(f.builder, address)

    def set_property(self, f: FunctionState, obj: ir.Value, name: str, value: ir.Value, line: int) -> ir.Value:
        """SET_PROPERTY: per cached shape, ``do_field_set`` (a store, or a transition)."""
        cases = self.cached_cases(lambda case: isinstance(case, StoreHit))
        if not cases:
            return self.generic_set(f, obj, name, value, line)
        address = address_of(f.builder, obj)

        def fast(case: Hashable) -> Callable[[], ir.Value]:
            assert isinstance(case, StoreHit)
            return lambda: self.do_field_set(f, address, case, value, line)
        return self.chain(f, "set", self.shape_keys(f, obj, cases, fast),
                          lambda: self.generic_set(f, obj, name, value, line), GuardKind.SHAPE_SET,
                          (Operand.top("receiver", 2),))

    def do_field_set(self, f: FunctionState, address: ir.Value, case: StoreHit, value: ir.Value,
                     line: int) -> ir.Value:
        """One store into the slot; a transition also stores the next shape into the header (and, when the
        new field is the first past the overflow store's capacity, first makes a bigger store)."""
        if case.grows:
            self.grow_overflow(f, address, case, line)
        base, offset = self.field_address(f, address, case.index, case.inline)
        self.store_field(f, base, offset, value)
        if case.new_header != case.header:
            self.store_field(f, address, 0, const(case.new_header))
        return value

    def grow_overflow(self, f: FunctionState, address: ir.Value, case: StoreHit, line: int) -> None:
        """A bigger overflow store, inline: its capacities are functions of the shapes (``overflow_capacity``),
        so how much to allocate and copy is known here."""
        old = overflow_capacity(case.index - case.inline)
        new = overflow_capacity(case.index + 1 - case.inline)
        fresh = self.allocate(f, ObjectKind.FIELDS, FIELDS.fixed_size + WORD * new, line)
        self.init_field(f, fresh, FIELDS.offset("capacity"), const(new))
        previous = self.load_field(f, address, _OVERFLOW) if old else None
        for k in range(new):
            word = self.load_field(f, previous, FIELDS.tail_offset + WORD * k) if previous is not None and k < old \
                else NIL
            self.init_field(f, fresh, FIELDS.tail_offset + WORD * k, word)
        self.store_field(f, address, _OVERFLOW, fresh)

    # ------------------------------------------------------------ methods
    def invoke(self, f: FunctionState, obj: ir.Value, name: str, args: list[ir.Value], line: int) -> ir.Value:
        """INVOKE: per cached shape, ``do_method_call`` (a method) or a call of the field's value."""
        argc = len(args)
        cases = self.cached_cases(lambda case: isinstance(case, FieldHit) or (
            isinstance(case, MethodHit) and self.arity(case.prototype) == argc))
        if not cases:
            return self.generic_invoke(f, obj, const(0), name, args, line)
        self.record_line(f, line)
        address = address_of(f.builder, obj)

        def fast(case: Hashable) -> Callable[[], ir.Value]:
            if isinstance(case, MethodHit):
                return lambda: self.do_method_call(f, case.prototype, case.name, const(case.closure), obj, args)
            assert isinstance(case, FieldHit)
            return lambda: Operations.call(self, f, self.do_field_get(f, address, case), args, line)
        result = self.chain(f, "invoke", self.shape_keys(f, obj, cases, fast),
                            lambda: self.generic_invoke(f, obj, const(0), name, args, line),
                            GuardKind.SHAPE_INVOKE, (Operand.top("receiver", argc + 1),))
        self.check_result(f, result)
        return result

    def arity(self, prototype: int) -> int:
        """A function prototype's arity."""
        return int(self.ctx.runtime.heap.field(prototype, FUNCTION, "arity"))

    def do_method_call(self, f: FunctionState, prototype: int, name: str, closure: ir.Value, receiver: ir.Value,
                       args: list[ir.Value]) -> ir.Value:
        """A direct call of a known method with its receiver (stage 2's direct call: the LLVM function when
        it is in this module, its installed code, or its entry slot)."""
        return self.direct_call(f, CallTarget(prototype, name, self.arity(prototype)), closure, [receiver, *args])

    def super_invoke(self, f: FunctionState, this: ir.Value, superclass: ir.Value, name: str,
                     args: list[ir.Value], line: int) -> ir.Value:
        """SUPER_INVOKE: per cached superclass, one compare, then ``do_method_call``."""
        argc = len(args)
        cases = self.cached_cases(lambda case: isinstance(case, SuperHit) and self.arity(case.prototype) == argc)
        if not cases:
            return self.generic_invoke(f, this, superclass, name, args, line)
        b = f.builder
        self.record_line(f, line)

        def key(case: Hashable) -> Key:
            assert isinstance(case, SuperHit)
            return (b.icmp_unsigned("==", superclass, const(case.superclass)),
                    lambda: self.do_method_call(f, case.prototype, case.name, const(case.closure), this, args))
        result = self.chain(f, "super", [key(case) for case in cases],
                            lambda: self.generic_invoke(f, this, superclass, name, args, line),
                            GuardKind.SUPERCLASS, (Operand.top("superclass", 1),))
        self.check_result(f, result)
        return result

    # ------------------------------------------------------------ instantiation
    def fits_call(self, case: Hashable, argc: int) -> bool:
        """A class is a call site's case too, when its ``init`` takes ``argc`` arguments (or it has none)."""
        return (isinstance(case, ClassTarget) and case.arity == argc) or super().fits_call(case, argc)

    def call_guard(self, cases: list[Hashable]) -> GuardKind:
        """A site that only called classes guards the class."""
        return GuardKind.CLASS if all(isinstance(c, ClassTarget) for c in cases) else super().call_guard(cases)

    def call_case(self, f: FunctionState, case: Hashable, callee: ir.Value, args: list[ir.Value], line: int,
                  count: int) -> Key:
        """A class: the callee is that very class, then ``do_new``."""
        if not isinstance(case, ClassTarget):
            return super().call_case(f, case, callee, args, line, count)
        return f.builder.icmp_unsigned("==", callee, const(case.klass)), lambda: self.do_new(f, case, args, line)

    def do_new(self, f: FunctionState, case: ClassTarget, args: list[ir.Value], line: int) -> ir.Value:
        """The instance at the class's root shape, allocated inline; then ``init`` called directly."""
        root = self.shapes_vm.objects.class_of(case.klass).root
        assert root is not None
        address = self.allocate(f, ObjectKind.INSTANCE, instance_size(root.inline_capacity), line)
        self.init_field(f, address, 0, const(root.header))
        self.init_field(f, address, _OVERFLOW, const(0))
        for k in range(root.inline_capacity):
            self.init_field(f, address, _INLINE + WORD * k, NIL)
        instance = box_address(f.builder, address)
        if not case.initializer:
            return instance
        return self.do_method_call(f, case.prototype, "init", const(case.initializer), instance, args)

