"""Stage 4's command line: stage 3's, plus ``--trace=shapes``, ``--dump=shapes`` and ``--shapes-dot``."""

from __future__ import annotations

from stage0_jit.cli import exit_after
from stage0_jit.flags import Arguments, Flag, FlagTable
from stage0_jit.settings import Settings as Stage0Settings
from stage0_jit.vm import VM, Options

from stage3_deopt.cli import Cli as Stage3Cli

from .settings import Settings
from .vm import ShapesOptions, ShapesVM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class Cli(Stage3Cli):
    """Stage 4's flags on top of stage 3's."""

    prog = "python -m stage4_shapes"
    description = ("Stage 4 of the Lox VM: the whole language, classes included. Every instance points to "
                   "a shape (hidden class) saying where its fields are; shapes form a transition tree; "
                   "property reads and writes, method calls and instantiations cache on the shape in the "
                   "interpreter and in compiled code.")
    vm_class: type[VM] = ShapesVM
    dump_kinds: tuple[str, ...] = (*Stage3Cli.dump_kinds, "shapes")
    trace_kinds: tuple[str, ...] = (*Stage3Cli.trace_kinds, "shapes")

    def settings(self) -> Stage0Settings:
        """Stage 4's settings."""
        return Settings()

    def add_arguments(self, table: FlagTable) -> None:
        """Stage 3's flags plus ``--shapes-dot``."""
        super().add_arguments(table)
        table.add(Flag("--shapes-dot", "write the shape trees and each property site's cache as a Graphviz "
                                       "DOT file at exit (and PATH.svg when Graphviz's dot is installed)",
                       metavar="PATH"))

    def options(self, args: Arguments, settings: Stage0Settings) -> Options:
        """Stage 3's options plus the DOT file's path."""
        base = super().options(args, settings)
        return ShapesOptions(**vars(base), shapes_dot=args.shapes_dot)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage4_shapes``."""
    exit_after(Cli(), started)
