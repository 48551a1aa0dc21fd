"""Turning a :class:`Report` into tables: per-benchmark rows with ratios, a summary, text or Markdown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lox_bench.results import BAD_STATUSES, CPYTHON, OK, Report, Result


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference`` (a time ratio: below 1 means faster than the reference), or None."""
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


def geomean(values: Sequence[float | None]) -> float | None:
    """Geometric mean of the positive values present, or None if there are none."""
    present = [v for v in values if v is not None and v > 0]
    if not present:
        return None
    return math.exp(sum(math.log(v) for v in present) / len(present))


@dataclass(frozen=True)
class Row:
    """One runner's line in a benchmark's table; every ratio is this runner's time over the other's."""

    runner: str
    status: str
    detail: str
    wall: float | None
    program: float | None
    peak_mb: float | None
    wall_vs_python: float | None
    program_vs_python: float | None
    program_vs_previous: float | None
    wall_vs_previous: float | None
    previous: str | None
    wall_then: float | None = None
    program_then: float | None = None
    program_vs_then: float | None = None
    wall_vs_then: float | None = None
    #: Per reference runner, in report order: (its name, program time ratio, whole-process time ratio).
    vs_references: tuple[tuple[str, float | None, float | None], ...] = ()

    def versus(self, reference: str) -> tuple[float | None, float | None]:
        """This row's (program, whole-process) time ratios to the reference runner ``reference``."""
        for name, program, wall in self.vs_references:
            if name == reference:
                return program, wall
        return None, None


def references(report: Report) -> list[str]:
    """The reference runners of ``report``, in runner order."""
    return [name for name in report.runners if report.is_reference(name)]


def previous_stage(report: Report, index: int) -> str | None:
    """The runner ``report.runners[index]`` is compared with in the ``prev`` columns.

    For a plain stage: the nearest plain stage run before it (never the
    CPython twins, a reference or a variant). For a variant: the stage it
    varies when that stage runs too, else the nearest plain stage before it.
    None for the CPython twins and references.
    """
    name = report.runners[index]
    if name == CPYTHON or report.is_reference(name):
        return None
    base = report.variants.get(name)
    if base is not None and base in report.runners and report.is_stage(base):
        return base
    for earlier in reversed(report.runners[:index]):
        if report.is_stage(earlier):
            return earlier
    return None


def compute_rows(report: Report, bench: str, compare: Report | None = None) -> list[Row]:
    """The rows of ``bench``'s table, one per runner in report order, with every ratio filled in."""
    python = report.get(bench, CPYTHON)
    py_wall = python.wall if python is not None else None
    py_program = python.program if python is not None else None
    refs = [(name, report.get(bench, name)) for name in references(report)]
    rows: list[Row] = []
    for index, name in enumerate(report.runners):
        result = report.get(bench, name) or Result(bench, name)
        previous_name = previous_stage(report, index)
        previous = report.get(bench, previous_name) if previous_name else None
        then = compare.get(bench, name) if compare is not None else None
        rows.append(
            Row(
                runner=name,
                status=result.status,
                detail=result.detail,
                wall=result.wall,
                program=result.program,
                peak_mb=result.peak_mb,
                wall_vs_python=ratio(result.wall, py_wall),
                program_vs_python=ratio(result.program, py_program),
                program_vs_previous=ratio(result.program, previous.program if previous else None),
                wall_vs_previous=ratio(result.wall, previous.wall if previous else None),
                previous=previous_name,
                wall_then=then.wall if then else None,
                program_then=then.program if then else None,
                program_vs_then=ratio(result.program, then.program if then else None),
                wall_vs_then=ratio(result.wall, then.wall if then else None),
                vs_references=tuple(
                    (
                        ref_name,
                        ratio(result.program, ref.program if ref else None),
                        ratio(result.wall, ref.wall if ref else None),
                    )
                    for ref_name, ref in refs
                ),
            )
        )
    return rows


def fmt_seconds(value: float | None) -> str:
    """Seconds for a table cell: 3 decimals, 4 below 0.01 s, ``-`` when unknown."""
    if value is None:
        return "-"
    return f"{value:.4f}" if value < 0.01 else f"{value:.3f}"


def fmt_ratio(value: float | None) -> str:
    """A time ratio for a table cell, to 3 significant digits (``0.420x``, ``12.3x``); ``-`` when unknown."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}x"
    if value >= 0.001:
        return f"{value:#.3g}".rstrip(".") + "x"
    return f"{value:.1e}x"


def fmt_mb(value: float | None) -> str:
    """Megabytes for a table cell."""
    return "-" if value is None else f"{value:.1f}"


HEADERS = ("runner", "whole s", "prog s", "peak MB", "whole/CPy", "prog/CPy", "prog/prev", "whole/prev")
COMPARE_HEADERS = ("whole then", "prog then", "prog now/then", "whole now/then")


def reference_headers(refs: Sequence[str]) -> list[str]:
    """The two ratio columns per reference runner: ``prog/NAME`` and ``whole/NAME``."""
    return [header for name in refs for header in (f"prog/{name}", f"whole/{name}")]


def row_cells(row: Row, with_compare: bool = False) -> list[str]:
    """The table cells of ``row``; a run that went wrong shows its status instead of figures."""
    if row.status != OK:
        word = row.status if row.status in BAD_STATUSES else "n/a"
        cells = [row.runner, word, word, "-", "-", "-", "-", "-"]
        cells += ["-", "-"] * len(row.vs_references)
    else:
        cells = [
            row.runner,
            fmt_seconds(row.wall),
            fmt_seconds(row.program),
            fmt_mb(row.peak_mb),
            fmt_ratio(row.wall_vs_python),
            fmt_ratio(row.program_vs_python),
            fmt_ratio(row.program_vs_previous),
            fmt_ratio(row.wall_vs_previous),
        ]
        for _, program, wall in row.vs_references:
            cells += [fmt_ratio(program), fmt_ratio(wall)]
    if with_compare:
        cells += [
            fmt_seconds(row.wall_then),
            fmt_seconds(row.program_then),
            fmt_ratio(row.program_vs_then),
            fmt_ratio(row.wall_vs_then),
        ]
    return cells


def text_table(headers: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    """Aligned plain-text lines: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in body)]


