"""Side-by-side tables of two runners from a saved results file, for the stage READMEs.

``python -m lox_bench.pairs RESULTS.json BASE NEW [REF ...]`` prints one
markdown table: per benchmark, both runners' whole-process and timed-section
medians, the two ratios NEW/BASE, and NEW's peak memory; then, per extra
runner REF (a reference such as clox, or any other runner in the file), its
two medians and NEW's two ratios to it. The READMEs paste its output, so
their numbers come from the measurement, never from a hand.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .results import Report
from .table import markdown_table, fmt_mb, fmt_ratio, fmt_seconds, ratio


def pair_table(report: Report, base: str, new: str, refs: Sequence[str] = ()) -> str:
    """The markdown table comparing runner ``new`` with runner ``base`` (and with each of ``refs``)."""
    headers = ["benchmark", f"{base} whole s", f"{base} prog s", f"{new} whole s", f"{new} prog s",
               f"whole {new}/{base}", f"prog {new}/{base}", f"{new} peak MB"]
    for name in refs:
        headers += [f"{name} whole s", f"{name} prog s", f"whole {new}/{name}", f"prog {new}/{name}"]
    body = []
    for bench in report.benchmarks:
        old, cur = report.get(bench, base), report.get(bench, new)
        if old is None or cur is None:
            continue
        row = [bench, fmt_seconds(old.wall), fmt_seconds(old.program), fmt_seconds(cur.wall),
               fmt_seconds(cur.program), fmt_ratio(ratio(cur.wall, old.wall)),
               fmt_ratio(ratio(cur.program, old.program)), fmt_mb(cur.peak_mb)]
        for name in refs:
            ref = report.get(bench, name)
            ref_wall = ref.wall if ref is not None else None
            ref_program = ref.program if ref is not None else None
            row += [fmt_seconds(ref_wall), fmt_seconds(ref_program), fmt_ratio(ratio(cur.wall, ref_wall)),
                    fmt_ratio(ratio(cur.program, ref_program))]
        body.append(row)
    return "\n".join(markdown_table(headers, body)) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``RESULTS.json BASE NEW [REF ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3:
        sys.stderr.write("usage: python -m lox_bench.pairs RESULTS.json BASE_RUNNER NEW_RUNNER [REF_RUNNER ...]\n")
        return 64
    report = Report.load(Path(args[0]))
    missing = [name for name in args[1:] if name not in report.runners]
    if missing:
        sys.stderr.write(f"lox_bench.pairs: no runner {', '.join(missing)} in {args[0]} "
                         f"(has {', '.join(report.runners)})\n")
        return 64
    sys.stdout.write(pair_table(report, args[1], args[2], args[3:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
