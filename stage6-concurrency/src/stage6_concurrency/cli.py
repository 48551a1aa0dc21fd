"""Stage 6's command line: stage 5's, plus ``--compile-threads`` and ``--compile-deterministic``."""

from __future__ import annotations

from stage0_jit.cli import exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import VM, Options

from stage5_gc.cli import Cli as Stage5Cli

from .settings import Settings
from .vm import ConcurrentVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage5Cli):
    """Stage 6's flags on top of stage 5's."""

    prog = "python -m stage6_concurrency"
    description = ("Stage 6 of the Lox VM: stage 5 with compilation off the main thread. When functions get "
                   "hot, the VM forks a compile process (a copy-on-write snapshot of the VM) that builds "
                   "their IR and compiles it, quick code first, then optimised, while the program runs; "
                   "each is linked and installed at the next call or loop check, unless a deopt made it "
                   "stale meanwhile. Small modules and loop (OSR) entries compile on the main thread, as "
                   "in stage 5.")
    vm_class: type[VM] = ConcurrentVM

    def settings(self) -> Stage0Settings:
        """Stage 6's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """Stage 5's flags plus the compile processes'."""
        super().add_arguments(table)
        table.add(Flag("--compile-threads", "compile processes running at once: 0 compiles everything "
                                            "on the main thread (default 1, or 0 where the VM may use only one "
                                            f"core: {Settings.compile_threads} here)", metavar="N", convert=int))
        table.add(Flag("--compile-deterministic", "every compile finishes (in its process) and is installed "
                                                  "before the program goes on: timing changes nothing",
                       switch=True))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Apply the stage-6 flags."""
        assert isinstance(settings, Settings)
        if args.compile_threads is not None:
            settings.compile_threads = int(args.compile_threads)
        if args.compile_deterministic:
            settings.compile_deterministic = True
        return super().options(args, settings)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage6_concurrency``."""
    exit_after(Cli(), started)
