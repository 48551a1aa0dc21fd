"""Shared by stage 0's tests: run ``python -m MODULE`` as a user would and check it ended cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import lox_frontend
import stage0_jit

#: Seconds one run may take (the machines are loaded; nothing here needs more than a few).
TIMEOUT = float(os.environ.get("LOX_TEST_TIMEOUT", "120"))


def source_roots(*modules: ModuleType) -> list[str]:
    """The directories the given packages are imported from (their ``src`` in a checkout)."""
    roots = []
    for module in modules:
        assert module.__file__ is not None
        roots.append(str(Path(module.__file__).resolve().parents[1]))
    return roots


def lox_env(*modules: ModuleType) -> dict[str, str]:
    """The environment for a subprocess that must import the same packages as this test run."""
    env = dict(os.environ)
    roots = source_roots(stage0_jit, lox_frontend, *modules)
    env["PYTHONPATH"] = os.pathsep.join([*roots, *filter(None, [env.get("PYTHONPATH")])])
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
        return self.stdout_bytes.decode("utf-8", errors="backslashreplace")

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def describe(self) -> str:
        """For assertion messages."""
        out = self.stdout
        return (f"command: {' '.join(self.args)}\nexit: {self.status}\n"
                f"stdout ({len(self.stdout_bytes)} bytes): {out[:2000]!r}\nstderr: {self.stderr[:4000]!r}")


def run_vm(module: str, *args: str, stdin: bytes = b"", cwd: Path | None = None,
           python_flags: tuple[str, ...] = (), extra_modules: tuple[ModuleType, ...] = ()) -> Run:
    """Run ``python [python_flags] -m module args...`` with ``stdin``; returns what happened."""
    command = (sys.executable, *python_flags, "-m", module, *args)
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT, cwd=cwd,
                          env=lox_env(*extra_modules), check=False)
    return Run(command, done.returncode, done.stdout, done.stderr.decode("utf-8", errors="backslashreplace"))


def run_program(module: str, tmp_path: Path, source: str | bytes, *flags: str, stdin: bytes = b"",
                extra_modules: tuple[ModuleType, ...] = ()) -> Run:
    """Write ``source`` to a file in ``tmp_path`` and run it with ``flags``."""
    path = tmp_path / "program.lox"
    if isinstance(source, str):
        path.write_text(source, encoding="latin-1")
    else:
        path.write_bytes(source)
    return run_vm(module, *flags, str(path), stdin=stdin, extra_modules=extra_modules)


def assert_clean(run: Run, *allowed: int) -> None:
    """The process ended by itself with one of the ``allowed`` statuses and no Python traceback."""
    assert run.status >= 0, f"killed by signal {-run.status}\n{run.describe()}"
    assert "Traceback" not in run.stderr, run.describe()
    assert "Internal error" not in run.stderr, run.describe()
    if allowed:
        assert run.status in allowed, run.describe()
