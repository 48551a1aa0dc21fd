"""Shared by stage 2's tests: run ``python -m stage2_ic`` as a user would, and build an ICVM in-process."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
import stage2_ic
from stage1_interp.functions import FunctionRecord
from stage1_interp.vm import TieredOptions
from stage2_ic.feedback import InlineCache
from stage2_ic.settings import Settings
from stage2_ic.vm import ICVM

from lox_testing import process
from lox_testing.process import TIMEOUT, Run, assert_clean

VM = "stage2_ic"

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "make_vm", "record", "caches", "cache", "run_vm", "run_program"]

#: Address space for the heap of an in-process VM (the default reserves 8 GiB).
HEAP_MB = 64


# ---------------------------------------------------------------- in-process
def make_vm(*, trace: frozenset[str] = frozenset(), diagnostics: io.StringIO | None = None,
            **settings: object) -> ICVM:
    """An ICVM with a small heap; ``settings`` override :class:`stage2_ic.settings.Settings` fields."""
    # These VMs are for reading caches: record from the first call (the default waits a few runs).
    chosen = Settings(heap_reserve_mb=HEAP_MB, feedback_after=0)
    for name, value in settings.items():
        assert hasattr(chosen, name), name
        setattr(chosen, name, value)
    options = TieredOptions(settings=chosen, trace=trace, diagnostics=diagnostics or io.StringIO())
    return ICVM(options)


def record(vm: ICVM, name: str) -> FunctionRecord:
    """The one function record called ``name``."""
    found = [r for r in vm.records if r.name == name]
    assert len(found) == 1, f"{len(found)} functions named {name!r}: {[r.name for r in vm.records]}"
    return found[0]


def caches(vm: ICVM, name: str, operation: str) -> list[InlineCache]:
    """The inline caches of function ``name`` at its ``operation`` sites (e.g. ``ADD``, ``CALL``), by offset."""
    feedback = record(vm, name).feedback
    found: list[InlineCache] = []
    for offset in sorted(feedback):
        cache = feedback[offset]
        assert isinstance(cache, InlineCache)
        if cache.operation == operation:
            found.append(cache)
    return found


def cache(vm: ICVM, name: str, operation: str) -> InlineCache:
    """The one ``operation`` site of function ``name``."""
    found = caches(vm, name, operation)
    assert len(found) == 1, f"{name} has {len(found)} {operation} sites"
    return found[0]


# ---------------------------------------------------------------- subprocesses
MODULES: tuple[ModuleType, ...] = (stage2_ic, stage1_interp, stage0_jit, lox_frontend)



#: Stage 2's modes (the same as the conformance and differential tests use).
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "ic-off": ("--ic=off",),
    "default": (),
    "threshold2": ("--threshold=2",),
}

STAGE = process.Stage(VM, MODULES, MODES)
lox_env = STAGE.lox_env
run_vm = STAGE.run_vm
run_program = STAGE.run_program
run_everywhere = STAGE.run_everywhere
