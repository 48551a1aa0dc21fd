"""Main-thread compile time: ``python -m lox_bench.compiletime [--runs N] [--bench NAME ...] CONFIG ...``.

Each CONFIG is ``NAME=MODULE[:FLAGS]`` (e.g. ``sync=stage6_concurrency:--compile-threads=0``). Every
benchmark runs with every config (interleaved, ``--runs`` rounds, median kept) with ``--stats``, and the
table gives, per config, the program's timed section and what the VM reports as time the main thread
spent compiling (``compile.main_thread_s``; a stage without it: ``compile.total_s``, which is all on the
main thread there), with each config's ratio to the first.
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import sys

from lox_bench.discovery import find_bench_dir, load_benchmarks
from lox_bench.measure import benchmark_environment, run_process

_TIMER = re.compile(r"^(compile\.main_thread_s|compile\.total_s)\s+([\d.]+) ms$", re.MULTILINE)


def main_thread_ms(stderr: str) -> float:
    """The main thread's compile time in a ``--stats`` report, in ms."""
    found: dict[str, str] = dict(_TIMER.findall(stderr))
    return float(found.get("compile.main_thread_s") or found.get("compile.total_s") or "0")


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
    header = ["benchmark"] + [f"{n} prog s" for n, _, _ in configs] + [f"{n} compile ms" for n, _, _ in configs]
    header += [f"compile {n}/{configs[0][0]}" for n, _, _ in configs[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for bench in chosen:
        progs: dict[str, list[float]] = {n: [] for n, _, _ in configs}
        compiles: dict[str, list[float]] = {n: [] for n, _, _ in configs}
        for _ in range(args.runs):
            for name, module, flags in configs:
                outcome = run_process([sys.executable, "-m", module, "--stats", *flags, str(bench.source)], env=env)
                lines = outcome.stdout.split()
                if outcome.exit_code != 0 or not lines:
                    print(f"{bench.name} / {name}: exit {outcome.exit_code}", file=sys.stderr)
                    break
                progs[name].append(float(lines[-1]))
                compiles[name].append(main_thread_ms(outcome.stderr))
        if not all(progs.values()):
            continue
        prog = {n: statistics.median(v) for n, v in progs.items()}
        comp = {n: statistics.median(v) for n, v in compiles.items()}
        first = configs[0][0]
        row = [bench.name] + [f"{prog[n]:.3f}" for n, _, _ in configs] + [f"{comp[n]:.1f}" for n, _, _ in configs]
        row += [f"{comp[n] / comp[first]:.2f}x" if comp[first] else "-" for n, _, _ in configs[1:]]
        print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
