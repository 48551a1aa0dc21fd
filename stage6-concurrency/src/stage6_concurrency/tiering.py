"""Stage 6's tiering: stage 3's queue and jobs, with hot functions built and compiled in a forked process.

When functions get hot, the main thread forks a compile process
(``snapshot.py``): the fork is the job's snapshot, and the process builds
the module's IR from it and compiles it while the program goes on. Before
forking, the main thread makes what the compiled code will be installed
as (a code version per function, a block of deopt ids), so that what the
process sends back names the VM's own objects. Each image comes back at a
safepoint, where the main thread checks it is still wanted, links it and
installs it: one 8-byte store into the function's entry slot
(``Tiering.install``). Quick code (no optimiser) comes first, so the
program leaves the interpreter early; the optimised code replaces it.

Still wanted means (JavaScriptCore checks its watchpoints the same way):
the job's code version was not invalidated meanwhile (a deopt of the quick
code discards the function's versions) and is still the function's newest;
and, when the code names cached objects, no full collection ran since the
fork (one could have freed an object the snapshot still saw in a cache;
a young collection cannot, see ``stage5_gc/weak.py``). A stale result is
dropped and counted. A function already queued or in flight is not queued
again; at most ``compile_threads`` processes run at once, and the rest
wait on the queue, hottest first. OSR entries and small modules are
compiled on the main thread, as in stage 5 (see ``drain``).
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

from stage1_interp.functions import FunctionRecord
from stage1_interp.tiering import CompileJob
from stage3_deopt.osr import OSRJob
from stage3_deopt.tiering import DeoptTiering

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage3_deopt.sidetables import CodeVersion, FrameMap

    from .forks import CompileProcess, CompileProcesses
    from .vm import ConcurrentVM

#: Timeline tracks of the compile processes: the one in slot n is track PROCESS_TRACKS + n.
PROCESS_TRACKS = 10
#: Deopt ids set aside per bytecode instruction of a flight (a site makes a few guards; an inline copy
#: doubles a self-recursive function's): far more than any module has needed, and ids cost nothing.
POINT_IDS_PER_INSTRUCTION = 16


class Flight:
    """Jobs being compiled in one forked process, and what the VM made for them before the fork."""

    def __init__(self, number: int, jobs: list[CompileJob], versions: "dict[int, CodeVersion]",
                 first_point: int, point_ids: int, pin_count: int, full_collections: int) -> None:
        self.number = number
        self.jobs = jobs
        self.versions = versions            # prototype -> the code version its job will be installed as
        self.by_id = {id(version): version for version in versions.values()}
        self.by_id.update((id(job.version), job.version) for job in jobs if isinstance(job, OSRJob))
        self.first_point = first_point
        self.point_ids = point_ids
        self.pin_count = pin_count          # the heap's pins at the fork (the process reports what it adds)
        self.full_collections = full_collections
        self.parent_pid = os.getpid()
        self.title = ", ".join(job.title for job in jobs)
        self.slot = 0
        self.forked = 0.0                   # perf_counter at the fork
        self.process: CompileProcess | None = None
        self.final: set[int] = set()        # indices of jobs whose final code arrived
        self.abandoned: set[int] = set()    # modules whose results are ignored (compiled here instead)
        self.entries: dict[int, tuple[FrameMap, int]] = {}     # OSR job index -> its frame map, speculated

    def version(self, job: CompileJob) -> "CodeVersion":
        """The code version ``job``'s code is installed as."""
        return job.version if isinstance(job, OSRJob) else self.versions[job.record.prototype]


