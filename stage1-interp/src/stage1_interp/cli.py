"""Stage 1's command line: stage 0's, plus ``--jit``, ``--threshold``, ``--trace=tier,compile`` and ``--trace-file``."""

from __future__ import annotations

from stage0_jit.cli import Cli as Stage0Cli, exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import DUMP_KINDS, VM, Options

from .settings import JIT_MODES, Settings
from .vm import TieredOptions, TieredVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage0Cli):
    """Stage 1's flags on top of stage 0's."""

    prog = "python -m stage1_interp"
    description = ("Stage 1 of the Lox VM: a bytecode interpreter runs everything first; functions "
                   "that get hot (calls + loop back-edges >= --threshold) are compiled by LLVM. "
                   "Lox without classes.")
    vm_class: type[VM] = TieredVM
    dump_kinds: tuple[str, ...] = ("ast", "bytecode", *DUMP_KINDS[1:])
    trace_kinds: tuple[str, ...] = ("tier", "compile", "startup")

    def settings(self) -> Stage0Settings:
        """Stage 1's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """``--jit``, ``--threshold``, ``--trace-file``."""
        defaults = self.settings()
        assert isinstance(defaults, Settings)
        table.add(Flag("--jit", "off: interpret only; eager: compile each function at its first call; "
                                "tiered (default): compile when hot", choices=JIT_MODES))
        table.add(Flag("--threshold", "calls + loop back-edges that make a function hot "
                                     f"(default {defaults.threshold})",
                       metavar="N", convert=int))
        table.add(Flag("--trace-file", "write a Chrome/Perfetto trace-event JSON timeline of the run",
                       metavar="PATH"))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Apply the stage-1 flags to the settings."""
        assert isinstance(settings, Settings)
        if args.jit is not None:
            settings.jit = args.jit
        if args.threshold is not None:
            settings.threshold = args.threshold
        base = super().options(args, settings)
        return TieredOptions(dumps=base.dumps, trace=base.trace, stats=base.stats, settings=settings,
                             trace_file=args.trace_file)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage1_interp``."""
    exit_after(Cli(), started)
