"""Main-thread compile time: ``python -m lox_bench.compiletime [--runs N] [--bench NAME ...] CONFIG ...``.

Each CONFIG is ``NAME=MODULE[:FLAGS]`` (e.g. ``sync=stage6_concurrency:--compile-threads=0``). Every
benchmark runs with every config (interleaved, ``--runs`` rounds, median kept) with ``--stats``, and the
table gives, per config, the program's timed section and what the VM reports as time the main thread
spent compiling (``compile.main_thread_s``; a stage without it: ``compile.total_s``, which is all on the
main thread there), with each config's ratio to the first. Beside it, how much of that was loading LLVM
(``compile.llvm_load_s``: importing llvmlite and making the JIT, once per program that compiles, on the
thread that links). The last row sums the set, and the lines under the table give the summed ratios with
and without the load.
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import sys

from lox_bench.discovery import find_bench_dir, load_benchmarks
from lox_bench.measure import benchmark_environment, run_process

_TIMER = re.compile(r"^(compile\.main_thread_s|compile\.total_s|compile\.llvm_load_s)\s+([\d.]+) ms$",
                    re.MULTILINE)


def main_thread_ms(stderr: str) -> float:
    """The main thread's compile time in a ``--stats`` report, in ms."""
    found: dict[str, str] = dict(_TIMER.findall(stderr))
    return float(found.get("compile.main_thread_s") or found.get("compile.total_s") or "0")


def timed_section(stdout: str, expected: tuple[str, ...]) -> float:
    """The program's timed section in seconds: the line after its expected output (0 for a benchmark that has
    none, such as ``startup``, whose whole process is what it measures)."""
    lines = stdout.splitlines()
    return float(lines[-1]) if len(lines) > len(expected) else 0.0


def llvm_load_ms(stderr: str) -> float:
    """Of that, the time spent loading LLVM, in ms (0 when the report has no such timer)."""
    found: dict[str, str] = dict(_TIMER.findall(stderr))
    return float(found.get("compile.llvm_load_s") or "0")


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m lox_bench.compiletime", description=__doc__.split("\n\n")[1])
    parser.add_argument("configs", nargs="+", metavar="NAME=MODULE[:FLAGS]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bench", action="append", metavar="NAME")
    args = parser.parse_args(argv)
    configs = []
    for item in args.configs:
        name, _, rest = item.partition("=")
        module, _, flags = rest.partition(":")
        configs.append((name, module, shlex.split(flags)))
    bench_dir = find_bench_dir()
    assert bench_dir is not None, "no bench/ directory found"
    benchmarks, _ = load_benchmarks(bench_dir)
    chosen = [b for b in benchmarks if not args.bench or b.name in args.bench]
    env = benchmark_environment()
    names = [n for n, _, _ in configs]
    first = names[0]
    header = ["benchmark"] + [f"{n} prog s" for n in names] + [f"{n} compile ms" for n in names]
    header += [f"{n} LLVM load ms" for n in names] + [f"compile {n}/{first}" for n in names[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    totals = {key: {n: 0.0 for n in names} for key in ("prog", "compile", "load")}
    for bench in chosen:
        runs: dict[str, list[tuple[float, float, float]]] = {n: [] for n in names}
        for _ in range(args.runs):
            for name, module, flags in configs:
                outcome = run_process([sys.executable, "-m", module, "--stats", *flags, str(bench.source)], env=env)
                if outcome.exit_code != 0 or not outcome.stdout:
                    print(f"{bench.name} / {name}: exit {outcome.exit_code}", file=sys.stderr)
                    break
                runs[name].append((timed_section(outcome.stdout, bench.expected), main_thread_ms(outcome.stderr),
                                   llvm_load_ms(outcome.stderr)))
        if not all(runs.values()):
            continue
        medians = {key: {n: statistics.median(run[index] for run in runs[n]) for n in names}
                   for index, key in enumerate(("prog", "compile", "load"))}
        for key, by_name in medians.items():
            for n in names:
                totals[key][n] += by_name[n]
        print(row(bench.name, names, medians), flush=True)
    print(row("**summed**", names, totals))
    print()
    for n in names[1:]:
        base, other = totals["compile"][first], totals["compile"][n]
        base_rest, other_rest = base - totals["load"][first], other - totals["load"][n]
        if base and base_rest:
            print(f"- summed main-thread compile, {n}/{first}: {other / base:.2f}x ({base / max(other, 1e-9):.1f}x "
                  f"less); without loading LLVM: {other_rest / base_rest:.2f}x "
                  f"({base_rest / max(other_rest, 1e-9):.1f}x less)")
    return 0


def row(title: str, names: list[str], values: dict[str, dict[str, float]]) -> str:
    """One table row: each config's program time, main-thread compile time, LLVM load, and compile ratio."""
    first = names[0]
    compile_ms = values["compile"]
    cells = [title] + [f"{values['prog'][n]:.3f}" for n in names] + [f"{compile_ms[n]:.1f}" for n in names]
    cells += [f"{values['load'][n]:.1f}" for n in names]
    cells += [f"{compile_ms[n] / compile_ms[first]:.2f}x" if compile_ms[first] else "-" for n in names[1:]]
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    sys.exit(main())