class BackgroundTiering(DeoptTiering):
    """Stage 3's tiering with normal entries compiled in forked processes and installed at safepoints."""

    def __init__(self, vm: "ConcurrentVM") -> None:
        super().__init__(vm)
        self.cvm = vm
        self.processes: CompileProcesses | None = None
        self.in_process = False         # fork failed: compile here from now on, as stage 5
        self.flights: dict[int, Flight] = {}
        self.flight_numbers = 0
        self.queued: dict[int, tuple[float, int]] = {}     # prototype -> when its normal entry was queued,
                                                            # and its calls + back-edges then
        self.osr_pending: dict[int, int] = {}      # prototype -> the loop header of its OSR entry in flight
        self.osr_arrived: dict[int, int] = {}      # prototype -> its back-edges when a forked entry was installed

    # ------------------------------------------------------------ requests
    def enqueue(self, record: FunctionRecord) -> None:
        """Stage 1's enqueue, unless the function is already queued or in flight (merged). A function whose
        OSR code deopted while its normal entry waited for a process is back to ``INTERPRETED`` with that
        job still queued, hence the look at the queue."""
        if record.state == FunctionRecord.QUEUED or \
                any(job.record is record and not isinstance(job, OSRJob) for job in self.queue):
            self.vm.stats.add("compile.merged")
            return
        super().enqueue(record)
        self.queued[record.prototype] = (time.perf_counter(), record.calls + record.back_edges)

    def background(self) -> bool:
        """Whether compiles go to forked processes now: not with ``--compile-threads=0``, nor where there is
        no ``fork``, nor with any ``--dump`` (dumps come out on this process's stream, in compile order)."""
        return self.cvm.settings.compile_threads > 0 and not self.in_process and hasattr(os, "fork") and \
            not self.cvm.options.dumps

    def drain(self) -> None:
        """Compile the queue: OSR entries and small modules here, at once; the rest in a forked process when
        one may start (else they wait, hottest first)."""
        started = time.perf_counter()
        if not self.background():
            super().drain()
        elif self.queue:
            settings = self.cvm.settings
            jobs = self.drop_cold(sorted(self.queue, key=_heat, reverse=True))
            self.queue.clear()
            if not settings.compile_fork_osr and any(isinstance(job, OSRJob) for job in jobs):
                # An OSR entry is compiled here, optimised, as in stage 5: a hot loop (often the script's own,
                # entered once) runs the code it enters to its end, so waiting means interpreting the loop
                # meanwhile (see the setting's WHY for what that cost).
                self.vm.stats.add("compile.osr_in_process")
                self.compile_here([job for job in jobs if isinstance(job, OSRJob)])
                jobs = [job for job in jobs if not isinstance(job, OSRJob)]
            if not jobs:
                pass
            elif sum(job.size for job in jobs) < settings.compile_fork_min_size:
                self.vm.stats.add("compile.small_in_process")
                self.compile_here(jobs)
            elif self.forks().room():
                self.fork(jobs)
            else:
                self.queue.extend(jobs)
        self.vm.stats.add_time("compile.main_thread_s", time.perf_counter() - started)

    def drop_cold(self, jobs: list[CompileJob]) -> list[CompileJob]:
        """``jobs`` without the normal entries of functions gone cold: not called once since they were queued,
        ``compile_cold_after_ms`` ago or more (HotSpot drops such stale tasks the same way). A dropped
        function is interpreted again; its next call finds it hot and queues it again."""
        now = time.perf_counter()
        after = self.cvm.settings.compile_cold_after_ms / 1000
        kept = []
        for job in jobs:
            prototype = job.record.prototype
            queued, heat = self.queued.get(prototype, (now, -1))
            if isinstance(job, OSRJob) or _heat(job) != heat or now - queued < after:
                kept.append(job)
                continue
            job.record.state = FunctionRecord.INTERPRETED
            del self.queued[prototype]
            self.vm.stats.add("compile.cold_dropped")
            self.vm.trace("compile", f"dropped the request for {job.title}: not called in the "
                                     f"{(now - queued) * 1000:.0f} ms it waited for a process")
        return kept

    def request_osr(self, record: FunctionRecord, header: int, slots: list[int], stack: list[int]) -> None:
        """Stage 3's request, unless the function already has an OSR entry queued or in flight: the loop's
        back-edges keep asking while it is compiled elsewhere, and so do the loops around it. An entry
        compiles the function from its loop on, so the activation takes the one in flight at that loop's
        next back-edge and the outer loops run in its code; asking for theirs too compiled most of the
        function twice (``properties``: three OSR modules instead of one, and ``move`` queued behind
        them). The entry may arrive at a safepoint on an outer loop's back-edge, just before that loop asks:
        so for ``threshold`` back-edges after it arrives the function does not ask either, which lets the
        activation reach the loop and take it. A loop the activation has left for good asks after that."""
        if record.prototype in self.osr_pending or \
                record.back_edges - self.osr_arrived.get(record.prototype, -self.vm.settings.threshold) < \
                self.vm.settings.threshold:
            return
        if self.background():
            self.osr_pending[record.prototype] = header
        super().request_osr(record, header, slots, stack)

    def forget_pending(self, jobs: list[CompileJob]) -> None:
        """The OSR entries among ``jobs`` are no longer in flight (installed, dropped, or compiled here)."""
        for job in jobs:
            if isinstance(job, OSRJob) and self.osr_pending.get(job.record.prototype) == job.header:
                del self.osr_pending[job.record.prototype]

    def compile_here(self, jobs: list[CompileJob]) -> None:
        """Build and compile ``jobs`` on this thread and install them at once (stage 5's way)."""
        for module in self.build(jobs):
            self.compile_module(module)
        self.forget_pending(jobs)

    # ------------------------------------------------------------ to a compile process
    def forks(self) -> "CompileProcesses":
        """The compile processes (the machinery is made at the first compile: a program that never gets hot
        pays nothing for it)."""
        if self.processes is None:
            from .forks import CompileProcesses
            s = self.cvm.settings
            self.processes = CompileProcesses(s.compile_threads, s.compile_timeout_s, self.cvm.request_install)
        return self.processes

    def fork(self, jobs: list[CompileJob]) -> None:
        """Make the jobs' code versions and a block of deopt ids, then fork a process that compiles them."""
        from . import snapshot
        vm = self.cvm
        self.make_what_compiling_makes(jobs)
        tables = vm.deopt.tables
        size = sum(job.size for job in jobs)
        point_ids = size * POINT_IDS_PER_INSTRUCTION + 64
        first_point = tables.reserve(point_ids)
        if vm.deopt.stress is not None:
            vm.deopt.stress.make_room(first_point + point_ids)
        self.flight_numbers += 1
        flight = Flight(self.flight_numbers, jobs, {job.record.prototype: vm.new_version(job.record, None)
                                                    for job in jobs if not isinstance(job, OSRJob)},
                        first_point, point_ids, vm.gc_heap.pin_count, vm.full_collections)
        processes = self.forks()
        busy = {other.slot for other in self.flights.values()}
        flight.slot = min(n for n in range(1, len(busy) + 2) if n not in busy)
        flight.forked = time.perf_counter()
        try:
            flight.process = processes.fork(flight.number, lambda fd: snapshot.run(self, flight, fd))
        except OSError as problem:
            self.in_process = True
            vm.trace("compile", f"cannot fork a compile process ({problem}): compiling in process from now on")
            self.compile_here(jobs)
            return
        forked = time.perf_counter() - flight.forked
        self.flights[flight.number] = flight
        waited = flight.forked - min(self.queued.pop(job.record.prototype, (flight.forked, 0))[0] for job in jobs)
        vm.stats.add("compile.forks")
        vm.stats.add_time("compile.fork_s", forked)
        vm.stats.add_time("compile.queue_wait_s", waited)
        vm.trace("compile", f"forked compile process {flight.number} (pid {flight.process.pid}) for "
                            f"{flight.title}: {size} bytecode instructions, waited {waited * 1000:.1f} ms "
                            f"in the queue, fork took {forked * 1000:.1f} ms")
        if vm.settings.compile_deterministic:
            processes.wait_until_done(flight.process)
            self.receive_all()

    def make_what_compiling_makes(self, jobs: list[CompileJob]) -> None:
        """Make here, before the fork, what compiling ``jobs`` would make on first use, since the snapshot
        cannot (``snapshot.refuse_new_native_state``): the JIT engine, the prototypes of the functions they
        create closures of, the one-character strings table. Each is made once per VM, and stage 5 would make
        it at the same moment, while compiling."""
        vm = self.cvm
        vm.engine
        vm.runtime.character_table()
        for job in jobs:
            for nested in job.record.code.functions:
                vm.record_for(nested)

    # ------------------------------------------------------------ back on the main thread
    def install_ready(self) -> None:
        """At a safepoint: install every result that came back, then start what waited for a process."""
        processes = self.processes
        if processes is None or not processes.running and not processes.messages:
            return
        started = time.perf_counter()
        processes.hand_over()
        self.vm.stats.add_time("compile.handover_s", time.perf_counter() - started)
        if processes.messages:
            self.receive_all()
        self.vm.stats.add_time("compile.main_thread_s", time.perf_counter() - started)
        if self.queue and processes.room():
            self.drain()

    def receive_all(self) -> None:
        """Handle every message that came back, in arrival order."""
        assert self.processes is not None
        for message in self.processes.take():
            self.receive(message)

    def receive(self, message: dict[str, Any]) -> None:
        """One message from a compile process."""
        vm = self.cvm
        flight = self.flights.get(message["process"])
        if flight is None:      # its "end" came already: this is the process's "exit"
            return
        if message.get("trace"):
            vm.options.diagnostics.write(message["trace"])
        kind = message["kind"]
        if kind in ("quick", "final"):
            self.install_image(flight, message)
        elif kind in ("optimising", "exit"):
            return              # a slot is free: ``install_ready`` starts what waits
        elif kind == "end":
            self.flights.pop(message["process"])
            for name, count in message["counters"].items():
                vm.stats.add(name, count)
            for name, seconds in message["timers"].items():
                vm.stats.add_time(name, seconds)
            self.record_process_time(flight, message)
        else:
            self.flights.pop(message["process"])
            if kind == "error" and message["llvm"]:         # LLVM rejected the IR: as it would here
                from stage0_jit.errors import InternalCompilerError
                raise InternalCompilerError(message["error"])
            why = message["error"] if kind == "error" else message["how"]
            vm.stats.add("compile.process_failures")
            self.retry_here(flight, f"compile process {flight.number} failed ({why})")

    def install_image(self, flight: Flight, message: dict[str, Any]) -> None:
        """Install a module's quick or final code from ``flight``: the jobs still wanted, after the checks."""
        from .snapshot import load_points
        vm = self.cvm
        if message["module"] in flight.abandoned:
            return
        deopt = vm.deopt
        points, entries = load_points(message["points"], flight.by_id)
        flight.entries.update(entries)
        new = [point for point in points if point.id not in deopt.tables.points]     # each module brings all
        deopt.tables.merge(new)
        if deopt.stress is not None:
            for point in new:
                deopt.stress.arm(point.id)
        jobs = [flight.jobs[index] for index in message["jobs"]]
        if message["kind"] == "final":
            flight.final.update(message["jobs"])
        if message["pins"]:
            if vm.full_collections != flight.full_collections:
                # An object the snapshot saw in a cache may have died since: build this module again here.
                flight.abandoned.add(message["module"])
                vm.stats.add("compile.dropped_after_full_gc")
                vm.trace("compile", f"dropped code for {message['title']}: a full collection ran since the "
                                    f"fork; compiling it in process")
                self.forget_pending(jobs)       # the dropped ones too
                self.compile_here([job for job in jobs if self.still_wanted(job, flight)])
                return
            for value in message["pins"]:
                vm.gc_heap.keep(value)
        quick = message["kind"] == "quick"         # never with an OSR entry in it (``wants_quick_code``)
        self.forget_pending(jobs)
        wanted = []
        for job, symbol in zip(jobs, message["symbols"]):
            if self.still_wanted(job, flight):
                wanted.append((job, symbol))
                continue
            vm.stats.add("compile.stale_dropped")
            version = flight.version(job)
            why = "its code version was invalidated (a deopt)" if not version.valid else "a newer one exists"
            vm.trace("compile", f"dropped stale {message['kind']} code for {job.title}: {why}")
        if not wanted:
            return
        started = time.perf_counter()
        addresses = vm.engine.link_with_helpers(message["image"], [symbol for _, symbol in wanted],
                                                message["defines"], message["imports"], message["title"])
        elapsed = time.perf_counter() - flight.forked
        for job, symbol in wanted:
            if isinstance(job, OSRJob):
                entry_map, speculated = flight.entries[flight.jobs.index(job)]
                job.install_entry(self, addresses[symbol], entry_map, speculated)
                self.osr_arrived[job.record.prototype] = job.record.back_edges
            else:
                job.install(self, addresses[symbol], elapsed / len(wanted))
        vm.stats.add("compile.quick_modules" if quick else "compile.background_modules")
        vm.trace("compile", f"installed {'quick' if quick else 'optimised' if message['optimise'] else 'unoptimised'}"
                            f" code for {', '.join(job.title for job, _ in wanted)} from process {flight.number}: "
                            f"built in {(message['built'] - message['started']) * 1000:.1f} ms, ready "
                            f"{(message['finished'] - flight.forked) * 1000:.1f} ms after the fork, installed "
                            f"{(started - message['finished']) * 1000:.1f} ms after that, linked in "
                            f"{(time.perf_counter() - started) * 1000:.2f} ms")

    def still_wanted(self, job: CompileJob, flight: Flight) -> bool:
        """The validity check at install: the job's version is still valid and, for a normal entry, still the
        function's newest (not discarded and compiled again meanwhile)."""
        version = flight.version(job)
        return version.valid and (isinstance(job, OSRJob) or self.cvm.newest.get(job.record.prototype) is version)

    def retry_here(self, flight: Flight, why: str) -> None:
        """A process failed: compile here the jobs whose final code never came and that are still wanted."""
        retry = [job for index, job in enumerate(flight.jobs)
                 if index not in flight.final and self.still_wanted(job, flight)]
        self.forget_pending(flight.jobs)
        self.vm.trace("compile", f"{why}; compiling {', '.join(job.title for job in retry) or 'nothing'} "
                                 f"in process")
        if retry:
            self.compile_here(retry)

    def record_process_time(self, flight: Flight, message: dict[str, Any]) -> None:
        """A finished process's time: stats and its slot's track on the timeline."""
        vm = self.cvm
        vm.stats.add_time("compile.process_s", message["finished"] - flight.forked)
        timeline = vm.timeline
        if timeline.enabled:
            track = PROCESS_TRACKS + flight.slot
            timeline.tracks[track] = f"compile process {flight.slot}"
            timeline.span(f"compile: {flight.title}", "compile", track, (flight.forked - timeline.origin) * 1e6,
                          {"process": flight.number}, end_us=(message["finished"] - timeline.origin) * 1e6)

    def close(self) -> None:
        """Stop the compile processes still running (at exit)."""
        if self.processes is not None:
            self.processes.close()


def _heat(job: CompileJob) -> int:
    """How hot a waiting job's function is (the queue sends the hottest first)."""
    return job.record.calls + job.record.back_edges
