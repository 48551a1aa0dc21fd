"""Shared by stage 5's tests: build a GCVM in-process, and run ``python -m stage5_gc`` as a user would."""

from __future__ import annotations

import io
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
import stage2_ic
import stage3_deopt
import stage4_shapes
import stage5_gc
from stage0_jit.layout import GLOBAL
from stage0_jit.vm import Options
from stage5_gc.settings import Settings
from stage5_gc.vm import GCVM

from lox_testing import process
from lox_testing.process import Run, assert_clean
from lox_testing.reports import stats_counter, trace_lines

VM = "stage5_gc"

__all__ = ["Run", "assert_clean", "make_vm", "run_source", "global_value", "run_program", "run_everywhere",
           "MODES", "STRESS_MODES", "stats_counter", "trace_lines", "lox_env"]

#: Address space for the heap of an in-process VM (the default reserves 8 GiB), and the limit within it.
HEAP_MB = 64
LIMIT_MB = 48


def make_vm(**settings: object) -> GCVM:
    """A GCVM with a small heap whose program output goes to a buffer; ``settings`` override
    :class:`stage5_gc.settings.Settings` fields."""
    chosen = Settings(heap_reserve_mb=HEAP_MB, heap_limit_mb=LIMIT_MB)
    for name, value in settings.items():
        assert hasattr(chosen, name), name
        setattr(chosen, name, value)
    vm = GCVM(Options(settings=chosen, diagnostics=io.StringIO()))
    vm.runtime.out = io.BytesIO()
    return vm


def run_source(vm: GCVM, source: str) -> str:
    """Run ``source`` in ``vm`` (it must succeed); returns what it printed (this run only)."""
    out = vm.runtime.out
    assert isinstance(out, io.BytesIO)
    start = len(out.getvalue())
    status = vm.run_source(source)
    assert status == 0, f"status {status}: {out.getvalue()[start:]!r} {vm.options.diagnostics}"
    return out.getvalue()[start:].decode("latin-1")


def global_value(vm: GCVM, name: str) -> int:
    """The value of global ``name``."""
    return int(vm.runtime.heap.field(vm.runtime.globals[name], GLOBAL, "value"))


MODULES: tuple[ModuleType, ...] = (stage5_gc, stage4_shapes, stage3_deopt, stage2_ic, stage1_interp, stage0_jit,
                                   lox_frontend)

#: Stage 4's modes, each also under --gc-stress --gc-verify.
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "default": (),
    "deopt-stress": ("--deopt-stress",),
    "threshold3": ("--threshold=3",),
}
STRESS_MODES: dict[str, tuple[str, ...]] = {f"{name}+gc-stress": (*flags, "--gc-stress", "--gc-verify")
                                            for name, flags in MODES.items()}

STAGE = process.Stage(VM, MODULES, {**MODES, **STRESS_MODES})
lox_env = STAGE.lox_env
run_program = STAGE.run_program
run_everywhere = STAGE.run_everywhere
