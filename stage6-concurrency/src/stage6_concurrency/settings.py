"""Stage 6's tunables: stage 5's plus the compile processes'."""

from __future__ import annotations

from stage5_gc.settings import Settings as Stage5Settings


class Settings(Stage5Settings):
    """Stage 6 settings."""

    compile_threads: int = 1
    compile_deterministic: bool = False
    compile_quick_first: bool = True
    compile_quick_min_size: int = 150
    compile_fork_min_size: int = 150
    compile_fork_osr: bool = False
    compile_timeout_s: float = 60.0
    compile_process_crash_at: int = 0
    compile_process_hang_at: int = 0

    WHY: dict[str, str] = {
        **Stage5Settings.WHY,
        "compile_threads":
            "compile processes running at once (0: compile on the main thread, as stage 5). Each is a fork "
            "of the VM that builds a hot module's IR and compiles it while the program runs. One is the "
            "default: this machine class has two cores, one for the program and one for the compiler",
        "compile_deterministic":
            "each compile process finishes, and its code is installed, before the program goes on (the "
            "main thread waits): what runs compiled, and when, no longer depends on timing. For tests",
        "compile_quick_first":
            "a compile process sends the module compiled without optimisation first (LLVM's fast code "
            "generator: about a quarter of the optimising compile), which runs until the optimised code "
            "replaces it; without it the program interprets for the whole optimising compile",
        "compile_quick_min_size":
            "modules with fewer bytecode instructions than this get no quick code: they are optimised at once "
            "(20-50 ms). Quick code of a small recursive function (fib) runs the whole call tree, since its "
            "self-calls are direct and code that never allocates never stops at a safepoint, so the "
            "optimised code never takes over (bench/fib.lox's timed section: 0.016 -> 0.027 s)",
        "compile_fork_osr":
            "OSR entries are compiled in a process too (default: on the main thread, optimised, as in stage "
            "5). A hot loop goes on interpreted while its entry is compiled elsewhere, and the compile takes "
            "longer there (the fork, pages copied, a core shared, a process slot to wait for): on two cores "
            "that cost more than it saved (timed sections: properties 0.16 -> 0.29 s, trees 0.32 -> 0.43 s with "
            "every module and OSR entry compiled in a process)",
        "compile_fork_min_size":
            "modules with fewer bytecode instructions than this are compiled on the main thread, as in "
            "stage 5: a small module compiles in 20-50 ms, and interpreting while a process compiles it "
            "costs more than the stop (binary_trees 0.15 -> 0.20 s, instantiation 0.13 -> 0.19 s with every "
            "module forked)",
        "compile_timeout_s":
            "a compile process that sends nothing for this long is taken as hung: it is killed and its "
            "jobs are compiled on the main thread (the biggest benchmark module compiles in about 0.3 s, "
            "so a minute is far past any real compile)",
        "compile_process_crash_at":
            "test hook: the N-th compile process (0: none) exits before sending anything, as a crashed "
            "LLVM would",
        "compile_process_hang_at":
            "test hook: the N-th compile process (0: none) hangs, as a stuck LLVM would",
    }

    def validate(self) -> None:
        """Stage 5's checks plus the compile processes'."""
        super().validate()
        if not 0 <= self.compile_threads <= 16:
            raise ValueError("compile_threads must be between 0 and 16")
        if self.compile_fork_min_size < 0 or self.compile_quick_min_size < 0:
            raise ValueError("compile_fork_min_size and compile_quick_min_size must be at least 0")
        if self.compile_timeout_s <= 0:
            raise ValueError("compile_timeout_s must be positive")
        if self.compile_process_crash_at < 0 or self.compile_process_hang_at < 0:
            raise ValueError("compile process test hooks must be at least 0")
