"""Stage 3's VM: stage 2 plus deoptimisation (speculation made safe) and on-stack replacement into hot loops.

Hooks it plugs into: ``TieredVM.osr`` (the interpreter's hot back-edge,
``osr.OSR``), ``TieredVM.function_compiler`` (compilers with deopt exits,
``bytecode_jit.SpeculativeCompiler``), ``TieredVM.operations`` (emitters that
deoptimise on a miss, ``emitters.SpeculativeOperations``), the tiering
class (``tiering.DeoptTiering``: OSR jobs), ``ICVM.inline_copy_compiler`` and the
runtime's callback table (``lox_deopt``).

A program that never gets hot pays nothing for any of it: the deopt machinery
(``deopt``, side tables, the type analysis) and the OSR entries are made, and
their modules imported, the first time a compile or a hot loop asks for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from functools import cached_property

from stage0_jit import values
from stage0_jit.layout import CLOSURE, FUNCTION
from stage0_jit.vm import Options
from stage1_interp.functions import FunctionRecord
from stage2_ic.vm import ICVM

from .settings import Settings
from .tiering import DeoptTiering

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext
    from stage1_interp.bytecode_jit import BytecodeFunctionCompiler

    from .bytecode_jit import OSREntryCompiler, SpeculativeCompiler
    from .deopt import Deoptimizer
    from .osr import OSR
    from stage1_interp.sites import Site

    from .sidetables import CodeVersion
    from .analysis import SitePlan, StackTypes


class DeoptVM(ICVM):
    """Interpreter with feedback; compiled code that speculates, deoptimises, and is entered mid-loop."""

    compiles_run_once = True     # the script's loops are entered by OSR

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        self.tiering: DeoptTiering = DeoptTiering(self)
        self.osr = self.enter_loop if self.settings.osr else None
        self.versions: dict[int, list[CodeVersion]] = defaultdict(list)
        self.newest: dict[int, CodeVersion] = {}      # prototype -> its newest normal entry (made or being made)

    @cached_property
    def deopt(self) -> Deoptimizer:
        """The side tables, the deopt buffer and callback, the deopt policy: made at the first compile."""
        from .deopt import Deoptimizer
        return Deoptimizer(self)

    @cached_property
    def osr_entries(self) -> OSR:
        """The installed OSR entries and their buffer: made when the first loop gets hot."""
        from .osr import OSR
        return OSR(self)

    def enter_loop(self, record: FunctionRecord, closure_address: int, header: int, slots: list[int],
                   stack: list[int], depth: int) -> int | None:
        """The interpreter's OSR hook (a hot loop's back-edge): see ``osr.OSR.__call__``."""
        return self.osr_entries(record, closure_address, header, slots, stack, depth)

    def index_of(self, record: FunctionRecord) -> int:
        """The function's index in ``records`` (its prototype's id)."""
        return int(self.runtime.heap.field(record.prototype, FUNCTION, "id"))

    def new_version(self, record: FunctionRecord, header: int | None) -> CodeVersion:
        """A new piece of compiled code for ``record`` (``header``: an OSR entry's loop header)."""
        from .sidetables import CodeVersion
        version = CodeVersion(record, header)
        self.versions[self.index_of(record)].append(version)
        if header is None:
            self.newest[record.prototype] = version
        return version

    # ------------------------------------------------------------ hooks
    def operations(self, ctx: "ModuleContext") -> "Operations":
        """Speculating emitters, unless ``--ic=off`` or ``--deopt=off`` (then stage 1's or stage 2's)."""
        if self.settings.ic and self.settings.deopt:
            from .emitters import SpeculativeOperations
            return SpeculativeOperations(ctx, self)
        return super().operations(ctx)

    def function_compiler(self, ctx: "ModuleContext", ops: "Operations", record: FunctionRecord,
                          symbol: str) -> "BytecodeFunctionCompiler":
        """A normal entry with deopt exits and the stale-code check, as a new code version."""
        return self.compiler_classes()[0](ctx, ops, self, record, symbol, self.new_version(record, None))

    def compiler_classes(self) -> "tuple[type[SpeculativeCompiler], type[OSREntryCompiler]]":
        """Hook: the compilers of normal entries (and inline copies) and of OSR entries (stage 5 adds root
        areas to both)."""
        from .bytecode_jit import OSREntryCompiler, SpeculativeCompiler
        return SpeculativeCompiler, OSREntryCompiler

    def site_type(self) -> "type[Site]":
        """Stage 2's site plus the analysis's plan and the deopt exit (every stage-3 compiler is a
        ``SpeculativeCompiler``)."""
        from .sites import SpeculativeSite
        return SpeculativeSite

    def inline_copy_compiler(self, ctx: "ModuleContext", ops: "Operations", record: FunctionRecord,
                             symbol: str) -> "BytecodeFunctionCompiler":
        """The inline copy shares the real function's code version: discarding one discards both."""
        copy = self.compiler_classes()[0](ctx, ops, self, record, symbol, self.newest[record.prototype])
        copy.inlined_into = record.name
        return copy

    # ------------------------------------------------------------ code lifetime
    def discard(self, record: FunctionRecord, why: str) -> None:
        """After a deopt: the function's compiled code (normal and OSR entries) is no longer used, and the
        function starts counting towards hot again. Code still running in older activations finishes."""
        for version in self.versions[self.index_of(record)]:
            version.valid = False
        self.osr_entries.discard(record)
        record.native_entry = None
        record.state = FunctionRecord.INTERPRETED
        # Counting restarts where feedback recording starts: the interpreter records the case that failed
        # (the site's feedback widens) and whatever else runs before the function is hot again.
        record.calls = 0
        record.back_edges = self.feedback_after
        self.runtime.heap.set_field(record.prototype, FUNCTION, "entry",
                                    self.trampolines.address(record.code))
        self.stats.add("tier.discarded")
        self.trace("tier", f"{record.name}: compiled code discarded ({why}); back to the interpreter")
        self.timeline.instant(f"discarded: {record.name}", "tier")

    def opcode_types(self) -> dict[int, StackTypes]:
        """Hook for the type analysis: what a later stage's opcodes leave on the operand stack, where it knows
        more than the opcode table's pops and pushes (stage 4: a property store)."""
        return {}

    def opcode_plans(self) -> dict[int, SitePlan]:
        """Hook: how a later stage's opcodes are compiled at their sites, for the analysis (stage 3 has none)."""
        return {}

    def describe_value(self, value: int) -> str:
        """Hook for the deopt explainer: a value a guard found (a callee, a receiver), as ``saw:`` shows it:
        ``<fn f>`` for a function, else its type (stage 4 names an instance's shape and a class)."""
        from stage2_ic.feedback import type_tag
        heap = self.runtime.heap
        tag = type_tag(heap, value)
        if tag == "function":
            return f"<fn {self.runtime.function_name(heap.field(values.address_of(value), CLOSURE, 'function'))}>"
        return tag

    def show_case(self, case: Hashable) -> str:
        """Hook for the deopt explainer and ``--dump=deopt``: a feedback case a guard trusted (stage 4 shows its
        own cases: shapes, classes, superclasses)."""
        from .sidetables import show_case
        return show_case(case)

    def dump_side_tables(self, version: CodeVersion) -> None:
        """``--dump=deopt``: the side tables of newly installed code."""
        if "deopt" in self.options.dumps:
            self.options.diagnostics.write(self.deopt.tables.dump(version, self.show_case))

    def finish(self) -> None:
        """Stage 2's report plus deopts per function and reason."""
        if self.options.stats:
            compiled = "deopt" in vars(self)    # nothing compiled: no deopts, and nothing to import
            self.stats.section("deopts (function: count, guard)", self.deopt.report() if compiled else [])
        super().finish()
