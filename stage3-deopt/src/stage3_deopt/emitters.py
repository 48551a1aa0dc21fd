"""Speculating emitters: a guard whose miss deoptimises, so the code after it can take the guarded case as proven.

Stage 2's chain joined the fast paths with the generic operation after
every guard, so LLVM saw a phi of "double or whatever the generic path
returned" and had to test it again at the next use. Here a miss leaves the
function through a *deopt exit* (``bytecode_jit.SpeculativeCompiler.deopt_exit``):
the fast path is the only way forward, the result of ``a + b`` is a double
that flows into the next operation untested, and an operand the type
analysis already proved is not tested at all.

Stage 2's emitters stay; this class changes three of their hooks, all read
from the site's :class:`~stage3_deopt.analysis.Plan` (the one the analysis
used, so the code and the facts it relies on cannot disagree):

- ``cached_cases``/``binary_case``: which cases get a fast path (``KNOWN``
  and ``GUARD``: the plan's case; ``FALLBACK``: stage 2's choice;
  ``GENERIC``: none, stage 0's operation);
- ``number_tests``: an operand the analysis proved a number is not tested;
- ``miss_exit``: when the plan is ``GUARD``, a chain's miss is a deopt exit
  (stage 2 counts it and runs the generic operation).

What stage 3 adds as operations of its own: ``+`` on numbers or strings
(``do_numbers_or_strings``), comparisons and negation on proven or guarded
numbers, and a global read that always held a number.
"""

from __future__ import annotations

from llvmlite import ir

from stage0_jit.emitters import FunctionState, Operations
from stage0_jit.layout import Kind
from stage0_jit.irvalues import from_double, is_number, number_arithmetic, number_compare, to_double
from stage2_ic.emitters import GuardedOperations
from stage2_ic.guards import BINARY, UNARY, GuardKind, Operand

from .analysis import How, is_number as proven_number
from .sidetables import Guard

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from .sites import SpeculativeSite

#: Plans whose case compiled code takes as given (proven, or guarded with a deopt exit behind it).
_SPECULATED = (How.KNOWN, How.GUARD)


class SpeculativeOperations(GuardedOperations):
    """Stage 2's emitters, with the speculated cases compiled as guard-or-deoptimise."""

    site: "SpeculativeSite | None"

    # ------------------------------------------------------------ the plan decides
    def how(self) -> How | None:
        """How the current site's plan compiles it (None: no plan, stage 2's way)."""
        return self.site.how if self.site is not None else None

    def cached_cases(self, usable: "Callable[[Hashable], bool]") -> "list[Hashable]":
        """Cases get fast paths when the plan guards them (or falls back to stage 2's guards); none when generic."""
        how = self.how()
        if how is None or how is How.GUARD or how is How.FALLBACK:
            return super().cached_cases(usable)
        return []

    def binary_case(self, op: str) -> str:
        """The plan's case when it speculates, stage 2's when it falls back, none when generic."""
        how = self.how()
        if how in _SPECULATED:
            assert self.site is not None and self.site.plan is not None
            return self.site.plan.case
        if how is None or how is How.FALLBACK:
            return super().binary_case(op)
        return ""

    def number_tests(self, f: FunctionState, operands: list[ir.Value]) -> list[ir.Value]:
        """Test only the operands the analysis did not prove numbers (none at all for a ``KNOWN`` plan)."""
        if self.site is None:
            return super().number_tests(f, operands)
        types = self.site.types[-len(operands):]
        return [is_number(f.builder, value) for value, t in zip(operands, types) if not proven_number(t)]

    def miss_exit(self, f: FunctionState, kind: GuardKind, operands: tuple[Operand, ...]) -> ir.Block | None:
        """A ``GUARD`` plan's chain leaves for the interpreter when no case holds (one deopt exit per site).
        Under ``--deopt-stress`` the chain is skipped the first time it is reached: its exit is taken then."""
        site = self.site
        if site is None or site.how is not How.GUARD:
            return super().miss_exit(f, kind, operands)
        exit_block, point = site.deopt_exit(Guard(kind, operands))
        b = f.builder
        always = ir.Constant(ir.IntType(1), 1)
        go_on = site.compiler.stressed(always, point)
        if go_on is not always:
            chain = b.append_basic_block("stress.ok")
            b.cbranch(go_on, chain, exit_block)
            b.position_at_end(chain)
        return exit_block

    def count_miss(self, f: FunctionState) -> None:
        """Stage 2's miss counter, noted for the plan check (``SpeculativeCompiler.check_plans``)."""
        if self.site is not None:
            self.site.compiler.note("miss")
        super().count_miss(f)

    # ------------------------------------------------------------ arithmetic, comparison, negation
    def arithmetic(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Stage 2's cases, and ``do_numbers_or_strings`` for a ``+`` that saw both."""
        if self.binary_case(op) == "numbers or strings":
            return self.do_numbers_or_strings(f, x, y, line)
        return super().arithmetic(f, op, x, y, line)

    def do_numbers_or_strings(self, f: FunctionState, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """Add numbers inline, concatenate strings, leave on anything else."""
        b = f.builder
        numbers = b.and_(is_number(b, x), is_number(b, y))
        strings = b.and_(self.ctx.is_kind(b, x, Kind.STRING), self.ctx.is_kind(b, y, Kind.STRING))
        return self.chain(f, "add", [(numbers, lambda: number_arithmetic(b, "+", x, y)),
                                     (strings, lambda: self.concatenate(f, x, y, line))],
                          lambda: Operations.arithmetic(self, f, "+", x, y, line),
                          GuardKind.NUMBERS_OR_STRINGS, BINARY)

    def compare(self, f: FunctionState, op: str, x: ir.Value, y: ir.Value, line: int) -> ir.Value:
        """LESS, LESS_EQUAL, GREATER, GREATER_EQUAL on numbers proven or guarded: the bare ``fcmp``."""
        if self.binary_case(op) != "numbers":
            return super().compare(f, op, x, y, line)
        b = f.builder
        return self.guarded(f, "cmp", self.number_tests(f, [x, y]), lambda: number_compare(b, op, x, y),
                            lambda: Operations.compare(self, f, op, x, y, line), GuardKind.NUMBERS, BINARY)

    def negate(self, f: FunctionState, x: ir.Value, line: int) -> ir.Value:
        """NEGATE on a number proven or guarded: the bare ``fneg``."""
        if self.how() not in _SPECULATED:
            return super().negate(f, x, line)
        b = f.builder
        return self.guarded(f, "neg", self.number_tests(f, [x]), lambda: from_double(b, b.fneg(to_double(b, x))),
                            lambda: Operations.negate(self, f, x, line), GuardKind.NEGATED_NUMBER, UNARY)

    # ------------------------------------------------------------ globals
    def get_global(self, f: FunctionState, cell: int, line: int) -> ir.Value:
        """A global that always held a number: load it and guard, so what follows knows a double."""
        value = super().get_global(f, cell, line)
        if self.how() is not How.GUARD:
            return value
        assert self.site is not None
        where = (Operand("global", "global", self.site.arg),)       # the global's index in the function
        return self.guarded(f, "global", [is_number(f.builder, value)], lambda: value, lambda: value,
                            GuardKind.GLOBAL_NUMBER, where)
