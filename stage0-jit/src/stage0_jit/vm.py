"""Stage 0's virtual machine: parse the program, compile all of it to native code, run it.

This is the honest baseline: nothing runs until LLVM has compiled every
function, so even ``print 42;`` pays for LLVM. Later stages subclass
:class:`VM` and override :meth:`VM.execute` (how a parsed program runs).
"""

from __future__ import annotations

import ctypes
import sys
import time

from lox_frontend import CompileErrors, nodes, parse

from . import values
from .errors import LoxRuntimeError
from .heap import OutOfMemory
from .layout import FUNCTION
from .runtime import Runtime
from .settings import Settings
from .stats import Stats

EXIT_OK = 0
EXIT_USAGE = 64
EXIT_COMPILE_ERROR = 65
EXIT_RUNTIME_ERROR = 70
EXIT_NO_INPUT = 74

SCRIPT_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)
DUMP_KINDS = ("ast", "ir", "opt-ir", "asm")

TYPE_CHECKING = False   # typing is not imported at run time: every start-up would pay for it
if TYPE_CHECKING:       # LLVM is imported only when something is compiled (stage 1 relies on it)
    from typing import TextIO

    from .engine import JitEngine


class Options:
    """What the command line asked for (stages add fields by subclassing)."""

    def __init__(self, dumps: frozenset[str] = frozenset(), trace: frozenset[str] = frozenset(),
                 stats: bool = False, settings: Settings | None = None,
                 diagnostics: TextIO | None = None) -> None:
        self.dumps = dumps
        self.trace = trace
        self.stats = stats
        self.settings = settings if settings is not None else Settings()
        self.diagnostics: TextIO = diagnostics if diagnostics is not None else sys.stderr


class VM:
    """One Lox session: a runtime whose globals persist across ``run_source`` calls (the REPL)."""

    allow_classes = False
    #: What ``--trace=startup`` calls the time between source text and something to run.
    front_end_phase = "front end"

    def __init__(self, options: Options) -> None:
        self.options = options
        self.settings = options.settings
        self.stats = Stats()
        self.runtime = self.make_runtime()
        self._engine: JitEngine | None = None
        self.front_end_seconds = 0.0     # parsing (and, from stage 1, bytecode compiling): --trace=startup

    def make_runtime(self) -> Runtime:
        """Hook: the runtime class of this stage."""
        return Runtime(self.settings)

    @property
    def engine(self) -> JitEngine:
        """The JIT, created on first use (stage 1 relies on this to keep LLVM unloaded). Loading LLVM (importing
        llvmlite, whose library is most of it, and making the target machine and LLJIT) is timed on its own,
        ``compile.llvm_load_s``: every program that compiles pays it once, on the thread that links."""
        if self._engine is None:
            started = time.perf_counter()
            from .engine import JitEngine
            self._engine = JitEngine(self.runtime, self.stats, self.options.dumps,
                                     self.options.diagnostics, self.settings.opt_level)
            self.stats.add_time("compile.llvm_load_s", time.perf_counter() - started)
        return self._engine

    def trace_startup(self, phases: list[tuple[str, float, str]]) -> None:
        """``--trace=startup``: where the time from the process start to the end went, phase by phase."""
        for name, seconds, note in phases:
            self.trace("startup", f"{name}: {seconds * 1000:.1f} ms" + (f" ({note})" if note else ""))

    def trace(self, category: str, message: str) -> None:
        """One line of ``--trace=category`` output."""
        if category in self.options.trace:
            self.options.diagnostics.write(f"[{category}] {message}\n")

    # ------------------------------------------------------------ running
    def run_source(self, source: str) -> int:
        """Compile and run one program (or one REPL line); returns the exit status."""
        started = time.perf_counter()
        try:
            script = parse(source, allow_classes=self.allow_classes)
        except CompileErrors as errors:
            self.runtime.flush()
            sys.stderr.write("".join(f"{error}\n" for error in errors.errors))
            return EXIT_COMPILE_ERROR
        finally:
            self.front_end_seconds += time.perf_counter() - started
        if "ast" in self.options.dumps:
            from lox_frontend.astdump import dump
            self.options.diagnostics.write(f"=== ast ===\n{dump(script)}\n")
        try:
            self.execute(script)
        except LoxRuntimeError as error:
            self.runtime.flush()
            sys.stderr.write(error.report())
            sys.stderr.flush()
            return EXIT_RUNTIME_ERROR
        except OutOfMemory:
            self.runtime.flush()
            sys.stderr.write("Out of memory.\n")
            return EXIT_RUNTIME_ERROR
        finally:
            self.runtime.flush()
        return EXIT_OK

    def execute(self, script: nodes.Function) -> None:
        """Stage 0: compile every function of the program into one module, then run the script."""
        from .codegen import ProgramCompiler
        compiler = ProgramCompiler(self.engine.new_module)
        script_function = compiler.compile_script(script)
        addresses: dict[str, int] = {}
        for plan in compiler.plans:
            symbols = [f.symbol for f in plan.functions]
            title = "script" if plan is compiler.main else f"{plan.functions[0].node.name} (unoptimised)"
            addresses.update(self.engine.compile(plan.context, symbols, title, optimise=plan.optimise))
            for compiled in plan.functions:
                self.runtime.heap.set_field(compiled.prototype, FUNCTION, "entry", addresses[compiled.symbol])
        self.trace("compile", f"compiled {sum(len(p.functions) for p in compiler.plans)} functions "
                              f"in {len(compiler.plans)} module(s)")
        closure = self.runtime.heap.new_closure(script_function.prototype, [])
        entry = SCRIPT_ENTRY(addresses[script_function.symbol])
        self.check(entry(values.to_signed(closure)))

    def check(self, result: int) -> int:
        """Turn an ERROR result from compiled code into the Python exception it stands for."""
        if self.runtime.pending_exception is not None:
            self.runtime.take_error()
        if values.to_unsigned(result) == values.ERROR:
            raise self.runtime.take_error()
        return values.to_unsigned(result)

    def finish(self) -> None:
        """At exit: flush output and print ``--stats``."""
        self.runtime.flush()
        if self.options.stats:
            self.stats.add("heap.bytes_allocated", self.runtime.heap.bytes_allocated)
            self.stats.section("type observations (number arguments)", self.runtime.observations.report())
            self.options.diagnostics.write(self.stats.report())
