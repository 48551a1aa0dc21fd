"""What compiled code names stays alive: every cached case a compile turns into a guard or a direct call is pinned.

Compiled code compares against shapes and classes and calls closures by
address (stage 4's emitters take them from the site's cases through
``cached_cases``). Nothing moves, so the addresses stay right; what must not
happen is that the object dies and its address is handed to another, which
the guard would then accept. So when an emitter takes a case, its objects
are pinned (``heap.keep``) for as long as the VM runs, as LuaJIT treats a
trace's constants as roots. The cost is bounded: a site compiles at most its
polymorphism limit of cases, and a function compiles a bounded number of
times (deopt limits), so a class made a million times is pinned at most a
few times.
"""

from __future__ import annotations

from stage4_shapes.emitters import ShapedOperations

from .weak import case_objects

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


class PinningOperations(ShapedOperations):
    """Stage 4's shape-cached emitters, pinning every case they compile."""

    def cached_cases(self, usable: "Callable[[Hashable], bool]") -> "list[Hashable]":
        """The site's cases to compile, each one's objects pinned first."""
        cases = super().cached_cases(usable)
        heap = self.ctx.runtime.heap
        for case in cases:
            for value in case_objects(case, heap.base, heap.base + heap.size):
                heap.keep(value)
        return cases
