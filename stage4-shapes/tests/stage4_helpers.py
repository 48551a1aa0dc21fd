"""Shared by stage 4's tests: run ``python -m stage4_shapes`` as a user would, and build a ShapesVM in-process."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
import stage2_ic
import stage3_deopt
import stage4_shapes
from stage0_jit.layout import GLOBAL
from stage0_jit.values import ADDRESS_MASK
from stage1_interp.functions import FunctionRecord
from stage4_shapes.caches import ShapeCache
from stage4_shapes.model import INSTANCE_KIND
from stage4_shapes.settings import Settings
from stage4_shapes.shapes import Shape
from stage4_shapes.vm import ShapesOptions, ShapesVM

from lox_testing import process
from lox_testing.reports import section, stats_counter, trace_lines
from lox_testing.process import TIMEOUT, Run, assert_clean

VM = "stage4_shapes"

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "make_vm", "record", "run_source", "global_value",
           "shape_of_global", "shape_caches", "run_vm", "run_program", "run_everywhere", "MODES", "stats_counter", "section",
           "trace_lines"]

#: Address space for the heap of an in-process VM (the default reserves 8 GiB).
HEAP_MB = 64


# ---------------------------------------------------------------- in-process
def make_vm(*, trace: frozenset[str] = frozenset(), diagnostics: io.StringIO | None = None,
            **settings: object) -> ShapesVM:
    """A ShapesVM with a small heap whose program output goes to a buffer (``vm.runtime.out``);
    ``settings`` override :class:`stage4_shapes.settings.Settings` fields."""
    chosen = Settings(heap_reserve_mb=HEAP_MB)
    for name, value in settings.items():
        assert hasattr(chosen, name), name
        setattr(chosen, name, value)
    options = ShapesOptions(settings=chosen, trace=trace, diagnostics=diagnostics or io.StringIO())
    vm = ShapesVM(options)
    vm.runtime.out = io.BytesIO()
    return vm


def run_source(vm: ShapesVM, source: str) -> str:
    """Run ``source`` in ``vm`` (it must succeed); returns what it printed (this run only)."""
    out = vm.runtime.out
    assert isinstance(out, io.BytesIO)
    start = len(out.getvalue())
    status = vm.run_source(source)
    assert status == 0, f"status {status}: {out.getvalue()[start:]!r}"
    return out.getvalue()[start:].decode("latin-1")


def global_value(vm: ShapesVM, name: str) -> int:
    """The value of global ``name``."""
    assert name in vm.runtime.globals, name
    return int(vm.runtime.heap.field(vm.runtime.globals[name], GLOBAL, "value"))


def shape_of_global(vm: ShapesVM, name: str) -> Shape:
    """The shape of the instance held by global ``name``."""
    model = vm.objects
    value = global_value(vm, name)
    assert model.kind(value) == INSTANCE_KIND, f"{name} is not an instance"
    return model.shape_of(value & ADDRESS_MASK)


def record(vm: ShapesVM, name: str) -> FunctionRecord:
    """The one function record called ``name``."""
    found = [r for r in vm.records if r.name == name]
    assert len(found) == 1, f"{len(found)} functions named {name!r}: {[r.name for r in vm.records]}"
    return found[0]


# ---------------------------------------------------------------- subprocesses
MODULES: tuple[ModuleType, ...] = (stage4_shapes, stage3_deopt, stage2_ic, stage1_interp, stage0_jit, lox_frontend)



#: Stage 4's modes: test_stage4_conformance.py's (stage 3's), plus stage 2's guard-and-generic code.
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "ic-off": ("--ic=off",),
    "default": (),
    "deopt-stress": ("--deopt-stress",),
    "threshold3": ("--threshold=3",),
    "deopt-off": ("--deopt=off",),
}

STAGE = process.Stage(VM, MODULES, MODES)
lox_env = STAGE.lox_env
run_vm = STAGE.run_vm
run_program = STAGE.run_program
run_everywhere = STAGE.run_everywhere


def shape_caches(vm: ShapesVM, name: str) -> list[ShapeCache]:
    """The shape caches (property, method and super sites) of function ``name``, in bytecode order."""
    feedback = record(vm, name).feedback
    return [feedback[offset] for offset in sorted(feedback) if isinstance(feedback[offset], ShapeCache)]
