"""Stage 2's VM: stage 1 plus type feedback in the interpreter and guarded fast paths in compiled code.

Two hooks of stage 1 do all the work: ``vm.feedback`` (the interpreter
reports operand types, callees and global values to a :class:`FeedbackRecorder`)
and ``operations`` (tier 2 emits through :class:`GuardedOperations`).
"""

from __future__ import annotations


from stage0_jit.vm import Options

from stage1_interp.functions import FunctionRecord
from stage1_interp.vm import TieredVM

from .feedback import FeedbackRecorder, ICState, InlineCache, MissCounters
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext
    from stage1_interp.bytecode_jit import BytecodeFunctionCompiler
    from stage1_interp.sites import Site


class ICVM(TieredVM):
    """Interpreter with feedback, LLVM with inline caches."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        self.feedback: FeedbackRecorder = FeedbackRecorder(self)    # the interpreter's feedback hook
        # Under --jit=eager (threshold 1) functions compile at once: record from the start.
        self.feedback_after = min(self.settings.feedback_after, self.settings.threshold - 1)
        self.miss_counters = MissCounters()

    def operations(self, ctx: "ModuleContext") -> "Operations":
        """Guarded emitters, unless ``--ic=off`` (then stage 1's generic ones)."""
        if not self.settings.ic:
            return super().operations(ctx)
        from .emitters import GuardedOperations
        return GuardedOperations(ctx, self)

    def site_type(self) -> "type[Site]":
        """Stage 1's site plus its inline cache."""
        from .sites import CachedSite
        return CachedSite

    def inline_copy_compiler(self, ctx: "ModuleContext", ops: "Operations", record: FunctionRecord,
                             symbol: str) -> "BytecodeFunctionCompiler":
        """Hook: the compiler of a self-recursive function's always-inlined copy (stage 3 ties it to the
        function's code version)."""
        return self.function_compiler(ctx, ops, record, symbol)

    def caches(self) -> list[InlineCache]:
        """Every inline cache of every function."""
        return [cache for record in self.records for cache in record.feedback.values()]

    def finish(self) -> None:
        """Stage 1's report plus IC states, transitions and guard misses."""
        if self.options.stats:
            caches = self.caches()
            for state in ICState:
                self.stats.add(f"ic.state.{state.value}", sum(1 for c in caches if c.state == state))
            for (old, new), count in sorted(self.feedback.transitions.items()):
                self.stats.add(f"ic.transition.{old}->{new}", count)
            self.stats.section("guard misses per site (guarded sites in compiled code)", [
                f"  {c.describe()}: {self.miss_counters.count(c)} misses ({c.state.value}: "
                f"{', '.join(self.feedback.show(k) for k in c.cases)})" for c in self.miss_counters.sites])
        super().finish()
