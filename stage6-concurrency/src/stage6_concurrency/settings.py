"""Stage 6's tunables: stage 5's plus the compile workers'."""

from __future__ import annotations

from stage5_gc.settings import Settings as Stage5Settings


class Settings(Stage5Settings):
    """Stage 6 settings."""

    compile_threads: int = 1
    compile_deterministic: bool = False
    compile_quick_first: bool = True
    compile_queue_limit: int = 4
    compile_worker_min_size: int = 150
    compile_timeout_s: float = 60.0
    compile_worker_crash_after: int = 0
    compile_worker_hang_after: int = 0

    WHY: dict[str, str] = {
        **Stage5Settings.WHY,
        "compile_threads":
            "compile worker processes (0: compile on the main thread, as stage 5). A worker runs LLVM's "
            "optimising compile of a big module while the program runs quick code; the main thread still "
            "builds the IR and links the image. One is the default: this machine class has two cores, "
            "one for the program and one for LLVM; two made the interpreter benchmark slower (1.07 s "
            "against 0.92 s), the second worker competing with the program for a core",
        "compile_deterministic":
            "each compile completes in its worker before the program goes on (the main thread waits): "
            "what runs compiled, and when, no longer depends on timing. For tests",
        "compile_quick_first":
            "a module sent to a worker is also compiled at once on the main thread without optimisation "
            "(LLVM's fast code generator: about a quarter of the optimising compile), and its normal "
            "entries run that code until the worker's optimised code replaces it. Without it the program "
            "interprets for the whole time the worker takes, which on the benchmarks costs what the main "
            "thread saved",
        "compile_worker_min_size":
            "modules with fewer bytecode instructions than this are compiled on the main thread, as in "
            "stage 5, and the workers start at the first bigger one. A small module compiles in 20-50 ms; "
            "starting a worker beside the program slowed short benchmarks by 5-15% on two cores "
            "(many_functions: 0.085 -> 0.098 s) while saving them nothing",
        "compile_queue_limit":
            "modules in flight at once; more hot functions wait on the queue (hottest sent first), so a "
            "burst of hot functions does not bury the hottest behind a long backlog",
        "compile_timeout_s":
            "a job a worker has not answered in this long means the worker hung: it is killed and its "
            "jobs are compiled on the main thread (an O2 compile of the biggest benchmark module takes "
            "about 0.3 s, so a minute is far past any real compile)",
        "compile_worker_crash_after":
            "test hook: the worker exits on its N-th job (0: never), as a crashed LLVM would",
        "compile_worker_hang_after":
            "test hook: the worker hangs on its N-th job (0: never), as a stuck LLVM would",
    }

    def validate(self) -> None:
        """Stage 5's checks plus the workers'."""
        super().validate()
        if not 0 <= self.compile_threads <= 16:
            raise ValueError("compile_threads must be between 0 and 16")
        if self.compile_worker_min_size < 0:
            raise ValueError("compile_worker_min_size must be at least 0")
        if self.compile_queue_limit < 1:
            raise ValueError("compile_queue_limit must be at least 1")
        if self.compile_timeout_s <= 0:
            raise ValueError("compile_timeout_s must be positive")
        if self.compile_worker_crash_after < 0 or self.compile_worker_hang_after < 0:
            raise ValueError("compile worker test hooks must be at least 0")
