"""Run a VM stage as a user would (``python -m MODULE ...``) from a test, and check it ended cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

#: Seconds one run may take (the machines are loaded; nothing in the tests needs more than a few).
TIMEOUT = float(os.environ.get("LOX_TEST_TIMEOUT", "120"))


def source_roots(modules: Sequence[ModuleType]) -> list[str]:
    """The directories the given packages are imported from (their ``src`` in a checkout)."""
    roots = []
    for module in modules:
        assert module.__file__ is not None
        roots.append(str(Path(module.__file__).resolve().parents[1]))
    return roots


def lox_env(modules: Sequence[ModuleType]) -> dict[str, str]:
    """The environment for a subprocess that must import the same packages as this test run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*source_roots(modules), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("LOX_DEBUG", None)
    return env


@dataclass(frozen=True)
class Run:
    """What one run of the VM did."""

    args: tuple[str, ...]
    status: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        """Standard output as text (undecodable bytes escaped)."""
        return self.stdout_bytes.decode("utf-8", errors="backslashreplace")

    @property
    def stderr_lines(self) -> list[str]:
        """Standard error, one line each."""
        return self.stderr.splitlines()

    def describe(self) -> str:
        """For assertion messages."""
        return (f"command: {' '.join(self.args)}\nexit: {self.status}\n"
                f"stdout ({len(self.stdout_bytes)} bytes): {self.stdout[:2000]!r}\nstderr: {self.stderr[:6000]!r}")


def run_vm(module: str, *args: str, modules: Sequence[ModuleType], stdin: bytes = b"",
           cwd: Path | None = None, python_flags: tuple[str, ...] = ()) -> Run:
    """Run ``python [python_flags] -m module args...`` with ``stdin``; ``modules`` are put on its path."""
    command = (sys.executable, *python_flags, "-m", module, *args)
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT, cwd=cwd,
                          env=lox_env(modules), check=False)
    return Run(command, done.returncode, done.stdout, done.stderr.decode("utf-8", errors="backslashreplace"))


def run_program(module: str, tmp_path: Path, source: str | bytes, *flags: str, modules: Sequence[ModuleType],
                stdin: bytes = b"") -> Run:
    """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
    path = tmp_path / "program.lox"
    if isinstance(source, str):
        path.write_text(source, encoding="latin-1")
    else:
        path.write_bytes(source)
    return run_vm(module, *flags, str(path), modules=modules, stdin=stdin)


class Launcher:
    """``run_vm``/``run_program``/``lox_env`` with one stage's packages fixed (each stage's tests make one)."""

    def __init__(self, modules: Sequence[ModuleType]) -> None:
        self.modules = tuple(modules)

    def lox_env(self) -> dict[str, str]:
        """The environment for a subprocess that imports the same packages as this test run."""
        return lox_env(self.modules)

    def run_vm(self, module: str, *args: str, stdin: bytes = b"", cwd: Path | None = None,
               python_flags: tuple[str, ...] = ()) -> Run:
        """Run ``python [python_flags] -m module args...`` with ``stdin``; returns what happened."""
        return run_vm(module, *args, modules=self.modules, stdin=stdin, cwd=cwd, python_flags=python_flags)

    def run_program(self, module: str, tmp_path: Path, source: str | bytes, *flags: str,
                    stdin: bytes = b"") -> Run:
        """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
        return run_program(module, tmp_path, source, *flags, modules=self.modules, stdin=stdin)

    def run_everywhere(self, module: str, tmp_path: Path, source: str,
                       modes: dict[str, tuple[str, ...]]) -> Run:
        """Run ``source`` in every mode; assert they all agree (stdout, stderr, status); returns one run."""
        runs = {mode: self.run_program(module, tmp_path, source, *flags) for mode, flags in modes.items()}
        return assert_same_everywhere(runs)


class Stage:
    """One stage as its tests run it, as a user would: ``python -m MODULE`` with the stage's packages on
    the path, in the stage's modes. Each stage's ``stageN_helpers`` module makes one and exports its
    methods, so no stage writes its own runners."""

    def __init__(self, module: str, modules: Sequence[ModuleType],
                 modes: dict[str, tuple[str, ...]] | None = None) -> None:
        self.module = module
        self.launcher = Launcher(modules)
        self.modes = modes or {"default": ()}

    def lox_env(self) -> dict[str, str]:
        """The environment for a subprocess that imports the same packages as this test run."""
        return self.launcher.lox_env()

    def run_vm(self, *args: str, stdin: bytes = b"", cwd: Path | None = None,
               python_flags: tuple[str, ...] = ()) -> Run:
        """Run ``python [python_flags] -m MODULE args...`` with ``stdin``; returns what happened."""
        return self.launcher.run_vm(self.module, *args, stdin=stdin, cwd=cwd, python_flags=python_flags)

    def run_program(self, tmp_path: Path, source: str | bytes, *flags: str, stdin: bytes = b"") -> Run:
        """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
        return self.launcher.run_program(self.module, tmp_path, source, *flags, stdin=stdin)

    def run_everywhere(self, tmp_path: Path, source: str, modes: dict[str, tuple[str, ...]] | None = None) -> Run:
        """Run ``source`` in every mode of the stage (or ``modes``); assert they all agree; returns one run."""
        return self.launcher.run_everywhere(self.module, tmp_path, source, modes or self.modes)


def assert_clean(run: Run, *allowed: int) -> None:
    """The process ended by itself with one of the ``allowed`` statuses and no Python traceback."""
    assert run.status >= 0, f"killed by signal {-run.status}\n{run.describe()}"
    assert "Traceback" not in run.stderr, run.describe()
    assert "Internal error" not in run.stderr, run.describe()
    if allowed:
        assert run.status in allowed, run.describe()


def assert_same_everywhere(runs: dict[str, Run]) -> Run:
    """Every mode ended cleanly with the same stdout, stderr and status; returns the first run."""
    reference_mode, reference = next(iter(runs.items()))
    for mode, run in runs.items():
        assert_clean(run)
        assert (run.stdout_bytes, run.stderr, run.status) == \
            (reference.stdout_bytes, reference.stderr, reference.status), \
            f"{mode} differs from {reference_mode}:\n{run.describe()}\n--- {reference_mode}:\n{reference.describe()}"
    return reference
