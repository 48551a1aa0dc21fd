"""Stage 3's site: stage 2's cached instruction plus the analysis's plan for it and the deopt exit a guard takes."""

from __future__ import annotations

from stage2_ic.sites import CachedSite

from .analysis import How

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from llvmlite import ir

    from .analysis import Plan, Type
    from .bytecode_jit import SpeculativeCompiler
    from .sidetables import DeoptPoint, Guard


class SpeculativeSite(CachedSite):
    """An instruction, its cache and its :class:`~stage3_deopt.analysis.Plan` (None: an instruction the plans
    leave alone, such as GET_LOCAL). The emitters follow the plan: it is the one the analysis used."""

    __slots__ = ("plan",)

    compiler: "SpeculativeCompiler"
    plan: "Plan | None"

    def __init__(self, compiler: "SpeculativeCompiler", offset: int) -> None:
        super().__init__(compiler, offset)
        self.plan = compiler.analysis.plans[offset]

    @property
    def how(self) -> How | None:
        """How the plan compiles the instruction (None: no plan)."""
        return self.plan.how if self.plan is not None else None

    @property
    def types(self) -> "tuple[Type, ...]":
        """What the analysis proved of each operand-stack entry before the instruction, bottom first."""
        state = self.compiler.analysis.before[self.offset]
        return tuple(t for t, _ in state.stack) if state is not None else ()

    def deopt_exit(self, guard: "Guard") -> "tuple[ir.Block, DeoptPoint]":
        """The block a failed ``guard`` at this instruction jumps to (see ``SpeculativeCompiler.deopt_exit``)."""
        return self.compiler.deopt_exit(guard)
