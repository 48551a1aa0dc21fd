"""Tiering: hot functions go on a compile queue; the queue is compiled and each entry slot switched to native code.

A function is *hot* when its calls plus loop back-edges reach the threshold;
functions a quarter of the way there (*warm*) are queued with it, so that
functions that get hot together share one module (one fixed cost, code placed
together). Stage 1 drains the queue synchronously at that moment (stage 6 hands
LLVM's part of each module to a worker process and installs at a later safepoint:
``drain`` is ``build``, ``compile_module``, ``install_module`` for that). Installing compiled code means writing its
address into the prototype's entry slot: compiled callers jump through the
slot, so they switch at once; the interpreter checks ``native_entry`` at every
call. An activation already running interpreted stays interpreted (no OSR
before stage 3): the compiled code is used from the next call on.

Until a function is compiled its entry slot holds a *trampoline*: a C-callable
Python function (one per arity) that runs the function in the interpreter, so
compiled code can always call any function through the slot.
"""

from __future__ import annotations

import ctypes
import time
from collections import deque

from stage0_jit import values
from stage0_jit.layout import FUNCTION

from .bytecode import FunctionCode
from .functions import FunctionRecord
from .timeline import COMPILER_TRACK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext

    from .bytecode_jit import BytecodeFunctionCompiler
    from .vm import TieredVM


class Trampolines:
    """One C-callable entry per native arity that runs a closure in the interpreter."""

    def __init__(self, vm: "TieredVM") -> None:
        self.vm = vm
        self._by_arity: dict[tuple[int, bool], object] = {}

    def address(self, code: FunctionCode) -> int:
        """The trampoline's address for functions shaped like ``code`` (made on first use): a method's
        takes the receiver after the closure."""
        key = (code.arity, code.is_method)
        trampoline = self._by_arity.get(key)
        if trampoline is None:
            signature = ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * (code.native_arity + 1)))
            trampoline = signature(self._enter_method if code.is_method else self._enter)
            self._by_arity[key] = trampoline
        return int(ctypes.cast(trampoline, ctypes.c_void_p).value or 0)  # type: ignore[arg-type]

    def _enter(self, closure: int, *args: int) -> int:
        """Compiled code called an interpreted function: run it, never let an exception escape."""
        return self._run(closure, args, -1)

    def _enter_method(self, closure: int, receiver: int, *args: int) -> int:
        """Compiled code called an interpreted method on ``receiver``."""
        return self._run(closure, args, values.to_unsigned(receiver))

    def _run(self, closure: int, args: tuple[int, ...], receiver: int) -> int:
        vm = self.vm
        try:
            result = vm.interpret_call(values.to_unsigned(closure), [values.to_unsigned(a) for a in args], receiver)
            return values.to_signed(result)
        except BaseException as exc:   # noqa: BLE001 - must not cross into native code
            vm.runtime.pending_exception = vm.runtime.pending_exception or exc
            return values.to_signed(values.ERROR)


class CompileJob:
    """One entry point to compile: a function's normal entry (stage 3 adds entries at loop headers)."""

    def __init__(self, record: FunctionRecord) -> None:
        self.record = record

    @property
    def size(self) -> int:
        """Bytecode instructions (a huge function is compiled unoptimised, in a module of its own)."""
        return len(self.record.code.chunk)

    @property
    def title(self) -> str:
        """How traces and dumps name what is compiled."""
        return self.record.name

    def symbol_name(self) -> str:
        """The name its LLVM symbol is made from."""
        return f"{self.record.prototype:x}_{self.record.code.name}"

    def compiler(self, ctx: ModuleContext, ops: Operations, vm: "TieredVM", symbol: str) -> BytecodeFunctionCompiler:
        """The compiler for this entry; a normal entry is known to the module, so calls to it can be direct."""
        compiler = vm.function_compiler(ctx, ops, self.record, symbol)
        ctx.known_functions[self.record.prototype] = compiler.function
        return compiler

    def install(self, tiering: "Tiering", address: int, seconds: float) -> None:
        """Make the compiled code the function's code."""
        tiering.install(self.record, address, seconds)


class BuiltModule:
    """A module's IR, built on the main thread, and the jobs whose code it holds (job, LLVM symbol)."""

    def __init__(self, ctx: "ModuleContext", jobs: "list[tuple[CompileJob, str]]", optimise: bool,
                 started: float, started_us: float) -> None:
        self.ctx = ctx
        self.jobs = jobs
        self.optimise = optimise
        self.started = started          # perf_counter when building began
        self.started_us = started_us    # the same on the timeline's clock
        self.title = ", ".join(job.title for job, _ in jobs)


