"""Running every benchmark with every runner, repetitions interleaved, into a :class:`Report`."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence

from lox_bench.discovery import Benchmark, Runner
from lox_bench.measure import run_process
from lox_bench.output import check_output
from lox_bench.results import ERROR, FAIL, OK, TIMEOUT, Report, Run


def machine_info() -> dict[str, str]:
    """A few facts about this machine and interpreter, stored with the results."""
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "cpus": str(os.cpu_count() or 0),
    }


def last_line(text: str) -> str:
    """The last non-blank line of ``text`` (for error messages)."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""


def measure_once(
    runner: Runner, bench: Benchmark, *, timeout: float | None = None, python: str = sys.executable
) -> Run:
    """Run ``bench`` once with ``runner`` and judge its output."""
    outcome = run_process(runner.command(bench, python), timeout=timeout)
    if outcome.timed_out:
        return Run(outcome.wall_seconds, None, outcome.peak_kb, TIMEOUT, f"killed after {timeout:g} s")
    if outcome.exit_code != 0:
        why = last_line(outcome.stderr) or "no message on stderr"
        return Run(
            outcome.wall_seconds, None, outcome.peak_kb, ERROR, f"exit status {outcome.exit_code}: {why}"
        )
    verdict = check_output(outcome.stdout, bench.expected)
    if not verdict.ok:
        return Run(outcome.wall_seconds, None, outcome.peak_kb, FAIL, verdict.message)
    return Run(outcome.wall_seconds, verdict.program_seconds, outcome.peak_kb, OK)


def run_suite(
    benchmarks: Sequence[Benchmark],
    runners: Sequence[Runner],
    *,
    repeat: int = 3,
    warmup: int = 0,
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    python: str = sys.executable,
) -> Report:
    """Measure every (benchmark, runner) pair ``repeat`` times, runners interleaved in each repetition.

    Within one repetition of a benchmark every runner runs once, in order, so
    a burst of machine noise hits all of them alike. ``warmup`` extra rounds
    run first and are not recorded. A pair that goes wrong once is not run
    again (its failure is what gets reported). Runner names must be unique
    (ValueError otherwise).
    """
    names = [r.name for r in runners]
    if len(set(names)) != len(names):
        raise ValueError(f"runner names must be unique, got {names}")
    report = Report(
        benchmarks=[b.name for b in benchmarks],
        runners=[r.name for r in runners],
        repeat=repeat,
        flags={r.name: list(r.flags) for r in runners if r.flags},
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        machine=machine_info(),
        references={r.name: r.program for r in runners if r.program is not None},
        variants={r.name: r.stage_module for r in runners if r.is_variant},
    )
    rounds = warmup + repeat
    total = sum(1 for b in benchmarks for r in runners if r.applies_to(b)) * rounds
    done = 0
    began = time.perf_counter()
    for bench in benchmarks:
        for runner in runners:
            if not runner.applies_to(bench):
                report.result(bench.name, runner.name).not_applicable = True
        for index in range(rounds):
            warming = index < warmup
            for runner in runners:
                if not runner.applies_to(bench):
                    continue
                result = report.result(bench.name, runner.name)
                if result.runs and not result.ok:
                    done += 1
                    continue
                label = (
                    f"warm-up {index + 1}/{warmup}" if warming else f"rep {index - warmup + 1}/{repeat}"
                )
                run = measure_once(runner, bench, timeout=timeout, python=python)
                done += 1
                if not warming or run.status != OK:
                    result.runs.append(run)
                if progress is not None:
                    shown = f"{run.wall:.3f}s" if run.status == OK else f"{run.status}: {run.detail}"
                    progress(
                        f"[{done:>3}/{total} {time.perf_counter() - began:7.1f}s] "
                        f"{bench.name:<16} {label:<12} {runner.name:<20} {shown}"
                    )
    return report
