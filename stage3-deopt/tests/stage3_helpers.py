"""Shared by stage 3's tests: run ``python -m stage3_deopt`` as a user would, and build a DeoptVM in-process."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
import stage2_ic
import stage3_deopt
from stage1_interp.functions import FunctionRecord
from stage1_interp.vm import TieredOptions
from stage3_deopt.settings import Settings
from stage3_deopt.vm import DeoptVM

from lox_testing import process
from lox_testing.reports import section, stats_counter, trace_lines
from lox_testing.process import TIMEOUT, Run, assert_clean

VM = "stage3_deopt"

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "make_vm", "record", "run_vm", "run_program",
           "run_everywhere", "MODES", "stats_counter", "section", "trace_lines"]

#: Address space for the heap of an in-process VM (the default reserves 8 GiB).
HEAP_MB = 64


# ---------------------------------------------------------------- in-process
def make_vm(*, trace: frozenset[str] = frozenset(), diagnostics: io.StringIO | None = None,
            **settings: object) -> DeoptVM:
    """A DeoptVM with a small heap; ``settings`` override :class:`stage3_deopt.settings.Settings` fields."""
    chosen = Settings(heap_reserve_mb=HEAP_MB, feedback_after=0)
    for name, value in settings.items():
        assert hasattr(chosen, name), name
        setattr(chosen, name, value)
    options = TieredOptions(settings=chosen, trace=trace, diagnostics=diagnostics or io.StringIO())
    return DeoptVM(options)


def record(vm: DeoptVM, name: str) -> FunctionRecord:
    """The one function record called ``name``."""
    found = [r for r in vm.records if r.name == name]
    assert len(found) == 1, f"{len(found)} functions named {name!r}: {[r.name for r in vm.records]}"
    return found[0]


# ---------------------------------------------------------------- subprocesses
MODULES: tuple[ModuleType, ...] = (stage3_deopt, stage2_ic, stage1_interp, stage0_jit, lox_frontend)



#: Stage 3's modes: the same as test_stage3_conformance.py's (stage 2's, plus --deopt-stress and a low threshold).
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "ic-off": ("--ic=off",),
    "default": (),
    "deopt-stress": ("--deopt-stress",),
    "threshold3": ("--threshold=3",),
}

STAGE = process.Stage(VM, MODULES, MODES)
lox_env = STAGE.lox_env
run_vm = STAGE.run_vm
run_program = STAGE.run_program
run_everywhere = STAGE.run_everywhere