class Tiering:
    """Counters' consumer: queues hot functions, compiles the queue, installs the code."""

    def __init__(self, vm: "TieredVM") -> None:
        self.vm = vm
        self.queue: deque[CompileJob] = deque()
        self.compiled: list[FunctionRecord] = []

    def count_call(self, record: FunctionRecord) -> None:
        """One more call of ``record``: queue it when calls plus back-edges reach the threshold."""
        record.calls += 1
        if record.calls + record.back_edges >= self.vm.settings.threshold and \
                record.state == FunctionRecord.INTERPRETED:
            self.hot(record, "calls")

    def hot(self, record: FunctionRecord, reason: str) -> None:
        """A function crossed the threshold: queue it (and, in stage 1, compile right away)."""
        vm = self.vm
        self.enqueue(record)
        vm.trace("tier", f"{record.name} is hot ({record.calls} calls, {record.back_edges} back-edges; "
                         f"by {reason}): queued")
        vm.timeline.instant(f"hot: {record.name}", "tier", {"calls": record.calls, "back_edges": record.back_edges})
        self.queue_warm(record)
        self.drain()

    def enqueue(self, record: FunctionRecord) -> None:
        """Queue a function's normal entry for the next drain."""
        record.state = FunctionRecord.QUEUED
        self.queue.append(CompileJob(record))
        self.vm.stats.add("tier.queued")

    def queue_warm(self, hot: FunctionRecord) -> None:
        """Queue the functions close to hot (``warm_fraction`` of the threshold) to compile with ``hot``."""
        vm = self.vm
        fraction = vm.settings.warm_fraction
        if fraction <= 0 or vm.settings.jit == "eager":
            return
        warm_at = vm.settings.threshold * fraction
        for record in vm.records:
            if record.state == FunctionRecord.INTERPRETED and record.compilable and not record.runs_once and \
                    record.calls + record.back_edges >= warm_at:
                self.enqueue(record)
                vm.stats.add("tier.queued_warm")
                vm.trace("tier", f"{record.name} is warm ({record.calls} calls, {record.back_edges} "
                                 f"back-edges): queued with {hot.name}")

    def drain(self) -> None:
        """Compile every queued entry (one module, plus one per huge function) and install each one's code."""
        if not self.queue:
            return
        batch = list(self.queue)
        self.queue.clear()
        for module in self.build(batch):
            self.compile_module(module)

    def build(self, batch: "list[CompileJob]") -> "list[BuiltModule]":
        """The IR of a batch of jobs. Normal functions share one module (so calls between them can be
        direct); a huge one (a long script under --jit=eager) gets its own, compiled unoptimised."""
        vm = self.vm
        limit = vm.settings.max_optimised_size
        groups = [([job for job in batch if job.size <= limit], True)] + \
                 [([job], False) for job in batch if job.size > limit]
        built = []
        for group, optimise in groups:
            if not group:
                continue
            started_us = vm.timeline.now()
            started = time.perf_counter()
            ctx = vm.engine.new_module()
            ops = vm.operations(ctx)
            compilers = [job.compiler(ctx, ops, vm, ctx.symbol(job.symbol_name())) for job in group]
            for compiler in compilers:
                compiler.compile()
            ops.finish_module()
            built.append(BuiltModule(ctx, [(job, c.function.name) for job, c in zip(group, compilers)],
                                     optimise, started, started_us))
        return built

    def compile_module(self, module: "BuiltModule") -> None:
        """Hook: compile a built module and install its code (here at once, on this thread; stage 6 hands
        the LLVM part to a worker process and installs at a later safepoint)."""
        addresses = self.vm.engine.compile(module.ctx, [symbol for _, symbol in module.jobs], module.title,
                                           optimise=module.optimise)
        self.install_module(module, addresses, time.perf_counter() - module.started)

    def install_module(self, module: "BuiltModule", addresses: dict[str, int], elapsed: float) -> None:
        """Install each job's code from a compiled module; put the compile on the timeline and the trace."""
        vm = self.vm
        for job, symbol in module.jobs:
            job.install(self, addresses[symbol], elapsed / len(module.jobs))
        vm.timeline.span(f"compile: {module.title}", "compile", COMPILER_TRACK, module.started_us,
                         {"functions": [job.title for job, _ in module.jobs]})
        vm.trace("compile", f"compiled {module.title} in {elapsed * 1000:.1f} ms")

    def install(self, record: FunctionRecord, address: int, seconds: float) -> None:
        """Point the function's entry slot (and the interpreter) at its compiled code."""
        vm = self.vm
        signature = ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * (record.code.native_arity + 1)))
        entry: Callable[..., int] = signature(address)
        record.native_entry = entry
        record.compile_seconds = seconds
        record.state = FunctionRecord.COMPILED
        vm.runtime.heap.set_field(record.prototype, FUNCTION, "entry", address)
        self.compiled.append(record)
        vm.stats.add("tier.compiled")
        vm.trace("tier", f"{record.name}: compiled code installed")
        vm.timeline.instant(f"installed: {record.name}", "tier")

