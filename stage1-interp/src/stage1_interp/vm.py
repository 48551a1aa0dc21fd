"""Stage 1's VM: bytecode interpreted first, hot functions compiled by LLVM (tier 2).

It extends stage 0's VM by overriding :meth:`TieredVM.execute` (run bytecode
instead of compiling the AST) and reuses stage 0's runtime, heap, frame stack,
emitters and JIT engine unchanged. LLVM is not imported until the first
function gets hot (``engine`` is created lazily by stage 0's VM).
"""

from __future__ import annotations

import time

from lox_frontend import nodes

from stage0_jit import values
from stage0_jit.layout import FUNCTION
from stage0_jit.vm import VM, Options

from .bytecode import FunctionCode
from .compiler import compile_script
from .functions import FunctionRecord
from .interpreter import Interpreter
from .settings import Settings
from .tiering import Tiering, Trampolines
from .timeline import INTERPRETER_TRACK, Timeline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext

    from .bytecode_jit import BytecodeFunctionCompiler
    from .interpreter import FeedbackHook, ObjectModel, OSRHook
    from .sites import Site


class TieredOptions(Options):
    """Stage 0's options plus the trace file."""

    def __init__(self, trace_file: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.trace_file = trace_file


class TieredVM(VM):
    """Interpreter first, LLVM for hot functions."""

    #: Whether code that runs once (the script) is counted, profiled and compiled. Without OSR its
    #: compiled code could never be entered (it is never called again), so stages 1-2 leave it alone.
    compiles_run_once = False
    front_end_phase = "front end and bytecode"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        self.records: list[FunctionRecord] = []
        self._records_by_code: dict[int, FunctionRecord] = {}
        self.feedback: FeedbackHook | None = None      # stage 2 installs its recorder here
        self.feedback_after = 0                         # ... and says when a function starts recording
        self.osr: OSRHook | None = None                 # stage 3 enters compiled code from hot loops here
        self.objects: ObjectModel | None = None         # stage 4's classes and instances
        # The interpreter loops now running, innermost last: each holds [slots, stack, saved callers] of
        # its activations, so that a collector (stage 5) reaches every value an interpreted frame holds.
        self.activations: list[list[object]] = []
        self.interpreter = Interpreter(self)
        self.tiering = Tiering(self)
        self.trampolines = Trampolines(self)
        trace_file = options.trace_file if isinstance(options, TieredOptions) else None
        self.timeline = Timeline(trace_file, self.settings.trace_event_limit)
        mode = self.settings.jit
        self.tiering_enabled = mode != "off"
        if mode == "eager":
            self.settings.threshold = 1

    def safepoint(self) -> None:
        """Hook: the program stopped at a safepoint (a call or a loop back-edge) because the heap's
        safepoint word is set; stage 5 collects here. Before stage 5 nothing sets the word."""

    def operations(self, ctx: ModuleContext) -> Operations:
        """Hook: the emitters tier 2 uses for one module (stage 2 returns its feedback-guided subclass)."""
        from stage0_jit.emitters import Operations
        return Operations(ctx)

    def function_compiler(self, ctx: ModuleContext, ops: Operations, record: FunctionRecord,
                          symbol: str) -> BytecodeFunctionCompiler:
        """Hook: the compiler of a function's normal entry (stage 3 returns its speculating subclass)."""
        from .bytecode_jit import BytecodeFunctionCompiler
        return BytecodeFunctionCompiler(ctx, ops, self, record, symbol)

    def site_type(self) -> type[Site]:
        """Hook: the class of what the emitters know of each instruction being compiled (stage 2's site adds
        its inline cache, stage 3's its plan and deopt exit; see ``sites.py``). Asked once per compiler."""
        from .sites import Site
        return Site

    def record_for(self, code: FunctionCode) -> FunctionRecord:
        """The record (and heap prototype) of a function's code, made on first use."""
        record = self._records_by_code.get(id(code))
        if record is None:
            runtime = self.runtime
            prototype = runtime.new_function(code.name, code.arity, len(code.upvalues))
            constants = [values.number(c) if isinstance(c, float) else runtime.constant_string(c)
                         for c in code.chunk.constants]
            cells = [runtime.global_cell(name) for name in code.chunk.names]
            runs_once = code.name == "script"
            record = FunctionRecord(code, prototype, constants, cells, compilable=self.compiles_run_once or not runs_once,
                                    runs_once=runs_once)
            runtime.heap.set_field(prototype, FUNCTION, "entry", self.trampolines.address(code))
            self._records_by_code[id(code)] = record
            assert len(self.records) == runtime.heap.field(prototype, FUNCTION, "id")
            self.records.append(record)
        return record

    def execute(self, script: nodes.Function) -> None:
        """Compile the program to bytecode and run the script (compiled first under --jit=eager)."""
        started = time.perf_counter()
        code = self.compile_bytecode(script)
        self.front_end_seconds += time.perf_counter() - started
        if "bytecode" in self.options.dumps:
            from .disassembler import disassemble
            self.options.diagnostics.write(disassemble(code) + "\n")
        record = self.record_for(code)
        closure = self.runtime.heap.new_closure(record.prototype, [])
        if self.settings.jit == "eager":
            record.calls += 1
            self.tiering.hot(record, "eager")
        if record.native_entry is not None:
            self.check(record.native_entry(values.to_signed(closure)))
        else:
            self.check(self.interpret_call(closure, []))

    def compile_bytecode(self, script: nodes.Function) -> FunctionCode:
        """Hook: the parsed program to bytecode (stage 4's compiler knows classes)."""
        return compile_script(script)

    def interpret_call(self, closure: int, args: list[int], receiver: int = -1) -> int:
        """Run a call in the interpreter (from the script start or a trampoline); returns the result or ERROR.
        A method's ``receiver`` becomes its slot 0."""
        started = self.timeline.now() if self.timeline.enabled else 0.0
        if self.tiering_enabled and len(self.records) > 0:
            function = self.runtime.function_of(closure)
            record = self.records[self.runtime.heap.field(function, FUNCTION, "id")]
            if record.compilable:
                self.tiering.count_call(record)
        result = self.interpreter.run(closure, args, receiver)
        if self.timeline.enabled:
            name = self.runtime.function_name(self.runtime.function_of(closure))
            self.timeline.span(f"interpret: {name}", "interpret", INTERPRETER_TRACK, started)
        return result

    def finish(self) -> None:
        """Stage 0's report plus the tiering summary; write the trace file."""
        if self.options.stats:
            self.stats.add("functions.total", len(self.records))
            self.stats.section("tiers (function: calls, back-edges, state)", [
                f"  {r.name}: {r.calls} calls, {r.back_edges} back-edges, {r.state}"
                + (f" ({r.compile_seconds * 1000:.1f} ms)" if r.state == FunctionRecord.COMPILED else "")
                for r in self.records if r.calls or r.back_edges])
        super().finish()
        self.timeline.write()