def markdown_table(headers: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    """Markdown table lines: first column left-aligned, the others right-aligned."""
    align = ["---"] + ["---:"] * (len(headers) - 1)
    return [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(cells) + " |" for cells in body),
    ]


def _problems(rows: Sequence[Row]) -> list[str]:
    """One line per runner that went wrong on this benchmark."""
    return [f"{row.runner}: {row.status}: {row.detail}" for row in rows if row.status in BAD_STATUSES]


def format_benchmark(
    report: Report, bench: str, *, markdown: bool = False, compare: Report | None = None
) -> str:
    """The table for one benchmark (a title, the rows, then any failures spelled out)."""
    rows = compute_rows(report, bench, compare)
    with_compare = compare is not None
    headers = list(HEADERS) + reference_headers(references(report))
    headers += list(COMPARE_HEADERS) if with_compare else []
    body = [row_cells(row, with_compare) for row in rows]
    if markdown:
        lines = [f"#### {bench}", "", *markdown_table(headers, body)]
        problems = _problems(rows)
        if problems:
            lines += ["", *(f"- **{p}**" for p in problems)]
    else:
        lines = [f"== {bench} ==", *text_table(headers, body)]
        lines += [f"  !! {p}" for p in _problems(rows)]
    return "\n".join(lines)


SUMMARY_HEADERS = ("runner", "ok", "whole/CPy", "prog/CPy", "prog/prev", "whole/prev")


def summary_headers(report: Report) -> list[str]:
    """The summary's columns: the fixed ones, then ``prog/NAME`` and ``whole/NAME`` per reference runner."""
    return list(SUMMARY_HEADERS) + reference_headers(references(report))


def summary_rows(report: Report, compare: Report | None = None) -> list[list[str]]:
    """Per runner: benchmarks passed, and geometric means of its ratios over the benchmarks."""
    per_bench = {bench: compute_rows(report, bench, compare) for bench in report.benchmarks}
    refs = references(report)
    body: list[list[str]] = []
    for index, name in enumerate(report.runners):
        rows = [per_bench[b][index] for b in report.benchmarks]
        applicable = [r for r in rows if r.status != "n/a"]
        passed = sum(1 for r in applicable if r.status == OK)
        cells = [
            name,
            f"{passed}/{len(applicable)}",
            fmt_ratio(geomean([r.wall_vs_python for r in rows])),
            fmt_ratio(geomean([r.program_vs_python for r in rows])),
            fmt_ratio(geomean([r.program_vs_previous for r in rows])),
            fmt_ratio(geomean([r.wall_vs_previous for r in rows])),
        ]
        for ref in refs:
            cells.append(fmt_ratio(geomean([r.versus(ref)[0] for r in rows])))
            cells.append(fmt_ratio(geomean([r.versus(ref)[1] for r in rows])))
        body.append(cells)
    return body


def format_summary(report: Report, *, markdown: bool = False, compare: Report | None = None) -> str:
    """The short summary: per runner, how many benchmarks passed and its geometric-mean ratios."""
    body = summary_rows(report, compare)
    note = (
        f"Summary over {len(report.benchmarks)} benchmark(s), median of {report.repeat} run(s); "
        "ratios are time / reference time (below 1 = faster), geometric means."
    )
    failures = report.failures
    if markdown:
        lines = ["#### summary", "", *markdown_table(summary_headers(report), body), "", note]
        lines += [f"- **{r.bench} / {r.runner}: {r.status}: {r.detail}**" for r in failures]
    else:
        lines = ["== summary ==", *text_table(summary_headers(report), body), note]
        if failures:
            names = ", ".join(f"{r.bench}/{r.runner}" for r in failures)
            lines.append(f"!! {len(failures)} FAILED: {names}")
        else:
            lines.append("all outputs matched their .expected files")
    return "\n".join(lines)


def format_report(report: Report, *, markdown: bool = False, compare: Report | None = None) -> str:
    """Every benchmark's table followed by the summary."""
    parts = [format_benchmark(report, b, markdown=markdown, compare=compare) for b in report.benchmarks]
    parts.append(format_summary(report, markdown=markdown, compare=compare))
    return "\n\n".join(parts) + "\n"
