"""Stage 6's tiering: stage 3's queue and jobs, with the optimising compile of hot functions in a worker.

A hot function's module is built on the main thread (from the live
feedback, at the moment it gets hot: that is the job's snapshot, taken in
one go and never revisited); its text goes to a compile worker, which runs
LLVM's optimiser and code generator while the program goes on. Meanwhile
the main thread compiles the same text *quickly* (no optimiser, LLVM's fast
code generator) and installs that, so the program runs compiled code at
once (``compile_quick``). When the worker's image comes back, at the next
safepoint the main thread checks it is still wanted, links it and installs
it: one 8-byte store into the function's entry slot (``Tiering.install``).

Still wanted means (JavaScriptCore checks its watchpoints the same way):
the job's code version was not invalidated meanwhile (a deopt of the quick
code discards the function's versions) and is still the function's newest.
A stale result is dropped and counted. A function already queued or in
flight is not queued again; at most ``compile_queue_limit`` modules are in
flight, the rest wait, hottest first. OSR entries are compiled on the main
thread, optimised, as in stage 5 (see ``compile_module``).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from stage1_interp.functions import FunctionRecord
from stage1_interp.tiering import BuiltModule, CompileJob
from stage3_deopt.tiering import DeoptTiering

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage3_deopt.sidetables import CodeVersion

    from .vm import ConcurrentVM
    from .workers import WorkerPool

#: Timeline tracks of the compile workers: worker n is track WORKER_TRACKS + n.
WORKER_TRACKS = 10


class InFlight:
    """A module sent to a worker: its IR text (to compile here if the worker fails) and each job's code
    version as it was when the IR was built."""

    def __init__(self, number: int, module: BuiltModule, text: str, versions: "list[CodeVersion]") -> None:
        self.number = number
        self.module = module
        self.text = text
        self.versions = versions
        self.submitted = time.perf_counter()


class BackgroundTiering(DeoptTiering):
    """Stage 3's tiering with compiles sent to worker processes and installed at safepoints."""

    def __init__(self, vm: "ConcurrentVM") -> None:
        super().__init__(vm)
        self.cvm = vm
        self.pool: WorkerPool | None = None
        self.in_process = False         # after every worker died: compile here, as stage 5
        self.in_flight: dict[int, InFlight] = {}
        self.numbers = 0

    # ------------------------------------------------------------ requests
    def enqueue(self, record: FunctionRecord) -> None:
        """Stage 1's enqueue, unless the function is already queued or in flight (merged)."""
        if record.state == FunctionRecord.QUEUED:
            self.vm.stats.add("compile.merged")
            return
        super().enqueue(record)

    def drain(self) -> None:
        """Stage 1's drain, hottest first, holding back what would pass the in-flight limit."""
        if self.background():
            room = self.cvm.settings.compile_queue_limit - len(self.in_flight)
            if room <= 0 and not any(_is_osr(job) for job in self.queue):
                return
            self.queue = deque(sorted(self.queue, key=_heat, reverse=True))
        started = time.perf_counter()
        super().drain()
        self.vm.stats.add_time("compile.main_thread_s", time.perf_counter() - started)

    def background(self) -> bool:
        """Whether compiles go to workers now (not when ``--dump`` asks for optimised IR or assembly: a
        worker has no dump stream, so those runs compile in process)."""
        return self.cvm.settings.compile_threads > 0 and not self.in_process and \
            not self.cvm.engine.dumps & {"opt-ir", "asm"}

    def build(self, batch: list[CompileJob]) -> list[BuiltModule]:
        """Stage 1's build, with OSR entries in a module of their own, built first (see
        ``compile_module``)."""
        if not self.background():
            return super().build(batch)
        osr = [job for job in batch if _is_osr(job)]
        normal = [job for job in batch if not _is_osr(job)]
        return (super().build(osr) if osr else []) + (super().build(normal) if normal else [])

    # ------------------------------------------------------------ to the worker
    def compile_module(self, module: BuiltModule) -> None:
        """Send the module to a worker; compile it here as stage 5 does when there are no workers, or
        while they are still loading LLVM (about 0.15 s after the first hot function: compiling the first
        module here costs less than leaving it interpreted that long)."""
        vm = self.cvm
        if not self.background():
            super().compile_module(module)
            return
        if any(_is_osr(job) for job, _ in module.jobs):
            # An OSR entry is compiled here, optimised, as in stage 5: a hot loop (often the script's own,
            # entered once) runs the code it enters to its end, so waiting for a worker means interpreting
            # the loop meanwhile, and quick code would be kept for good (bench/trees.lox: 0.35 s here,
            # 0.41 s with its OSR entries sent to the worker).
            vm.stats.add("compile.osr_in_process")
            super().compile_module(module)
            return
        if sum(job.size for job, _ in module.jobs) < vm.settings.compile_worker_min_size:
            vm.stats.add("compile.small_in_process")
            super().compile_module(module)
            return
        pool = self.workers()
        started = len(pool.workers)
        pool.start()
        for new in pool.workers[started:]:
            vm.trace("compile", f"started compile worker {new.number} (pid {new.pid})")
        if vm.settings.compile_deterministic:
            pool.wait_ready()
        self.report_deaths()
        if not pool.has_ready():
            vm.stats.add("compile.in_process" if pool.alive() else "compile.no_worker")
            vm.trace("compile", f"compiling {module.title} in process: "
                                f"{'the workers are still starting' if pool.alive() else 'no worker left'}")
            super().compile_module(module)
            return
        self.numbers += 1
        text = str(module.ctx.module)
        vm.engine.dump("ir", module.title, lambda: text)
        flight = InFlight(self.numbers, module, text, [self.version(job) for job, _ in module.jobs])
        worker = pool.submit({"job": flight.number, "title": module.title, "text": text,
                              "optimise": module.optimise, "level": vm.engine.opt_level})
        if worker is None:          # the last ready worker died just now
            self.install_image(module, vm.engine.object_image(text, module.title, module.optimise),
                               module.jobs, module.started)
            return
        self.in_flight[flight.number] = flight
        vm.stats.add("compile.background_jobs")
        vm.trace("compile", f"queued {module.title} for compile worker {worker.number} "
                            f"({len(self.in_flight)} in flight)")
        if vm.settings.compile_quick_first:
            self.compile_quick(module, text)
        if vm.settings.compile_deterministic:
            self.finish(pool.wait_for(flight.number))

    def compile_quick(self, module: BuiltModule, text: str) -> None:
        """While the worker optimises the module, compile it here unoptimised (LLVM's fast code generator,
        no optimiser: about a quarter of the time) and install it, so the program runs compiled code at
        once; the optimised code replaces it when it arrives. (No OSR entry is ever here: an activation
        that entered quick code would stay in it to its end, so they are compiled optimised at once.)"""
        started = time.perf_counter()
        image = self.cvm.engine.object_image(text, module.title, optimise=False)
        self.cvm.stats.add("compile.quick_modules")
        self.install_image(module, image, module.jobs, started)

    def install_image(self, module: BuiltModule, image: bytes, jobs: "list[tuple[CompileJob, str]]",
                      since: float) -> None:
        """Link a module's object image (made here or by a worker) and install the code of ``jobs``, some
        or all of the module's (none: nothing to link)."""
        if not jobs:
            return
        addresses = self.cvm.engine.link_module(module.ctx, image, [symbol for _, symbol in jobs], module.title)
        self.install_module(BuiltModule(module.ctx, jobs, module.optimise, module.started, module.started_us),
                            addresses, time.perf_counter() - since)

    def version(self, job: CompileJob) -> "CodeVersion":
        """The code version a job's IR was built as."""
        return self.cvm.compiling[job.record.prototype].version

    def workers(self) -> "WorkerPool":
        """The pool, started at the first compile (a program that never gets hot never starts one)."""
        if self.pool is None:
            from .workers import WorkerPool
            s = self.cvm.settings
            self.pool = WorkerPool(s.compile_threads, self.cvm.engine.opt_level, s.compile_timeout_s,
                                   s.compile_worker_crash_after, s.compile_worker_hang_after,
                                   self.cvm.request_install)
        return self.pool

    # ------------------------------------------------------------ back on the main thread
    def install_ready(self) -> None:
        """At a safepoint: link and install every result that came back, then send what was held back."""
        pool = self.pool
        if pool is None or not (pool.results or pool.deaths):
            return
        started = time.perf_counter()
        for message in pool.take():
            self.finish(message)
        self.report_deaths()
        self.vm.stats.add_time("compile.main_thread_s", time.perf_counter() - started)
        if self.queue:
            self.drain()

    def finish(self, message: dict[str, Any]) -> None:
        """One result: drop it if stale, else link and install it (compiling here if the worker failed)."""
        vm = self.cvm
        flight = self.in_flight.pop(message["job"], None)
        if flight is None:
            return
        module = flight.module
        image = message["image"]
        engine = vm.engine
        if image is None:
            if message["error"] is not None:      # LLVM rejected the IR: the same error as in process
                from stage0_jit.errors import InternalCompilerError
                raise InternalCompilerError(message["error"])
            vm.stats.add("compile.worker_failures")
            vm.trace("compile", f"compile worker {message['worker']} failed on {module.title}: "
                                f"compiling it in process")
            image = engine.object_image(flight.text, module.title, module.optimise)
        else:
            self.record_worker_time(message, flight)
        wanted = []
        for entry, version in zip(module.jobs, flight.versions):
            if self.still_wanted(entry[0], version):
                wanted.append(entry)
                continue
            vm.stats.add("compile.stale_dropped")
            why = "its code version was invalidated (a deopt)" if not version.valid else "a newer one exists"
            vm.trace("compile", f"dropped stale code for {entry[0].title}: {why}")
        self.install_image(module, image, wanted, flight.submitted)

    def still_wanted(self, job: CompileJob, version: "CodeVersion") -> bool:
        """The validity check at install: the version is still valid and still the function's newest
        (not discarded and compiled again meanwhile)."""
        if not version.valid:
            return False
        compiler = self.cvm.compiling.get(job.record.prototype)
        return compiler is not None and compiler.version is version

    def record_worker_time(self, message: dict[str, Any], flight: InFlight) -> None:
        """Queue wait and compile time of a finished job: stats, trace and the worker's timeline track."""
        vm = self.cvm
        waited = message["started"] - flight.submitted
        compiled = message["finished"] - message["started"]
        vm.stats.add_time("compile.worker_s", compiled)
        vm.stats.add_time("compile.queue_wait_s", max(waited, 0.0))
        vm.trace("compile", f"compiled {flight.module.title} in worker {message['worker']}: waited "
                            f"{waited * 1000:.1f} ms, compiled in {compiled * 1000:.1f} ms, installed "
                            f"{(time.perf_counter() - flight.submitted) * 1000:.1f} ms after it was queued")
        timeline = vm.timeline
        if timeline.enabled:
            track = WORKER_TRACKS + message["worker"]
            timeline.tracks[track] = f"compile worker {message['worker']}"
            timeline.span(f"compile: {flight.module.title}", "compile", track,
                          (message["started"] - timeline.origin) * 1e6, {"waited_ms": waited * 1000},
                          end_us=(message["finished"] - timeline.origin) * 1e6)

    def report_deaths(self) -> None:
        """One trace line per worker that died; with none left, compile in process from now on."""
        pool = self.pool
        if pool is None:
            return
        while pool.deaths:
            self.vm.trace("compile", pool.deaths.pop(0) + "; its jobs are compiled in process")
        if pool.workers and not any(worker.alive for worker in pool.workers) and not self.in_process:
            self.in_process = True
            self.vm.trace("compile", "no compile worker left: compiling in process from now on")

    def close(self) -> None:
        """Stop the workers (at exit)."""
        if self.pool is not None:
            self.pool.close()


def _is_osr(job: CompileJob) -> bool:
    """Whether a job is an OSR entry (stage 3's ``OSRJob``: it has a loop header)."""
    return hasattr(job, "header")


def _heat(job: CompileJob) -> int:
    """How hot a waiting job's function is (the queue sends the hottest first)."""
    return job.record.calls + job.record.back_edges
