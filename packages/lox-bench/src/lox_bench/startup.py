"""The start-up report: ``python -m lox_bench.startup [--runs N] [--stage PKG ...] [--markdown]``.

For each stage it measures whole-process wall time, in milliseconds, of
``python -m STAGE bench/startup.lox`` (``print 42;``), of the REPL up to its
first prompt, and of two short programs that never get hot
(``bench/cold_script.lox``, and ``bench/cold_classes.lox`` from stage 4 on),
beside bare Python (``python -c pass``). The rounds are interleaved: each
round runs every measurement of every stage once, so drift on the machine
hits all of them alike; one unrecorded round comes first (it also writes
any stale ``.pyc`` files). Then each stage runs ``bench/startup.lox`` once
more with ``--trace=startup``, and the phases it reports (lines
``[startup] NAME: X ms ...`` on standard error) become a second table; a
stage that does not know the category (usage error, status 64) shows n/a.

Children run through :func:`lox_bench.measure.run_process` (output checked
against ``.expected``, own peak memory) in
:func:`lox_bench.measure.benchmark_environment` (no ``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import argparse
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from lox_bench.discovery import (
    DEFAULT_STAGES,
    Benchmark,
    Runner,
    available_stages,
    find_bench_dir,
    is_importable,
    load_benchmarks,
)
from lox_bench.measure import benchmark_environment, run_process
from lox_bench.results import CPYTHON, ERROR, OK, TIMEOUT, Report, Result, Run
from lox_bench.suite import last_line, measure_once
from lox_bench.table import markdown_table, text_table, fmt_ratio

#: The stages the report covers by default (the importable ones among them).
STARTUP_STAGES: tuple[str, ...] = DEFAULT_STAGES[:5]

BARE = "bare"
REPL = "repl"

#: The timing table's measured rows: (measurement, label); the others are bench/ programs by name
#: (``startup`` is ``print 42;``). Two derived rows follow ``startup``.
ROWS: tuple[tuple[str, str], ...] = (
    (BARE, "bare Python: python -c pass"),
    ("startup", "print 42; (startup.lox)"),
    (REPL, "REPL: first prompt"),
    ("cold_script", "cold_script.lox"),
    ("cold_classes", "cold_classes.lox"),
)

#: What the REPL writes when it is ready for a line.
PROMPT = b"> "
#: The exit status of a usage error (an unknown ``--trace`` category).
EXIT_USAGE = 64
#: A run still going after this many seconds is killed and reported as TIMEOUT.
TIMEOUT_SECONDS = 60.0

BREAKDOWN_LINE = re.compile(r"^\[startup\] ([^:]+): *([0-9]+(?:\.[0-9]*)?) ms")

#: A stage's breakdown: {phase: milliseconds} in the order reported, or None when it gave none.
Breakdown = dict[str, float] | None


def parse_breakdown(stderr: str) -> dict[str, float]:
    """The ``[startup] NAME: X ms ...`` lines of ``stderr`` as {NAME: X}, in order; other lines ignored."""
    phases: dict[str, float] = {}
    for line in stderr.splitlines():
        match = BREAKDOWN_LINE.match(line.strip())
        if match:
            phases[match.group(1).strip()] = float(match.group(2))
    return phases


def breakdown_table(breakdowns: Mapping[str, Breakdown]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the breakdown table: one row per phase, one column per stage. A phase first
    reported by a later stage goes right after the phase that stage reported before it (stage 0's
    "front end" and stage 1's "front end and bytecode" sit side by side, both before "run")."""
    stages = list(breakdowns)
    phases: list[str] = []
    for found in breakdowns.values():
        at = 0
        for phase in found or {}:
            if phase in phases:
                at = phases.index(phase) + 1
            else:
                phases.insert(at, phase)
                at += 1
    body = [
        [phase] + [
            "n/a" if found is None else f"{found[phase]:.1f}" if phase in found else "-"
            for found in (breakdowns[stage] for stage in stages)
        ]
        for phase in phases
    ]
    return ["phase (ms)", *stages], body


