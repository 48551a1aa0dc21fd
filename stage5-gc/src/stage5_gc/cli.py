"""Stage 5's command line: stage 4's, plus ``--gc-stress``, ``--gc-verify``, ``--trace=gc`` and ``--dump=heap``."""

from __future__ import annotations

from stage0_jit.cli import exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import VM, Options

from stage4_shapes.cli import Cli as Stage4Cli

from .settings import Settings
from .vm import GCVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage4Cli):
    """Stage 5's flags on top of stage 4's."""

    prog = "python -m stage5_gc"
    description = ("Stage 5 of the Lox VM: stage 4 with a managed heap. A generational collector (young "
                   "objects marked from the roots and the cards old objects dirtied, old ones only in a "
                   "full collection; nothing moves) runs at safepoints: interpreter and compiled calls "
                   "and loop back-edges. Compiled frames keep their references in root areas the "
                   "collector reads. Memory stays bounded; 'Out of memory.' at the heap limit.")
    vm_class: type[VM] = GCVM
    dump_kinds: tuple[str, ...] = (*Stage4Cli.dump_kinds, "heap")
    trace_kinds: tuple[str, ...] = (*Stage4Cli.trace_kinds, "gc")

    def settings(self) -> Stage0Settings:
        """Stage 5's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """Stage 4's flags plus ``--gc-stress`` and ``--gc-verify``."""
        super().add_arguments(table)
        table.add(Flag("--gc-stress", "collect at the first safepoint after every allocation (every "
                                      "gc_interval-th, or a random interval with gc_random_interval)",
                       switch=True))
        table.add(Flag("--gc-verify", "after every collection, check that everything reachable is marked "
                                      "and every reachable object has a valid kind", switch=True))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Apply the stage-5 flags."""
        assert isinstance(settings, Settings)
        if args.gc_stress:
            settings.gc_stress = True
        if args.gc_verify:
            settings.gc_verify = True
        return super().options(args, settings)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage5_gc``."""
    exit_after(Cli(), started)
