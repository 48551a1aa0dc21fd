"""Stage 6's VM: stage 5 with hot functions compiled in forked processes and installed at safepoints.

Hooks it plugs into: ``TieredVM.tiering`` (``tiering.BackgroundTiering``),
``DeoptVM.new_version`` (a compile process uses the code versions the VM
made before the fork), ``GCVM.safepoint`` (where the interpreter and
compiled code stop when the heap's safepoint word is set: a compile
process's answer sets it too, so code is installed at the next call or
back-edge check), ``GCVM.on_collection`` (full collections counted, for
the check at install) and ``VM.finish`` (processes stopped at exit).
"""

from __future__ import annotations

from stage0_jit.vm import Options
from stage1_interp.functions import FunctionRecord
from stage3_deopt.sidetables import CodeVersion
from stage5_gc.collector import Collection
from stage5_gc.vm import GCVM

from .settings import Settings
from .tiering import BackgroundTiering


class ConcurrentVM(GCVM):
    """The whole of Lox with shapes, tiers, a collector, and compilation off the main thread."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        assert isinstance(self.settings, Settings)
        self.settings: Settings = self.settings
        self.tiering: BackgroundTiering = BackgroundTiering(self)
        self.full_collections = 0
        # In a compile process: the code versions the VM made for its jobs before the fork, by prototype.
        self.prepared: dict[int, CodeVersion] = {}

    def new_version(self, record: FunctionRecord, header: int | None) -> CodeVersion:
        """Stage 3's new version; in a compile process, the one the VM already made for that job."""
        version = self.prepared.pop(record.prototype, None) if header is None else None
        if version is not None:
            self.newest[record.prototype] = version
            return version
        return super().new_version(record, header)

    def on_collection(self, record: Collection) -> None:
        """Stage 5's trace and timeline, and full collections counted."""
        if record.full:
            self.full_collections += 1
        super().on_collection(record)

    def safepoint(self) -> None:
        """Collect if the heap asked, then install whatever compiles finished."""
        super().safepoint()
        self.tiering.install_ready()

    def request_install(self) -> None:
        """A compile process sent something (called on its reader thread): stop at the next safepoint. One
        store; the main thread clears the word when it stops, after which a later message sets it again."""
        self.gc_heap.flags[self.gc_heap.SAFEPOINT] = 1

    def finish(self) -> None:
        """Stop the compile processes, then stage 5's report."""
        self.tiering.close()
        super().finish()