def fmt_ms(result: Result | None) -> str:
    """A cell of the timing table: median (min-max) milliseconds, or the status when not all went well."""
    if result is None:
        return ""
    if not result.ok or result.wall is None:
        return result.status
    walls = [run.wall * 1000 for run in result.runs]
    if len(walls) == 1:
        return f"{walls[0]:.1f}"
    return f"{result.wall * 1000:.1f} ({min(walls):.1f}-{max(walls):.1f})"


def timing_table(report: Report) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the timing table: a row per measurement, a column for bare Python and per stage.

    Two derived rows follow ``print 42;``: its ratio to bare Python and its
    peak resident memory (bare Python's in the Python column).
    """
    stages = [name for name in report.runners if name != CPYTHON]
    bare = report.get(BARE, CPYTHON)
    bare_wall = bare.wall if bare is not None else None
    body: list[list[str]] = []
    for key, label in ROWS:
        body.append([label, fmt_ms(report.get(key, CPYTHON))] + [fmt_ms(report.get(key, s)) for s in stages])
        if key == "startup":
            walls = [report.get(key, s) for s in stages]
            body.append(["print 42; / bare Python", ""] + [
                fmt_ratio(r.wall / bare_wall) if r and r.wall and bare_wall else "-" for r in walls])
            peaks = [bare, *walls]
            body.append(["print 42; peak MB"] + [
                f"{r.peak_mb:.1f}" if r and r.peak_mb is not None else "-" for r in peaks])
    return ["measured (ms)", "python", *stages], body


def time_to_prompt(argv: Sequence[str], timeout: float = TIMEOUT_SECONDS) -> Run:
    """Start the REPL ``argv`` on a pipe; the wall time until ``PROMPT`` appears on its standard output.

    Then its standard input is closed and it is waited for (not timed). The
    clock runs in this process, so it also counts starting the child from
    here (about a millisecond); peak memory is not measured (reported as 0).
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=benchmark_environment())
        assert proc.stdout is not None and proc.stdin is not None
        seen, ready, timed_out = b"", False, False
        while not ready:
            left = start + timeout - time.perf_counter()
            timed_out = left <= 0 or not select.select([proc.stdout], [], [], left)[0]
            chunk = b"" if timed_out else os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            ready = PROMPT in seen
        elapsed = time.perf_counter() - start
        proc.stdin.close()
        try:
            code = proc.wait(timeout=1.0 if timed_out else timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        proc.stdout.close()
        if ready:
            return Run(elapsed, None, 0)
        if timed_out:
            return Run(elapsed, None, 0, TIMEOUT, f"no prompt within {timeout:g} s")
        err.seek(0)
        why = last_line(err.read().decode("utf-8", "replace")) or "no message on stderr"
        return Run(elapsed, None, 0, ERROR, f"no prompt; exit status {code}: {why}")


def bare_python(python: str = sys.executable) -> Run:
    """One run of ``python -c pass``."""
    outcome = run_process([python, "-c", "pass"], timeout=TIMEOUT_SECONDS)
    status = OK if outcome.exit_code == 0 else ERROR
    return Run(outcome.wall_seconds, None, outcome.peak_kb, status, "" if status == OK else last_line(outcome.stderr))


def measure(
    stages: Sequence[str],
    programs: Mapping[str, Benchmark],
    runs: int,
    progress: Callable[[str], None] | None = None,
    python: str = sys.executable,
) -> Report:
    """Every measurement of every stage ``runs`` times (after one unrecorded round), interleaved by round."""
    report = Report(benchmarks=[key for key, _ in ROWS], runners=[CPYTHON, *stages], repeat=runs)
    for round_number in range(runs + 1):
        recording = round_number > 0
        if progress is not None:
            progress(f"lox_bench.startup: round {round_number}/{runs}" + ("" if recording else " (warm-up)"))
        jobs: list[tuple[str, str, Callable[[], Run]]] = [(BARE, CPYTHON, partial(bare_python, python))]
        for key, _ in ROWS[1:]:
            for stage in stages:
                runner = Runner(stage)
                if key == REPL:
                    jobs.append((key, stage, partial(time_to_prompt, [python, "-m", stage])))
                elif key not in programs or not runner.applies_to(programs[key]):
                    report.result(key, stage).not_applicable = True
                else:
                    jobs.append((key, stage, partial(measure_once, runner, programs[key],
                                                     timeout=TIMEOUT_SECONDS, python=python)))
        for key, runner_name, job in jobs:
            result = report.result(key, runner_name)
            if result.runs and not result.ok:
                continue  # once wrong, not run again
            run = job()
            if recording or run.status != OK:
                result.runs.append(run)
    return report


def breakdown(stage: str, source: Path, python: str = sys.executable) -> tuple[Breakdown, str]:
    """One run of ``STAGE --trace=startup SOURCE``: its phases (None when it reports none) and a note."""
    outcome = run_process([python, "-m", stage, "--trace=startup", str(source)], timeout=TIMEOUT_SECONDS)
    phases = parse_breakdown(outcome.stderr)
    if outcome.exit_code == EXIT_USAGE:
        return None, "does not know --trace=startup yet"
    if outcome.exit_code != 0:
        other = "\n".join(line for line in outcome.stderr.splitlines() if not BREAKDOWN_LINE.match(line.strip()))
        return None, f"exit status {outcome.exit_code}: {last_line(other)}"
    return (phases, "") if phases else (None, "printed no [startup] lines")


def render(title: str, table: tuple[list[str], list[list[str]]], markdown: bool) -> str:
    """One table, as Markdown or aligned text, under ``title``."""
    headers, body = table
    if markdown:
        return "\n".join([f"#### {title}", "", *markdown_table(headers, body)])
    return "\n".join([f"== {title} ==", *text_table(headers, body)])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m lox_bench.startup``."""
    parser = argparse.ArgumentParser(
        prog="python -m lox_bench.startup",
        description="Whole-process start-up time of every stage beside bare Python, and each stage's "
        "own breakdown (--trace=startup).",
    )
    parser.add_argument("--runs", type=int, default=11, metavar="N",
                        help="recorded runs of each measurement (default 11); median, min and max shown")
    parser.add_argument("--stage", action="extend", nargs="+", metavar="PKG",
                        help="stage package(s) to measure (default: every importable one of "
                        + ", ".join(STARTUP_STAGES) + ")")
    parser.add_argument("--bench-dir", type=Path, metavar="DIR",
                        help="the benchmark directory (default: the bench/ found walking up from here)")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print both tables; 0 when all went well, 1 if a run failed, 2 on bad usage."""
    args = build_parser().parse_args(argv)
    stages = list(dict.fromkeys(args.stage)) if args.stage else available_stages(STARTUP_STAGES)
    missing = [stage for stage in stages if not is_importable(stage)]
    bench_dir = args.bench_dir or find_bench_dir()
    programs = {b.name: b for b in load_benchmarks(bench_dir)[0]} if bench_dir and bench_dir.is_dir() else {}
    problem = (
        "--runs must be at least 1" if args.runs < 1
        else f"stage module(s) not importable: {', '.join(missing)} (check PYTHONPATH)" if missing
        else "no stage to measure" if not stages
        else "no bench/startup.lox with its .expected found; pass --bench-dir" if "startup" not in programs
        else ""
    )
    if problem:
        print(f"lox_bench.startup: {problem}", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = measure(stages, programs, args.runs, None if args.quiet else progress)
    found = {stage: breakdown(stage, programs["startup"].source) for stage in stages}
    notes = [f"{stage}: {note}" for stage, (_, note) in found.items() if note]
    notes += [f"{r.bench} / {r.runner}: {r.status}: {r.detail}" for r in report.failures]
    what = f"whole-process wall time in ms, median (min-max) of {args.runs} run(s)"
    print(render(f"start-up ({what})", timing_table(report), args.markdown))
    print()
    print(render("start-up breakdown (--trace=startup, one run of startup.lox)",
                 breakdown_table({stage: phases for stage, (phases, _) in found.items()}), args.markdown))
    if notes and args.markdown:
        print()
    for note in notes:
        print(f"- {note}" if args.markdown else f"  !! {note}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
