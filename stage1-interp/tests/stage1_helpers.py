"""Shared by stage 1's tests: run ``python -m MODULE`` as a user would, in every mode (see lox_testing.process)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit
import stage1_interp
from lox_testing import process
from lox_testing.process import TIMEOUT, Run, assert_clean

#: The packages a subprocess must import (put on its path from where this test run imports them).
MODULES: tuple[ModuleType, ...] = (stage1_interp, stage0_jit, lox_frontend)

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "run_vm", "run_program"]


#: Stage 1's modes: interpreter only, compile at first call, tiered (default), tiered with a low threshold.
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "default": (),
    "threshold50": ("--threshold=50",),
}


STAGE = process.Stage("stage1_interp", MODULES, MODES)
lox_env = STAGE.lox_env
run_vm = STAGE.run_vm
run_program = STAGE.run_program


def run_in_modes(tmp_path: Path, source: str, modes: dict[str, tuple[str, ...]] | None = None,
                 *flags: str) -> dict[str, Run]:
    """Run one program under every mode (plus ``flags``); returns each mode's run."""
    return {mode: run_program(tmp_path, source, *mode_flags, *flags)
            for mode, mode_flags in (modes or MODES).items()}


def assert_same_everywhere(runs: dict[str, Run]) -> Run:
    """Every mode printed the same stdout and stderr and exited the same way; returns one run."""
    return process.assert_same_everywhere(runs)
