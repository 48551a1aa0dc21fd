"""Shared by stage 2's tests: run ``python -m stage2_ic`` as a user would, and build an ICVM in-process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
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

VM = "stage2_ic"

#: Seconds one run may take (the machines are loaded; nothing here needs more than a few).
TIMEOUT = float(os.environ.get("LOX_TEST_TIMEOUT", "120"))

#: Address space for the heap of an in-process VM (the default reserves 8 GiB).
HEAP_MB = 64


# ---------------------------------------------------------------- in-process
def make_vm(*, trace: frozenset[str] = frozenset(), diagnostics: io.StringIO | None = None,
            **settings: object) -> ICVM:
    """An ICVM with a small heap; ``settings`` override :class:`stage2_ic.settings.Settings` fields."""
    chosen = Settings(heap_reserve_mb=HEAP_MB)
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
def source_roots(*modules: ModuleType) -> list[str]:
    """The directories the given packages are imported from (their ``src`` in a checkout)."""
    roots = []
    for module in modules:
        assert module.__file__ is not None
        roots.append(str(Path(module.__file__).resolve().parents[1]))
    return roots


def lox_env() -> dict[str, str]:
    """The environment for a subprocess that must import the same packages as this test run."""
    env = dict(os.environ)
    roots = source_roots(stage2_ic, stage1_interp, stage0_jit, lox_frontend)
    env["PYTHONPATH"] = os.pathsep.join([*roots, *filter(None, [env.get("PYTHONPATH")])])
    env.pop("LOX_DEBUG", None)
    return env


@dataclass(frozen=True)
class Run:
    """What one run of the VM did."""

    args: tuple[str, ...]
    status: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def describe(self) -> str:
        """For assertion messages."""
        return (f"command: {' '.join(self.args)}\nexit: {self.status}\n"
                f"stdout: {self.stdout[:2000]!r}\nstderr: {self.stderr[:6000]!r}")


def run_vm(*args: str, stdin: bytes = b"") -> Run:
    """Run ``python -m stage2_ic args...``; returns what happened."""
    command = (sys.executable, "-m", VM, *args)
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT, env=lox_env(), check=False)
    return Run(command, done.returncode, done.stdout.decode("utf-8", errors="backslashreplace"),
               done.stderr.decode("utf-8", errors="backslashreplace"))


def run_program(tmp_path: Path, source: str, *flags: str) -> Run:
    """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
    path = tmp_path / "program.lox"
    path.write_text(source, encoding="latin-1")
    return run_vm(*flags, str(path))


def assert_clean(run: Run, *allowed: int) -> None:
    """The process ended by itself with one of the ``allowed`` statuses and no Python traceback."""
    assert run.status >= 0, f"killed by signal {-run.status}\n{run.describe()}"
    assert "Traceback" not in run.stderr, run.describe()
    assert "Internal error" not in run.stderr, run.describe()
    if allowed:
        assert run.status in allowed, run.describe()


#: Stage 2's modes (the same as the conformance and differential tests use).
MODES: dict[str, tuple[str, ...]] = {
    "off": ("--jit=off",),
    "eager": ("--jit=eager",),
    "ic-off": ("--ic=off",),
    "default": (),
    "threshold2": ("--threshold=2",),
}


def run_everywhere(tmp_path: Path, source: str, modes: dict[str, tuple[str, ...]] | None = None) -> Run:
    """Run ``source`` in every mode; assert they all agree (stdout, stderr, status); returns one run."""
    runs = {mode: run_program(tmp_path, source, *flags) for mode, flags in (modes or MODES).items()}
    reference_mode, reference = next(iter(runs.items()))
    for mode, run in runs.items():
        assert_clean(run)
        assert (run.stdout, run.stderr, run.status) == (reference.stdout, reference.stderr, reference.status), \
            f"{mode} differs from {reference_mode}:\n{run.describe()}\n--- {reference_mode}:\n{reference.describe()}"
    return reference
