"""What a cold start may import: the modules a program that never gets hot loads, as one table per package.

Most Lox programs are short, so start-up is the first thing a user feels. A
program that never gets hot needs the front end, the bytecode compiler, the
interpreter, the heap and the runtime, and nothing of the compiled tier (IR
building, emitters, analyses, side tables, OSR, deopt, shape-cache compilation,
dumps): those modules are imported the first time something gets hot or a
flag asks for them. Each stage's tests run a cold program with ``python -X
importtime`` and compare what it imported with this table, so a new eager
import shows up as a failing test that names the module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from lox_testing.process import Run, assert_clean, run_vm

#: The modules of ours a cold run imports, per package. A stage's cold run imports those of the packages
#: it is built on plus its own; stage 0 compiles everything before it runs, so it has no cold path.
COLD_MODULES: dict[str, tuple[str, ...]] = {
    "lox_frontend": ("lox_frontend", "lox_frontend.errors", "lox_frontend.nodes", "lox_frontend.parser",
                     "lox_frontend.resolver", "lox_frontend.scanner", "lox_frontend.tokens"),
    "stage0_jit": ("stage0_jit", "stage0_jit.cli", "stage0_jit.errors", "stage0_jit.flags", "stage0_jit.frames",
                   "stage0_jit.heap", "stage0_jit.layout", "stage0_jit.observations", "stage0_jit.runtime",
                   "stage0_jit.settings", "stage0_jit.stats", "stage0_jit.values", "stage0_jit.vm"),
    "stage1_interp": ("stage1_interp", "stage1_interp.bytecode", "stage1_interp.cli", "stage1_interp.compiler",
                      "stage1_interp.functions", "stage1_interp.interpreter", "stage1_interp.settings",
                      "stage1_interp.tiering", "stage1_interp.timeline", "stage1_interp.vm"),
    "stage2_ic": ("stage2_ic", "stage2_ic.cli", "stage2_ic.feedback", "stage2_ic.records", "stage2_ic.settings",
                  "stage2_ic.vm"),
    "stage3_deopt": ("stage3_deopt", "stage3_deopt.cli", "stage3_deopt.settings", "stage3_deopt.tiering",
                     "stage3_deopt.vm"),
    "stage4_shapes": ("stage4_shapes", "stage4_shapes.caches", "stage4_shapes.cli", "stage4_shapes.compiler",
                      "stage4_shapes.model", "stage4_shapes.objects", "stage4_shapes.runtime",
                      "stage4_shapes.settings", "stage4_shapes.shapes", "stage4_shapes.vm", "stage4_shapes.words"),
}

#: Modules that cost a cold start more than its whole budget allows: LLVM (about 80 ms to import), and
#: standard-library modules that build code or tables at import time (``dataclasses`` brings ``inspect``,
#: ``ast``, ``dis``, ``tokenize`` and ``re``: about 6 ms; ``typing`` about 2.5 ms).
NOT_AT_STARTUP = ("llvmlite", "dataclasses", "typing", "inspect")

#: The packages whose modules the table covers (anything else imported is Python's own or an outside one).
OURS = tuple(COLD_MODULES)


def imported_modules(importtime_stderr: str) -> list[str]:
    """The modules a ``python -X importtime`` run imported, in order, read from its standard error."""
    modules = []
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.append(name)
    return modules


def cold_modules(packages: Sequence[str]) -> set[str]:
    """The modules of ours a cold run of a stage built on ``packages`` (front end first) may import."""
    return {module for package in packages for module in COLD_MODULES[package]}


def check_cold_start(run: Run, packages: Sequence[str]) -> None:
    """``run`` (made with ``-X importtime``) imported exactly the cold modules of ``packages`` and nothing
    listed in ``NOT_AT_STARTUP``."""
    assert_clean(run, 0)
    imported = imported_modules(run.stderr)
    ours = {m for m in imported if m.split(".")[0] in OURS}
    expected = cold_modules(packages)
    assert ours == expected, (f"a cold start imported {sorted(ours - expected)} it should not "
                              f"and did not import {sorted(expected - ours)}")
    costly = sorted(m for m in imported if m.split(".")[0] in NOT_AT_STARTUP)
    assert not costly, f"a cold start imported {costly}"


def check_program_cold_start(module: str, modules: Sequence[ModuleType], tmp_path: Path, source: str,
                             *flags: str) -> Run:
    """Run ``source`` with ``python -X importtime -m module flags...`` and check its imports: exactly the
    cold modules of the packages in ``modules`` (a stage and every package it builds on). Returns the run."""
    path = tmp_path / "cold.lox"
    path.write_text(source, encoding="latin-1")
    run = run_vm(module, *flags, str(path), modules=modules, python_flags=("-X", "importtime"))
    check_cold_start(run, [m.__name__ for m in modules])
    return run
