"""Compiled code for objects: shape-guarded fast paths for property get/set, method calls and class calls.

(first version: the generic object emitters combined with each stage's operations; the caches come next)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stage0_jit.irmodule import ModuleContext
from stage2_ic.guards import GuardedOperations
from stage3_deopt.speculative import SpeculativeOperations

from .generic import ObjectOperations

if TYPE_CHECKING:
    from .vm import ShapesVM


class GenericObjectOperations(ObjectOperations):
    """``--ic=off``: stage 1's generic code and the object callbacks."""


class GuardedObjectOperations(ObjectOperations, GuardedOperations):
    """``--deopt=off``: stage 2's guarded code."""

    def __init__(self, ctx: ModuleContext, vm: "ShapesVM") -> None:
        GuardedOperations.__init__(self, ctx, vm)


class ShapedOperations(ObjectOperations, SpeculativeOperations):
    """The default: stage 3's speculation."""

    def __init__(self, ctx: ModuleContext, vm: "ShapesVM") -> None:
        SpeculativeOperations.__init__(self, ctx, vm)
