"""Shared by stage 0's tests: run ``python -m MODULE`` as a user would (see lox_testing.process)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit
from lox_testing import process
from lox_testing.process import TIMEOUT, Run, assert_clean

#: The packages a subprocess must import (put on its path from where this test run imports them).
MODULES: tuple[ModuleType, ...] = (stage0_jit, lox_frontend)

__all__ = ["TIMEOUT", "Run", "assert_clean", "lox_env", "run_vm", "run_program"]



def lox_env() -> dict[str, str]:
    """The environment for a subprocess that imports the same packages as this test run."""
    return process.lox_env(MODULES)

def run_vm(module: str, *args: str, stdin: bytes = b"", cwd: Path | None = None,
           python_flags: tuple[str, ...] = (), extra_modules: tuple[ModuleType, ...] = ()) -> Run:
    """Run ``python [python_flags] -m module args...`` with ``stdin``; returns what happened."""
    return process.run_vm(module, *args, modules=(*MODULES, *extra_modules), stdin=stdin, cwd=cwd,
                          python_flags=python_flags)


def run_program(module: str, tmp_path: Path, source: str | bytes, *flags: str, stdin: bytes = b"",
                extra_modules: tuple[ModuleType, ...] = ()) -> Run:
    """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
    return process.run_program(module, tmp_path, source, *flags, modules=(*MODULES, *extra_modules), stdin=stdin)
