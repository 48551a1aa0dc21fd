"""Run one Lox program as a user would (`python -m MODULE [flags] FILE`) and compare with its expectations."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lox_testing.expectations import Expectation, is_clean_compile_error_line, parse_expectations

if TYPE_CHECKING:
    from lox_testing.corpus import Case

#: Environment variable that overrides the per-program timeout (seconds), for slow machines.
TIMEOUT_ENV = "LOX_TEST_TIMEOUT"

#: Seconds one program may run before it counts as hung.
DEFAULT_TIMEOUT = 60.0


def _timeout(explicit: float | None) -> float:
    if explicit is not None:
        return explicit
    override = os.environ.get(TIMEOUT_ENV)
    return float(override) if override else DEFAULT_TIMEOUT

#: Lines of stdout/stderr shown in a failure report before the rest is cut.
_SHOWN_LINES = 60


@dataclass(frozen=True)
class RunResult:
    """What one run of a program produced."""

    command: tuple[str, ...]
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="backslashreplace")


def run_program(
    module: str,
    path: Path,
    flags: Sequence[str] = (),
    stdin: str = "",
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run `python -m MODULE *flags PATH` with `stdin` and capture what it does (timeout: 60 s or $LOX_TEST_TIMEOUT)."""
    timeout = _timeout(timeout)
    command = (sys.executable, "-m", module, *flags, str(path))
    full_env = dict(os.environ if env is None else env)
    try:
        done = subprocess.run(
            command,
            input=stdin.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=full_env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return RunResult(command, None, _decode(exc.stdout), _decode(exc.stderr), True, timeout)
    return RunResult(command, done.returncode, _decode(done.stdout), _decode(done.stderr), False, timeout)


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _clean_compile_error(result: RunResult) -> bool:
    lines = _lines(result.stderr)
    return (
        result.exit_code == 65
        and result.stdout == ""
        and bool(lines)
        and all(is_clean_compile_error_line(line) for line in lines)
    )


def _diff(expected: Sequence[str], actual: Sequence[str], what: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            list(expected), list(actual), f"expected {what}", f"actual {what}", lineterm=""
        )
    ]


def _stdout_problems(expected_text: str, actual: str) -> list[str]:
    if expected_text == actual:
        return []
    exp_lines, act_lines = _lines(expected_text), _lines(actual)
    problem = ["stdout differs:"]
    if exp_lines == act_lines:
        # Same lines, different bytes: a missing or extra final newline, or \r.
        problem.append(f"  expected {expected_text[-40:]!r}")
        problem.append(f"  actual   {actual[-40:]!r}")
    else:
        problem.extend("  " + d for d in _diff(exp_lines, act_lines, "stdout"))
    return problem


def _runtime_error_problems(expectation: Expectation, stderr: list[str]) -> list[str]:
    """Stderr must be exactly the `expect stderr` lines, the error message, the whole trace."""
    err = expectation.runtime_error
    assert err is not None
    prefix = list(expectation.stderr)
    if stderr[: len(prefix)] != prefix:
        # Out of step from the start: one diff of the whole of stderr says the most.
        expected = [*prefix, err.message, *expectation.trace]
        return ["stderr before the runtime error differs:", *("  " + d for d in _diff(expected, stderr, "stderr"))]
    problems: list[str] = []
    rest = stderr[len(prefix) :]
    got_message = rest[0] if rest else "<no stderr>"
    if got_message != err.message:
        problems.append(f"runtime error message: expected {err.message!r}, got {got_message!r}")
    trace = rest[1:]
    if trace != list(expectation.trace):
        problems.append("stack trace differs (every line after the message):")
        problems.extend("  " + d for d in _diff(expectation.trace, trace, "trace"))
    return problems


def compare(expectation: Expectation, result: RunResult) -> list[str]:
    """Describe every way `result` departs from `expectation` (empty list: the run conforms)."""
    if result.timed_out:
        return [f"timed out after {result.timeout:g} s"]
    if expectation.allow_compile_error and _clean_compile_error(result):
        return []

    problems: list[str] = []
    if result.exit_code != expectation.exit_code:
        problems.append(f"exit code: expected {expectation.exit_code}, got {result.exit_code}")
    problems += _stdout_problems(expectation.stdout_text, result.stdout)

    stderr = _lines(result.stderr)
    if expectation.is_compile_error:
        if stderr != list(expectation.compile_errors):
            problems.append("compile errors differ:")
            problems.extend("  " + d for d in _diff(expectation.compile_errors, stderr, "stderr"))
    elif expectation.runtime_error is not None:
        problems += _runtime_error_problems(expectation, stderr)
    elif stderr != list(expectation.stderr):
        problems.append("stderr differs:")
        problems.extend("  " + d for d in _diff(expectation.stderr, stderr, "stderr"))
    return problems


def _shown(text: str) -> list[str]:
    lines = _lines(text)
    if not lines:
        return ["    <empty>"]
    shown = ["    " + line for line in lines[:_SHOWN_LINES]]
    if len(lines) > _SHOWN_LINES:
        shown.append(f"    ... ({len(lines) - _SHOWN_LINES} more lines)")
    return shown


def format_failure(name: str, expectation: Expectation, result: RunResult, problems: Sequence[str]) -> str:
    """A readable report of a failed run: what differed, then the full expected and actual output."""
    out = [f"{name}: the VM does not conform", "command: " + " ".join(result.command), ""]
    out += ["- " + p if not p.startswith("  ") else p for p in problems]
    out.append("")
    if expectation.is_compile_error:
        out.append(f"expected: compile errors, exit {expectation.exit_code}")
        out += ["    " + e for e in expectation.compile_errors]
    else:
        out.append(f"expected stdout (exit {expectation.exit_code}):")
        out += _shown(expectation.stdout_text)
        if expectation.stderr:
            out.append("expected stderr lines:")
            out += ["    " + e for e in expectation.stderr]
        if expectation.runtime_error is not None:
            err = expectation.runtime_error
            out.append(f"expected runtime error: {err.message}")
            out.append("expected stack trace:")
            out += ["    " + t for t in expectation.trace]
    status = "timed out" if result.timed_out else f"exit {result.exit_code}"
    out.append(f"actual stdout ({status}):")
    out += _shown(result.stdout)
    out.append("actual stderr:")
    out += _shown(result.stderr)
    return "\n".join(out)


def check_case(
    module: str,
    case: Case,
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """Run one corpus case; return None if it conforms, else a failure report."""
    if case.path is not None:
        source = case.path.read_text(encoding="utf-8")
        expectation = parse_expectations(source, case.relpath)
        result = run_program(module, case.path, case.flags, expectation.stdin, timeout, env)
    else:
        source = case.source or ""
        expectation = parse_expectations(source, case.relpath)
        with tempfile.TemporaryDirectory(prefix="lox-case-") as tmp:
            path = Path(tmp) / Path(case.relpath).name
            path.write_text(source, encoding="utf-8")
            result = run_program(module, path, case.flags, expectation.stdin, timeout, env)
    problems = compare(expectation, result)
    if not problems:
        return None
    return format_failure(str(case), expectation, result, problems)


def run_case(
    module: str,
    case: Case,
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run one corpus case against `python -m module`; fail the current pytest test if it does not conform."""
    report = check_case(module, case, timeout=timeout, env=env)
    if report is not None:
        import pytest

        pytest.fail(report, pytrace=False)
