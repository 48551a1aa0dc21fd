"""Stage 3's tiering policy: stage 1's counters and queue, plus OSR jobs and the script's special case.

Imported at start-up (every call is counted through it); what it asks for when
a loop gets hot (``osr.OSRJob``, the OSR entry compiler) is imported then.
"""

from __future__ import annotations

from stage1_interp.functions import FunctionRecord
from stage1_interp.tiering import Tiering


class DeoptTiering(Tiering):
    """Stage 1's tiering, plus OSR jobs and the script's special case (only OSR entries ever run it)."""

    RUNS_ONCE_HOT = "hot (runs once: OSR entries only)"

    def hot(self, record: FunctionRecord, reason: str) -> None:
        """Queue the normal entry (never the script's); a hot loop's OSR hook, called next, drains it."""
        vm = self.vm
        if record.runs_once and reason != "eager":
            record.state = self.RUNS_ONCE_HOT
            vm.trace("tier", f"{record.name} is hot ({record.back_edges} back-edges): it runs once, "
                             f"so only its loops will be entered (OSR)")
            return
        if reason == "loop" and vm.osr is not None:
            self.enqueue(record)
            vm.trace("tier", f"{record.name} is hot ({record.calls} calls, {record.back_edges} back-edges; "
                             f"by loop): queued with its OSR entry")
            self.queue_warm(record)
            return
        super().hot(record, reason)

    def install(self, record: FunctionRecord, address: int, seconds: float) -> None:
        """Stage 1's install, plus the new code version's address and ``--dump=deopt``."""
        from .vm import DeoptVM
        super().install(record, address, seconds)
        vm = self.vm
        assert isinstance(vm, DeoptVM)
        version = vm.newest.get(record.prototype)
        if version is not None:
            version.address = address
            vm.dump_side_tables(version)

    def request_osr(self, record: FunctionRecord, header: int, slots: list[int], stack: list[int]) -> None:
        """Compile an OSR entry at ``header`` now (with whatever else is queued)."""
        from .osr import OSRJob
        from .vm import DeoptVM
        vm = self.vm
        assert isinstance(vm, DeoptVM)
        vm.trace("osr", f"loop at line {record.code.chunk.lines[header]} (bytecode {header}) in {record.name} "
                        f"is hot ({record.back_edges} back-edges, {record.calls} calls): compiling an OSR entry")
        vm.timeline.instant(f"hot loop: {record.name} bytecode {header}", "osr")
        version = vm.new_version(record, header)
        self.queue.append(OSRJob(record, header, slots, stack, version))
        self.drain()
