"""Stage 6's tunables: stage 5's plus the compile processes'."""

from __future__ import annotations

import os

from stage5_gc.settings import Settings as Stage5Settings


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system says, else every core)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_compile_threads(cores: int) -> int:
    """``compile_threads``' default on a machine with ``cores`` usable cores (measured: see its WHY)."""
    return 0 if cores < 2 else 1


class Settings(Stage5Settings):
    """Stage 6 settings."""

    compile_threads: int = default_compile_threads(usable_cores())
    compile_deterministic: bool = False
    compile_quick_first: bool = True
    compile_quick_min_size: int = 150
    compile_fork_min_size: int = 150
    compile_fork_osr: bool = False
    compile_timeout_s: float = 60.0
    compile_cold_after_ms: float = 100.0
    compile_process_crash_at: int = 0
    compile_process_hang_at: int = 0

    WHY: dict[str, str] = {
        **Stage5Settings.WHY,
        "compile_threads":
            "compile processes running at once (0: compile on the main thread, as stage 5). Each is a fork "
            "of the VM that builds a hot module's IR and compiles it while the program runs. The default "
            "follows the cores this process may use: with one, 0 (a process takes the program's core: "
            "interpreter's timed section 1.92 -> 2.78 s, strings 0.026 -> 0.044 s, under taskset -c 0); with "
            "two or more, 1 (two cores: one for the program, one for the compiler). More than one was only "
            "measured on two cores, where the processes share the compiler's core",
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
            "that cost more than it saved (timed sections with every module and OSR entry compiled in a "
            "process: loop 0.083 -> 0.102 s, properties 0.211 -> 0.247 s, zoo 0.327 -> 0.432 s)",
        "compile_fork_min_size":
            "modules with fewer bytecode instructions than this are compiled on the main thread, as in "
            "stage 5: a small module compiles in 20-50 ms, and interpreting while a process compiles it "
            "costs more than the stop (binary_trees 0.228 -> 0.269 s, instantiation 0.196 -> 0.222 s with "
            "every module forked)",
        "compile_timeout_s":
            "a compile process that sends nothing for this long is taken as hung: it is killed and its "
            "jobs are compiled on the main thread (the biggest benchmark module compiles in about 0.3 s, "
            "so a minute is far past any real compile)",
        "compile_cold_after_ms":
            "a function waiting for a process slot this long without being called once since it was queued "
            "has gone cold: its request is dropped, and its next call queues it again. The longest wait for a "
            "slot on the benchmark set was about 125 ms (one process, everything forked), so this drops "
            "functions a program stopped calling (often the warm ones queued with a hot one), not ones it is "
            "waiting to run fast",
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
        if self.compile_cold_after_ms < 0:
            raise ValueError("compile_cold_after_ms must be at least 0")
        if self.compile_process_crash_at < 0 or self.compile_process_hang_at < 0:
            raise ValueError("compile process test hooks must be at least 0")
