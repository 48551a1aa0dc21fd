"""Stage 3's command line: stage 2's, plus ``--deopt``, ``--deopt-stress``, ``--osr``, ``--trace=deopt,osr``, ``--dump=deopt``."""

from __future__ import annotations

from stage0_jit.cli import exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import VM, Options

from stage2_ic.cli import Cli as Stage2Cli

from .settings import Settings
from .vm import DeoptVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage2Cli):
    """Stage 3's flags on top of stage 2's."""

    prog = "python -m stage3_deopt"
    description = ("Stage 3 of the Lox VM: stage 2 plus deoptimisation and on-stack replacement. Compiled "
                   "code speculates on the interpreter's type feedback and, when a guard fails, rebuilds "
                   "the interpreter's frame from side tables and resumes there; hot loops (at the top "
                   "level too) are entered in compiled code mid-loop. Lox without classes.")
    vm_class: type[VM] = DeoptVM
    dump_kinds: tuple[str, ...] = (*Stage2Cli.dump_kinds, "deopt")
    trace_kinds: tuple[str, ...] = ("tier", "compile", "ic", "deopt", "osr", "startup")

    def settings(self) -> Stage0Settings:
        """Stage 3's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """Stage 2's flags plus ``--deopt``, ``--deopt-stress`` and ``--osr``."""
        super().add_arguments(table)
        table.add(Flag("--deopt", "off: a failed guard takes the generic path (stage 2's code); default on",
                       choices=("on", "off")))
        table.add(Flag("--deopt-stress", "every guard fails the first time it is reached (tests every deopt "
                                         "exit and side table)", switch=True))
        table.add(Flag("--osr", "off: hot loops stay interpreted until their function's next call; default on",
                       choices=("on", "off")))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Apply the stage-3 flags."""
        assert isinstance(settings, Settings)
        if args.deopt is not None:
            settings.deopt = args.deopt == "on"
        if args.deopt_stress:
            settings.deopt_stress = True
        if args.osr is not None:
            settings.osr = args.osr == "on"
        return super().options(args, settings)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage3_deopt``."""
    exit_after(Cli(), started)
