"""How stage 4's object sites are compiled: the plans stage 3's analysis makes for them (``opcode_plans``).

A property read, property write, method call, ``super`` call or call of a
class is compiled by the plan its site gets here, and the emitters
(``emitters.py``) follow it, as stage 3's do for arithmetic:

==========  ================================================================
``GUARD``   every cached case has a fast path; a miss deoptimises
``FALLBACK`` the same chain, with the generic path behind it (the site or its
            function stopped speculating, or ``--deopt=off``)
``GENERIC`` no cached case the emitters can use (uncached, megamorphic, or a
            case they do not compile, such as a wrong arity)
``LEAVE``   never run, past the loop an OSR entry starts at: leave for the
            interpreter (it records the site; the next compilation caches it)
==========  ================================================================
"""

from __future__ import annotations

from stage0_jit.layout import FUNCTION
from stage1_interp.bytecode import Op, invoke_argc
from stage3_deopt.analysis import GENERIC_VALUE, How, Known, Plan

from .caches import ClassTarget, FieldHit, MethodHit, ShapeCache, StoreHit, SuperHit

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from stage0_jit.heap import Heap
    from stage3_deopt.analysis import SitePlan, Speculator

_LEAVE = Plan(How.LEAVE, "", Known.VALUE)


class ObjectSitePlans:
    """The plans of the object opcodes' sites (the arity of a cached method is read from the heap)."""

    def __init__(self, heap: "Heap") -> None:
        self.heap = heap

    def table(self) -> "dict[int, SitePlan]":
        """Opcode -> its site's plan, for ``Speculator.opcode_plans``."""
        return {Op.GET_PROPERTY: self.get_property, Op.SET_PROPERTY: self.set_property, Op.INVOKE: self.invoke,
                Op.SUPER_INVOKE: self.super_invoke, Op.CALL: self.call}

    def arity(self, prototype: int) -> int:
        """A function prototype's arity."""
        return int(self.heap.field(prototype, FUNCTION, "arity"))

    def shapes(self, speculator: "Speculator", offset: int, usable: "Callable[[Hashable], bool]") -> Plan:
        """A shape-cached site: guarded when every case it holds is one the emitters compile."""
        if speculator.never_recorded(offset):
            return _LEAVE
        cache = speculator.cache(offset)
        cases = cache.cases if isinstance(cache, ShapeCache) and cache.guarded else []
        if not cases or not all(usable(case) for case in cases):
            return GENERIC_VALUE
        return Plan(How.GUARD if speculator.betting(offset) is not None else How.FALLBACK, "shapes", Known.VALUE)

    def get_property(self, speculator: "Speculator", offset: int) -> Plan:
        """``obj.name``: fields read and methods bound."""
        return self.shapes(speculator, offset, lambda case: isinstance(case, (FieldHit, MethodHit)))

    def set_property(self, speculator: "Speculator", offset: int) -> Plan:
        """``obj.name = value``: stores and transitions."""
        return self.shapes(speculator, offset, lambda case: isinstance(case, StoreHit))

    def invoke(self, speculator: "Speculator", offset: int) -> Plan:
        """``obj.name(args)``: methods of the right arity, and fields (whose value is called)."""
        argc = invoke_argc(speculator.record.code.chunk.args[offset])
        return self.shapes(speculator, offset, lambda case: isinstance(case, FieldHit) or (
            isinstance(case, MethodHit) and self.arity(case.prototype) == argc))

    def super_invoke(self, speculator: "Speculator", offset: int) -> Plan:
        """``super.name(args)``: superclass methods of the right arity."""
        argc = invoke_argc(speculator.record.code.chunk.args[offset])
        return self.shapes(speculator, offset, lambda case: isinstance(case, SuperHit) and
                           self.arity(case.prototype) == argc)

    def call(self, speculator: "Speculator", offset: int) -> Plan:
        """A call site that only ever called classes (each with an ``init`` of the right arity, or none);
        any other call site as stage 3 plans it."""
        if speculator.never_recorded(offset):
            return _LEAVE
        argc = speculator.record.code.chunk.args[offset]
        cache = speculator.cache(offset)
        if cache is None or not cache.guarded or not all(isinstance(c, ClassTarget) for c in cache.cases):
            return speculator.call_plan(offset, argc)
        if not all(isinstance(c, ClassTarget) and c.arity == argc for c in cache.cases):
            return GENERIC_VALUE
        return Plan(How.GUARD if speculator.betting(offset) is not None else How.FALLBACK, "classes", Known.VALUE)
