"""The command line every stage shares: ``python -m stageN [options] [file]``, exit codes, the REPL.

A stage customises it by subclassing :class:`Cli` (its name, its VM class, its
extra flags); the work runs on a thread with a large native stack so that deep
Lox recursion in compiled code and deep nesting in the front end never
overflow the C stack.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from .errors import InternalCompilerError
from .flags import Arguments, Flag, FlagTable, UsageError
from .settings import Settings
from .vm import DUMP_KINDS, EXIT_NO_INPUT, EXIT_OK, EXIT_RUNTIME_ERROR, EXIT_USAGE, VM, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn, Sequence

THREAD_STACK_BYTES = 1 << 30   # virtual; only touched pages are committed
RECURSION_LIMIT = 1_000_000


class Cli:
    """Stage 0's command line; later stages override the class attributes and hooks."""

    prog = "python -m stage0_jit"
    description = ("Stage 0 of the Lox VM: the whole program is compiled to native code with "
                   "LLVM (ORC LLJIT) before it runs. Lox without classes.")
    vm_class: type[VM] = VM
    dump_kinds: tuple[str, ...] = DUMP_KINDS
    trace_kinds: tuple[str, ...] = ("compile", "startup")
    #: ``--trace=startup``'s clock readings: ``(perf_counter, process_time)`` taken by the stage package's
    #: ``__init__`` before any other module of ours was imported, and ``perf_counter`` once they all were.
    started: tuple[float, float] | None = None
    imported = 0.0

    def settings(self) -> Settings:
        """Hook: this stage's settings object."""
        return Settings()

    def build_parser(self) -> FlagTable:
        """All flags of this stage."""
        table = FlagTable(self.prog, self.description,
                          epilog="Exit status: 0 ok, 64 usage, 65 compile error, 70 runtime error, "
                                 "74 file not readable. Diagnostics go to standard error.",
                          positional=("file", "Lox program to run; without it, an interactive prompt"))
        table.add(Flag("--dump", f"comma-separated: {','.join(self.dump_kinds)} (to standard error)",
                       metavar="KINDS"))
        table.add(Flag("--trace", f"comma-separated: {','.join(self.trace_kinds)} (to standard error)",
                       metavar="CATEGORIES"))
        table.add(Flag("--stats", "print counters and timers at exit", switch=True))
        table.add(Flag("--set", "override a tunable (see --help-settings)", metavar="NAME=VALUE", repeat=True))
        table.add(Flag("--help-settings", "list every tunable with its default and reason", switch=True))
        self.add_arguments(table)
        return table

    def add_arguments(self, table: FlagTable) -> None:
        """Hook: a stage's extra flags."""

    def options(self, args: Arguments, settings: Settings) -> Options:
        """Hook: build the VM options from parsed flags."""
        return Options(dumps=self.kinds(args.dump or "", self.dump_kinds, "--dump"),
                       trace=self.kinds(args.trace or "", self.trace_kinds, "--trace"),
                       stats=args.stats, settings=settings)

    @staticmethod
    def kinds(text: str, allowed: Sequence[str], flag: str) -> frozenset[str]:
        """Parse a comma-separated list, rejecting unknown names."""
        chosen = frozenset(k for k in text.split(",") if k)
        unknown = chosen - set(allowed)
        if unknown:
            raise UsageError(f"{flag}: unknown {', '.join(sorted(unknown))} (choose from {', '.join(allowed)})")
        return chosen

    # ------------------------------------------------------------ running
    def main(self, argv: Sequence[str] | None = None, started: tuple[float, float] | None = None) -> int:
        """Parse flags, then run the file or the prompt on a big-stack thread; returns the exit status.
        ``started``: ``(perf_counter, process_time)`` read by the stage package's ``__init__`` (which
        ``python -m`` imports first) before anything else of ours, for ``--trace=startup``."""
        self.started = started
        self.imported = time.perf_counter()
        result: list[int] = [EXIT_RUNTIME_ERROR]

        def work() -> None:
            result[0] = self.run(list(sys.argv[1:] if argv is None else argv))

        sys.setrecursionlimit(RECURSION_LIMIT)
        threading.stack_size(THREAD_STACK_BYTES)
        thread = threading.Thread(target=work, name="lox-main")
        thread.start()
        thread.join()
        return result[0]

    def run(self, argv: list[str]) -> int:
        """Everything after the thread switch."""
        parser = self.build_parser()
        try:
            args = parser.parse(argv)
            if args.help:
                sys.stdout.write(parser.help())
                return EXIT_OK
            settings = self.settings()
            for assignment in args.set:
                settings.set_from_text(assignment)
            options = self.options(args, settings)
            settings.validate()
        except (UsageError, ValueError) as error:
            sys.stderr.write(f"{parser.usage()}{self.prog}: error: {error}\n")
            return EXIT_USAGE
        if args.help_settings:
            for name, value, why in settings.describe():
                sys.stdout.write(f"{name} = {value}\n    {why}\n")
            return EXIT_OK
        source = None
        if args.file is not None:
            try:
                with open(args.file, "rb") as handle:
                    source = handle.read().decode("latin-1")
            except OSError:
                sys.stderr.write(f'Could not open file "{args.file}".\n')
                return EXIT_NO_INPUT
        set_up = time.perf_counter()
        vm = self.vm_class(options)
        ready = time.perf_counter()
        try:
            status = vm.run_source(source) if source is not None else self.repl(vm)
        except InternalCompilerError as error:
            sys.stderr.write(f"Internal error: {error}\n")
            status = EXIT_RUNTIME_ERROR
        except KeyboardInterrupt:
            status = 130
        except Exception as error:  # a VM bug: say so in one line, keep the traceback for LOX_DEBUG
            if os.environ.get("LOX_DEBUG"):
                raise
            sys.stderr.write(f"Internal error: {type(error).__name__}: {error}\n")
            status = EXIT_RUNTIME_ERROR
        ran = time.perf_counter()
        vm.finish()
        if "startup" in options.trace:
            vm.trace_startup(self.startup_phases(set_up, ready, ran, vm.front_end_seconds))
        return status

    def startup_phases(self, set_up: float, ready: float, ran: float,
                       front_end: float) -> list[tuple[str, float, str]]:
        """``--trace=startup``: (phase, seconds, note) from the process start to the end of ``finish``."""
        finished = time.perf_counter()
        phases: list[tuple[str, float, str]] = []
        if self.started is not None:
            wall, cpu = self.started
            phases.append(("python start", cpu, "CPU time before the VM's first line"))
            phases.append(("imports", self.imported - wall, ""))
        phases += [("flags", set_up - (self.imported or set_up), ""),
                   ("VM set-up", ready - set_up, "heap reservation, runtime, natives"),
                   (self.vm_class.front_end_phase, front_end, ""),
                   ("run", ran - ready - front_end, ""),
                   ("exit", finished - ran, "reports, flush")]
        phases.append(("total", sum(seconds for _, seconds, _ in phases), ""))
        return phases

    def repl(self, vm: VM) -> int:
        """The interactive prompt: one line at a time, globals kept between lines."""
        while True:
            sys.stdout.write("> ")
            sys.stdout.flush()
            line = sys.stdin.buffer.readline()
            if not line:
                sys.stdout.write("\n")
                return EXIT_OK
            vm.run_source(line.decode("latin-1"))


def exit_after(cli: Cli, started: tuple[float, float] | None) -> NoReturn:
    """Run ``cli`` on the process's arguments, flush, and end the process with its status at once
    (``os._exit``: nothing is left to tear down, and a JIT's code may still be referenced)."""
    status = cli.main(started=started)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(started: tuple[float, float] | None = None) -> NoReturn:
    """Entry point of ``python -m stage0_jit``."""
    exit_after(Cli(), started)
