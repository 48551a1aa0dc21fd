"""The command line: ``python -m lox_bench [options]``."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from lox_bench.discovery import (
    CPYTHON,
    DEFAULT_STAGES,
    Runner,
    available_stages,
    find_bench_dir,
    is_importable,
    load_benchmarks,
)
from lox_bench.plot import MISSING_MATPLOTLIB, have_matplotlib, plot_report
from lox_bench.results import Report
from lox_bench.suite import run_suite
from lox_bench.table import format_report

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m lox_bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m lox_bench",
        description=(
            "Run the bench/*.lox programs with every stage (and their CPython twins), "
            "check their output, and print whole-process time, in-program time, peak memory "
            "and ratios, per benchmark."
        ),
    )
    add = parser.add_argument
    add(
        "--stage",
        action="append",
        metavar="MODULE",
        help="stage module to run (repeatable; default: every importable one of "
        + ", ".join(DEFAULT_STAGES)
        + ")",
    )
    add("--bench", action="append", metavar="NAME", help="benchmark to run (repeatable; default: all)")
    add("--repeat", type=int, default=3, metavar="N", help="runs per pair, median reported (default 3)")
    add("--warmup", type=int, default=0, metavar="N", help="unrecorded rounds first (default 0)")
    add(
        "--flags",
        action="append",
        default=[],
        metavar="NAME=FLAGS",
        help="extra flags for one runner (a stage, a variant or a reference), "
        "e.g. --flags 'stage1_interp=--jit=off' (repeatable)",
    )
    add(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=MODULE[:FLAGS]",
        help="also run stage MODULE with FLAGS as a separate runner called NAME, e.g. "
        "--variant 'nodeopt=stage3_deopt:--deopt=off' (repeatable; it runs right after MODULE)",
    )
    add(
        "--ref",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another Lox implementation run as `PATH FILE.lox`, e.g. --ref clox=/work/clox/clox-ext; "
        "adds prog/NAME and whole/NAME ratio columns (repeatable)",
    )
    add(
        "--python",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="include the CPython twins in bench/python/ (default: on)",
    )
    add("--json", type=Path, metavar="PATH", help="write every result (all runs) as JSON to PATH")
    add("--compare", type=Path, metavar="PATH", help="an earlier --json file to show side by side")
    add(
        "--bench-dir",
        type=Path,
        metavar="DIR",
        help="the benchmark directory (default: the bench/ found walking up from here)",
    )
    add("--plot", type=Path, metavar="PATH", help="write a PNG bar chart (needs matplotlib)")
    add("--markdown", action="store_true", help="print the tables as Markdown")
    add("--timeout", type=float, default=600.0, metavar="S", help="kill a run after S seconds (default 600)")
    add("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def parse_flags(items: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``NAME=FLAGS`` items as {runner name: flags}; flags are split like a shell would."""
    flags: dict[str, tuple[str, ...]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--flags wants NAME=FLAGS, got {item!r}")
        flags[name] = flags.get(name, ()) + tuple(shlex.split(text))
    return flags


def parse_variants(items: Sequence[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """``NAME=MODULE[:FLAGS]`` items as (name, module, flags) triples, in order; flags split like a shell."""
    variants: list[tuple[str, str, tuple[str, ...]]] = []
    for item in items:
        name, sep, rest = item.partition("=")
        module, _, text = rest.partition(":")
        if not sep or not name or not module:
            raise ValueError(f"--variant wants NAME=MODULE[:FLAGS], got {item!r}")
        variants.append((name, module, tuple(shlex.split(text))))
    return variants


def parse_references(items: Sequence[str]) -> list[tuple[str, str]]:
    """``NAME=PATH`` items as (name, path) pairs, in order."""
    references: list[tuple[str, str]] = []
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--ref wants NAME=PATH, got {item!r}")
        references.append((name, path))
    return references


def resolve_program(path: str) -> str | None:
    """The absolute path of executable ``path`` (looked up on $PATH when it has no slash), or None."""
    if os.sep not in path and (os.altsep is None or os.altsep not in path):
        return shutil.which(path)
    candidate = os.path.abspath(path)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return None


def build_runners(
    stages: Sequence[str],
    variants: Sequence[tuple[str, str, tuple[str, ...]]],
    references: Sequence[tuple[str, str]],
    flags: dict[str, tuple[str, ...]],
    *,
    python: bool,
) -> list[Runner]:
    """The runners in the order they run: CPython twins, references, then each stage followed by its variants.

    A variant whose stage is not among ``stages`` runs after all the stages.
    ``flags`` adds flags to the runner of that name. Raises ValueError on a
    name used twice or flags for a runner that does not run.
    """
    runners: list[Runner] = [Runner(CPYTHON)] if python else []
    runners += [Runner(name, flags.get(name, ()), program=path) for name, path in references]
    for stage in stages:
        runners.append(Runner(stage, flags.get(stage, ())))
        runners += [
            Runner(name, extra + flags.get(name, ()), module=module)
            for name, module, extra in variants
            if module == stage
        ]
    runners += [
        Runner(name, extra + flags.get(name, ()), module=module)
        for name, module, extra in variants
        if module not in stages
    ]
    names = [r.name for r in runners]
    reserved = {CPYTHON, *DEFAULT_STAGES, *stages}
    for name in [name for name, _, _ in variants] + [name for name, _ in references]:
        if name in reserved:
            raise ValueError(f"runner name {name!r} is a stage's or the CPython twins' name")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"runner name(s) used twice: {', '.join(duplicates)}")
    for name in flags:
        if name not in names or name == CPYTHON:
            running = ", ".join(n for n in names if n != CPYTHON) or "none"
            raise ValueError(f"--flags names {name}, which is not among the runners ({running})")
    return runners


def _error(message: str) -> int:
    print(f"lox-bench: {message}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks as the command line says; 0 if every output matched, 1 if not, 2 on bad usage."""
    args = build_parser().parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        return _error("--repeat must be at least 1 and --warmup at least 0")
    if args.plot is not None and not have_matplotlib():
        print(MISSING_MATPLOTLIB, file=sys.stderr)
        return USAGE_ERROR
    try:
        flags = parse_flags(args.flags)
        variants = parse_variants(args.variant)
        references = parse_references(args.ref)
    except ValueError as exc:
        return _error(str(exc))
    programs: list[tuple[str, str]] = []
    for name, path in references:
        program = resolve_program(path)
        if program is None:
            return _error(f"--ref {name}: {path} is not an executable file")
        programs.append((name, program))

    bench_dir = args.bench_dir or find_bench_dir()
    if bench_dir is None or not bench_dir.is_dir():
        return _error("no bench/ directory with .lox files found here or above; pass --bench-dir")
    benchmarks, warnings = load_benchmarks(bench_dir)
    for warning in warnings:
        print(f"lox-bench: warning: {warning}", file=sys.stderr)
    if args.bench:
        known = {b.name: b for b in benchmarks}
        unknown = [name for name in args.bench if name not in known]
        if unknown:
            return _error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
        benchmarks = [known[name] for name in dict.fromkeys(args.bench)]
    if not benchmarks:
        return _error(f"no benchmarks in {bench_dir}")

    if args.stage:
        stages = list(dict.fromkeys(args.stage))
        missing = [s for s in stages if not is_importable(s)]
        if missing:
            return _error(f"stage module(s) not importable: {', '.join(missing)} (check PYTHONPATH)")
    else:
        stages = available_stages()
    missing = [module for _, module, _ in variants if not is_importable(module)]
    if missing:
        return _error(f"--variant stage module(s) not importable: {', '.join(missing)} (check PYTHONPATH)")
    try:
        runners = build_runners(stages, variants, programs, flags, python=args.python)
    except ValueError as exc:
        return _error(str(exc))
    if not runners:
        return _error("nothing to run: no importable stage, no --ref and --no-python")

    compare = None
    if args.compare is not None:
        try:
            compare = Report.load(args.compare)
        except (OSError, ValueError, KeyError) as exc:
            return _error(f"cannot read --compare file {args.compare}: {exc}")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.quiet:
        progress(
            f"lox-bench: {len(benchmarks)} benchmark(s) x {len(runners)} runner(s) "
            f"({', '.join(r.name for r in runners)}) x {args.repeat} run(s), from {bench_dir}"
        )
    report = run_suite(
        benchmarks,
        runners,
        repeat=args.repeat,
        warmup=args.warmup,
        timeout=args.timeout,
        progress=None if args.quiet else progress,
    )
    print(format_report(report, markdown=args.markdown, compare=compare), end="")
    if args.json is not None:
        report.save(args.json)
        print(f"lox-bench: results written to {args.json}", file=sys.stderr)
    if args.plot is not None:
        plot_report(report, args.plot)
        print(f"lox-bench: chart written to {args.plot}", file=sys.stderr)
    return 1 if report.failures else 0
