"""Stage 2's command line: stage 1's, plus ``--ic=on|off`` and ``--trace=ic``."""

from __future__ import annotations

from stage0_jit.cli import exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import VM, Options

from stage1_interp.cli import Cli as Stage1Cli

from .settings import Settings
from .vm import ICVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage1Cli):
    """Stage 2's flags on top of stage 1's."""

    prog = "python -m stage2_ic"
    description = ("Stage 2 of the Lox VM: stage 1 plus type feedback. The interpreter records "
                   "operand types, callees and global values per bytecode site (inline caches: "
                   "uninitialised, monomorphic, polymorphic, megamorphic); compiled code guards "
                   "on them and takes a fast path. Lox without classes.")
    vm_class: type[VM] = ICVM
    trace_kinds: tuple[str, ...] = ("tier", "compile", "ic", "startup")

    def settings(self) -> Stage0Settings:
        """Stage 2's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """Stage 1's flags plus ``--ic``."""
        super().add_arguments(table)
        table.add(Flag("--ic", "off: compiled code ignores feedback (stage 1 behaviour); default on",
                       choices=("on", "off")))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Apply ``--ic``."""
        assert isinstance(settings, Settings)
        if args.ic is not None:
            settings.ic = args.ic == "on"
        return super().options(args, settings)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage2_ic``."""
    exit_after(Cli(), started)
