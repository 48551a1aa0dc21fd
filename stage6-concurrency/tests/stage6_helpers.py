"""Shared by stage 6's tests: build a ConcurrentVM in-process, and run ``python -m stage6_concurrency`` as a
user would."""

from __future__ import annotations

import io
import os
import time
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
import stage2_ic
import stage3_deopt
import stage4_shapes
import stage5_gc
import stage6_concurrency
from stage0_jit.vm import Options
from stage6_concurrency.settings import Settings
from stage6_concurrency.vm import ConcurrentVM

from lox_testing import process
from lox_testing.process import Run, assert_clean
from lox_testing.reports import stats_counter, trace_lines

VM = "stage6_concurrency"

__all__ = ["EVERY_MODULE", "Run", "assert_clean", "make_vm", "run_program", "run_everywhere", "MODES", "stats_counter",
           "trace_lines", "lox_env", "process_pids", "gone"]

MODULES: tuple[ModuleType, ...] = (stage6_concurrency, stage5_gc, stage4_shapes, stage3_deopt, stage2_ic,
                                   stage1_interp, stage0_jit, lox_frontend)

#: Every module goes to a compile process, however small (by default small ones are compiled on the main
#: thread), with one process at a time whatever the machine (a mode wanting more says so after this).
EVERY_MODULE = ("--compile-threads=1", "--set", "compile_fork_min_size=0", "--set", "compile_fork_osr=true")

#: Background compilation as users get it, made deterministic, with two processes at once, and under the
#: collector's stress mode.
MODES: dict[str, tuple[str, ...]] = {
    "in-process": ("--compile-threads=0",),
    "background": ("--compile-threads=1",),
    "deterministic-eager": ("--compile-deterministic", "--jit=eager", *EVERY_MODULE),
    "two-processes-eager": ("--jit=eager", *EVERY_MODULE, "--compile-threads=2"),
    "background-threshold3-gc-stress": ("--threshold=3", "--gc-stress", "--gc-verify", *EVERY_MODULE),
}

STAGE = process.Stage(VM, MODULES, MODES)
lox_env = STAGE.lox_env
run_program = STAGE.run_program
run_everywhere = STAGE.run_everywhere


def make_vm(trace: frozenset[str] = frozenset(), **settings: object) -> ConcurrentVM:
    """A ConcurrentVM with a small heap whose program output and ``trace`` lines go to buffers (``vm.runtime.out``,
    ``vm.options.diagnostics``); ``settings`` override :class:`stage6_concurrency.settings.Settings` fields (one compile process,
    whatever the machine's cores, unless they say otherwise)."""
    chosen = Settings(heap_reserve_mb=64, heap_limit_mb=48, compile_threads=1)
    for name, value in settings.items():
        assert hasattr(chosen, name), name
        setattr(chosen, name, value)
    vm = ConcurrentVM(Options(settings=chosen, trace=trace, diagnostics=io.StringIO()))
    vm.runtime.out = io.BytesIO()
    return vm


def process_pids(run: Run) -> list[int]:
    """The pids of the compile processes a run forked (from ``--trace=compile``)."""
    return [int(line.split("(pid ", 1)[1].split(")", 1)[0]) for line in trace_lines(run.stderr, "compile")
            if line.startswith("forked compile process")]


def gone(pid: int, within: float = 5.0) -> bool:
    """Whether process ``pid`` has exited (or is a zombie about to be reaped) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return not os.path.exists(f"/proc/{pid}")
