"""The compile process: a fork of the VM, taken when functions get hot, that builds and compiles their module, then exits.

``fork()`` gives the process a copy-on-write image of the whole VM at that
instant: bytecode, feedback, shapes, the heap. That copy is the job's
snapshot: nothing the program does afterwards (run, collect, deoptimise)
can reach it, and taking it costs the main thread one system call (a few
milliseconds for a VM of 150 MB, then a page copied each time the program
first writes to one). The process builds the IR exactly as stage 5 does on
the main thread, then compiles it: quick code first (no optimiser, LLVM's
fast code generator), then optimised code, sending each as an object
image. The program keeps running meanwhile on the other core; llvmlite's
process-wide lock is per process, so this is real parallelism.

What compiling changes in the VM has to reach the VM, and is sent with the
code (``send_module``):

- the deopt points, numbered inside a block of ids the VM set aside
  (``SideTables.reserve``); their code versions were made by the VM before
  the fork (``ConcurrentVM.prepared``), so the points name the VM's own;
- the objects the code names, which the VM pins when it installs it;
- the shared helpers the module defines or imports, by name;
- trace lines and counters, replayed there.

The snapshot is read-only: the process may not make heap objects, native
memory or callbacks, whose addresses would mean nothing to the VM
(``refuse_new_native_state``); a compile that tries fails, and the VM
compiles that module itself.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import signal
import time
import traceback
from typing import Any, NoReturn

from stage0_jit.errors import InternalCompilerError
from stage0_jit.heap import NativeRegion
from stage0_jit.irmodule import number_modules_from
from stage1_interp.tiering import Trampolines
from stage3_deopt.osr import OSRJob
from stage3_deopt.sidetables import CodeVersion, DeoptPoint, FrameMap

from .frames import write_frame

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from stage1_interp.tiering import BuiltModule, CompileJob

    from .tiering import BackgroundTiering, Flight
    from .vm import ConcurrentVM

_PR_SET_PDEATHSIG = 1
#: Module numbers per compile process: process n numbers its modules from n times this (the VM's own count
#: from 0), so the LLVM symbols made here never clash with the VM's or another process's.
MODULE_NUMBERS = 1 << 32
#: How much a compile process lowers its priority once its quick code is sent (Linux: a process at +10 gets
#: about a tenth of a core against one at 0), so optimising never delays the program or the next quick code.
OPTIMISING_NICENESS = 10


class SnapshotViolation(Exception):
    """The compile tried to make something (an object, native memory, a callback) the VM does not have."""


def run(tiering: "BackgroundTiering", flight: "Flight", fd: int) -> NoReturn:
    """The whole life of a compile process: set up, build, compile, send, exit (never returns)."""
    status = 0
    try:
        die_with_parent(flight.parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the VM's to handle: it stops us
        gc.freeze()         # the snapshot's objects are never collected here: no page copied to scan them
        with os.fdopen(fd, "wb", buffering=0) as out:
            Compile(tiering, flight, out).run()
    except BaseException:       # noqa: BLE001 - the VM sees a process that ended without "end"
        status = 1
    os._exit(status)


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the VM dies (no orphan after a crash or a kill -9 of the VM)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:          # it died before the request was in place
        os._exit(0)


def refuse_new_native_state(vm: "ConcurrentVM") -> None:
    """Make every way of creating an object, native memory or a callback fail in this process (see the module
    docstring). Replacing the methods is safe here: this process only compiles, then exits."""
    def refuse(what: str) -> Any:
        def refused(*_: object, **__: object) -> NoReturn:
            raise SnapshotViolation(f"compiling needed {what}, which the snapshot cannot make")
        return refused
    heap_class = type(vm.runtime.heap)
    for name in ("allocate", "allocate_slow", "allocate_large"):
        if hasattr(heap_class, name):
            setattr(heap_class, name, refuse("a new heap object"))
    NativeRegion.__init__ = refuse("native memory")      # type: ignore[method-assign]
    known = vm.trampolines._by_arity

    original = Trampolines.address

    def address(self: Trampolines, code: Any) -> int:
        if (code.arity, code.is_method) not in known:
            raise SnapshotViolation("compiling needed a new trampoline, which the snapshot cannot make")
        return original(self, code)
    Trampolines.address = address       # type: ignore[method-assign]


class Compile:
    """One compile process's work: the flight's jobs built into modules, each compiled and sent."""

    def __init__(self, tiering: "BackgroundTiering", flight: "Flight", out: "IO[bytes]") -> None:
        self.tiering = tiering
        self.vm = tiering.cvm
        self.flight = flight
        self.out = out
        self.diagnostics = io.StringIO()

    def run(self) -> None:
        """Build, compile and send every module of the flight, then the counters; errors are sent too."""
        vm, flight = self.vm, self.flight
        settings = vm.settings
        if flight.number == settings.compile_process_crash_at:
            os._exit(3)
        if flight.number == settings.compile_process_hang_at:
            time.sleep(1e6)
        counters, timers = dict(vm.stats.counters), dict(vm.stats.timers)
        vm.options.diagnostics = self.diagnostics
        refuse_new_native_state(vm)
        vm.prepared = dict(flight.versions)
        number_modules_from(MODULE_NUMBERS * flight.number)
        tables = vm.deopt.tables
        tables.next_id = flight.first_point
        try:
            started = time.perf_counter()
            # Stage 1's build, as on the main thread; OSR entries in modules of their own, so that the normal
            # entries still get quick code (see ``wants_quick_code``).
            osr: list[CompileJob] = [job for job in flight.jobs if isinstance(job, OSRJob)]
            normal = [job for job in flight.jobs if not isinstance(job, OSRJob)]
            modules = (self.tiering.build(osr) if osr else []) + (self.tiering.build(normal) if normal else [])
            built = time.perf_counter()
            if tables.next_id > flight.first_point + flight.point_ids:
                raise SnapshotViolation(f"{tables.next_id - flight.first_point} deopt points, more than the "
                                        f"{flight.point_ids} ids set aside")
            texts = [str(module.ctx.module) for module in modules]
            # Every module's first message carries all the flight's pins and side tables: the modules were
            # built together, so which module pinned what is not known, and a module's quick code may be
            # installed (and deopt) before another module's message arrives. The VM applies them each time
            # (pinning and merging twice changes nothing).
            pins, points = self.pins(), self.points(modules)
            shared = [self.module_facts(index, module, pins, points, started, built)
                      for index, module in enumerate(modules)]
            quick = [self.wants_quick_code(module) for module in modules]
            for facts, module, text, wanted in zip(shared, modules, texts, quick):
                if wanted:
                    image = vm.engine.object_image(text, module.title, optimise=False)
                    self.send({**facts, "kind": "quick", "image": image, "trace": self.take_trace(),
                               "finished": time.perf_counter()})
                    facts.update(points=b"", pins=[])
            if all(quick):
                # Everything runs quick code now: optimising is background work, behind the program and
                # the next functions' quick code. (An OSR entry gets no quick code, so its optimised code is
                # the first it gets: that stays in the foreground.)
                self.send({"kind": "optimising"})
                os.nice(OPTIMISING_NICENESS)
            for facts, module, text in zip(shared, modules, texts):
                image = vm.engine.object_image(text, module.title, module.optimise)
                self.send({**facts, "kind": "final", "image": image, "trace": self.take_trace(),
                           "finished": time.perf_counter()})
        except Exception as problem:    # noqa: BLE001 - any failure here means: compile it in the VM
            where = traceback.extract_tb(problem.__traceback__)[-1]
            self.send({"kind": "error", "llvm": isinstance(problem, InternalCompilerError),
                       "error": f"{type(problem).__name__}: {problem} "
                                f"(at {os.path.basename(where.filename)}:{where.lineno})"})
            return
        self.send({"kind": "end", "trace": self.take_trace(), "finished": time.perf_counter(),
                   "counters": {k: v - counters.get(k, 0) for k, v in vm.stats.counters.items()
                                if v != counters.get(k, 0)},
                   "timers": {k: v - timers.get(k, 0.0) for k, v in vm.stats.timers.items()
                              if v != timers.get(k, 0.0)}})

    def wants_quick_code(self, module: "BuiltModule") -> bool:
        """Quick code first for an optimised module big enough, with no OSR entry in it (an activation that
        entered quick code at a loop would stay in it to its end, so OSR entries wait for the final code)."""
        settings = self.vm.settings
        return settings.compile_quick_first and module.optimise and \
            not any(isinstance(job, OSRJob) for job, _ in module.jobs) and \
            sum(job.size for job, _ in module.jobs) >= settings.compile_quick_min_size

    def module_facts(self, index: int, module: "BuiltModule", pins: list[int], points: bytes, started: float,
                     built: float) -> dict[str, Any]:
        """What the VM needs besides the image to install a module's code: which jobs and symbols, the shared
        helpers it defines and imports, the objects to pin and the side tables (sent once per module)."""
        return {"module": index, "jobs": [self.flight.jobs.index(job) for job, _ in module.jobs],
                "symbols": [symbol for _, symbol in module.jobs], "defines": list(module.ctx.defines),
                "imports": dict(module.ctx.imports), "optimise": module.optimise, "pins": pins,
                "points": points, "title": module.title, "started": started, "built": built}

    def pins(self) -> list[int]:
        """The objects compiling pinned here (``heap.keep``), as values."""
        heap = self.vm.gc_heap
        return [int(heap.pins.words[i]) for i in range(self.flight.pin_count, heap.pin_count)]

    def points(self, modules: "list[BuiltModule]") -> bytes:
        """The deopt points made here, and what the OSR entries load on entry (their frame map and how many
        numbers they check), pickled with code versions by reference (the VM made those before the fork:
        ``Flight.by_id``)."""
        points = [point for number, point in self.vm.deopt.tables.points.items() if number >= self.flight.first_point]
        entries = {self.flight.jobs.index(job): (job.built.entry_map, len(job.built.speculated))
                   for module in modules for job, _ in module.jobs
                   if isinstance(job, OSRJob) and job.built is not None}
        buffer = io.BytesIO()
        PointPickler(buffer).dump((points, entries))
        return buffer.getvalue()

    def take_trace(self) -> str:
        """The trace lines written since the last call."""
        text = self.diagnostics.getvalue()
        self.diagnostics.seek(0)
        self.diagnostics.truncate()
        return text

    def send(self, message: dict[str, Any]) -> None:
        """One message to the VM, with the VM's safepoint word set (it is shared with this process) so that
        its main thread stops and lets its reader take the message (``forks.CompileProcesses.hand_over``):
        before writing, since an image bigger than the pipe holds blocks this process until the reader has
        taken the first part, and again after, when the message is whole."""
        heap = self.vm.gc_heap
        heap.flags[heap.SAFEPOINT] = 1
        write_frame(self.out, message)
        heap.flags[heap.SAFEPOINT] = 1


class PointPickler(pickle.Pickler):
    """Pickles deopt points, naming each code version by its ``id``: the VM made it before the fork, so the
    same ``id`` is the same object there."""

    def persistent_id(self, obj: object) -> object:
        """Code versions by reference, everything else by value."""
        return ("version", id(obj)) if isinstance(obj, CodeVersion) else None


class PointUnpickler(pickle.Unpickler):
    """Reads the points a compile process sent, with the VM's own code versions."""

    def __init__(self, data: bytes, versions: dict[int, CodeVersion]) -> None:
        super().__init__(io.BytesIO(data))
        self.versions = versions

    def persistent_load(self, pid: object) -> CodeVersion:
        """The VM's code version the process named."""
        assert isinstance(pid, tuple) and pid[0] == "version"
        return self.versions[pid[1]]


#: What a compile process sends of a module's side tables: its deopt points, and each OSR entry's frame map
#: and count of speculated numbers, by job index.
SideTableDelta = tuple[list[DeoptPoint], dict[int, tuple[FrameMap, int]]]


def load_points(data: bytes, versions: dict[int, CodeVersion]) -> SideTableDelta:
    """The deopt points and OSR entry maps in a message (empty: none)."""
    if not data:
        return [], {}
    delta: SideTableDelta = PointUnpickler(data, versions).load()
    return delta
