"""Stage 6's VM: stage 5 with compiles sent to worker processes and installed at safepoints.

Hooks it plugs into: ``TieredVM.tiering`` (``tiering.BackgroundTiering``),
``GCVM.safepoint`` (where the interpreter and compiled code stop when the
heap's safepoint word is set: a finished compile sets it too, so code is
installed at the next call or back-edge check) and ``VM.finish`` (workers
stopped at exit).
"""

from __future__ import annotations

from stage0_jit.vm import Options
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

    def safepoint(self) -> None:
        """Collect if the heap asked, then install whatever compiles finished."""
        super().safepoint()
        self.tiering.install_ready()

    def request_install(self) -> None:
        """A compile finished (called on a worker's reader thread): stop at the next safepoint. One store;
        the main thread clears the word when it stops, after which a later result sets it again."""
        self.gc_heap.words[self.gc_heap.SAFEPOINT] = 1

    def finish(self) -> None:
        """Stop the workers, then stage 5's report."""
        self.tiering.close()
        super().finish()
