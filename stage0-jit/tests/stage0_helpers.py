"""Shared by stage 0's tests: run ``python -m MODULE`` as a user would (see lox_testing.process)."""

from __future__ import annotations

from types import ModuleType

import lox_frontend
import stage0_jit
from lox_testing import process
from lox_testing.process import TIMEOUT, Run, assert_clean

#: The packages a subprocess must import (put on its path from where this test run imports them).
MODULES: tuple[ModuleType, ...] = (stage0_jit, lox_frontend)
STAGE = process.Stage("stage0_jit", MODULES)
lox_env = STAGE.lox_env
run_vm = STAGE.run_vm
run_program = STAGE.run_program

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "run_vm", "run_program"]
