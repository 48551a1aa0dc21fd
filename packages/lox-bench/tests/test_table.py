"""Tests for the per-benchmark rows, ratios, summary and text/Markdown formatting (no timing asserted)."""

from __future__ import annotations

import math

import pytest

from lox_bench.results import ERROR, FAIL, Report, Result, Run
from lox_bench.table import (
    compute_rows,
    previous_stage,
    summary_headers,
    fmt_ratio,
    fmt_seconds,
    format_benchmark,
    format_report,
    geomean,
    ratio,
    summary_rows,
)


def ok(wall: float, program: float | None, kb: int = 10240) -> Run:
    return Run(wall=wall, program=program, peak_kb=kb)


def sample() -> Report:
    runners = ["cpython", "stage0_jit", "stage1_interp"]
    report = Report(benchmarks=["fib", "startup"], runners=runners, repeat=3)
    report.results = [
        Result("fib", "cpython", [ok(2.0, 1.9), ok(2.2, 2.1), ok(9.0, 8.0)]),  # medians 2.2 / 2.1
        Result("fib", "stage0_jit", [ok(1.1, 0.21), ok(1.0, 0.2), ok(1.2, 0.22)]),  # 1.1 / 0.21
        Result("fib", "stage1_interp", [ok(0.55, 0.105)]),
        Result("startup", "cpython", [ok(0.05, None, 20480)]),
        Result("startup", "stage0_jit", [ok(0.5, None)]),
        Result("startup", "stage1_interp", [Run(0.1, None, 1000, FAIL, "line 1: expected '42', got '43'")]),
    ]
    return report


def test_ratio_and_geomean() -> None:
    assert ratio(1.0, 2.0) == 0.5
    assert ratio(None, 2.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert geomean([None, 4.0]) == pytest.approx(4.0)
    assert geomean([None]) is None


def test_medians() -> None:
    result = sample().get("fib", "cpython")
    assert result is not None
    assert result.wall == 2.2
    assert result.program == 2.1
    assert result.peak_mb == 10.0


def test_rows_ratios_to_cpython_and_previous_stage() -> None:
    rows = compute_rows(sample(), "fib")
    assert [r.runner for r in rows] == ["cpython", "stage0_jit", "stage1_interp"]
    py, s0, s1 = rows
    assert py.wall_vs_python == pytest.approx(1.0)
    assert py.program_vs_previous is None and py.previous is None
    assert s0.wall_vs_python == pytest.approx(1.1 / 2.2)
    assert s0.program_vs_python == pytest.approx(0.21 / 2.1)
    assert s0.previous is None  # the first stage has no previous stage
    assert s0.program_vs_previous is None
    assert s1.previous == "stage0_jit"
    assert s1.program_vs_previous == pytest.approx(0.105 / 0.21)
    assert s1.wall_vs_previous == pytest.approx(0.55 / 1.1)


def test_rows_without_program_time_and_with_failure() -> None:
    py, s0, s1 = compute_rows(sample(), "startup")
    assert py.program is None and s0.program_vs_python is None
    assert s0.wall_vs_python == pytest.approx(10.0)
    assert s0.peak_mb == 10.0 and py.peak_mb == 20.0
    assert s1.status == FAIL
    assert s1.wall is None and s1.wall_vs_previous is None


def test_previous_stage_skips_cpython_and_missing_results() -> None:
    report = Report(benchmarks=["b"], runners=["stage0_jit", "cpython", "stage2_ic"])
    report.results = [Result("b", "stage0_jit", [ok(4.0, 2.0)]), Result("b", "stage2_ic", [ok(1.0, 1.0)])]
    rows = compute_rows(report, "b")
    assert rows[2].previous == "stage0_jit"
    assert rows[2].program_vs_previous == pytest.approx(0.5)
    assert rows[1].status == "n/a"


def test_compare_columns() -> None:
    now = sample()
    then = sample()
    then.results[1] = Result("fib", "stage0_jit", [ok(2.2, 0.42)])
    rows = compute_rows(now, "fib", then)
    assert rows[1].program_then == 0.42
    assert rows[1].program_vs_then == pytest.approx(0.5)
    assert rows[1].wall_vs_then == pytest.approx(0.5)
    text = format_benchmark(now, "fib", compare=then)
    assert "prog now/then" in text and "0.500x" in text


def test_text_table_shows_failures_loudly() -> None:
    text = format_benchmark(sample(), "startup")
    lines = text.splitlines()
    assert lines[0] == "== startup =="
    assert "whole s" in lines[1] and "prog s" in lines[1] and "peak MB" in lines[1]
    row = next(line for line in lines if line.startswith("stage1_interp"))
    assert "FAIL" in row
    assert any("!!" in line and "expected '42'" in line for line in lines)


def test_markdown_table() -> None:
    text = format_benchmark(sample(), "fib", markdown=True)
    lines = text.splitlines()
    assert lines[0] == "#### fib"
    assert lines[2].startswith("| runner | whole s | prog s | peak MB |")
    assert lines[3].startswith("| --- | ---: |")
    assert all(line.startswith("|") and line.endswith("|") for line in lines[2:])
    assert len(lines) == 4 + 3


def test_summary() -> None:
    report = sample()
    body = summary_rows(report)
    by_name = {row[0]: row for row in body}
    assert by_name["cpython"][1] == "2/2"
    assert by_name["stage1_interp"][1] == "1/2"
    # stage0_jit whole/CPy: geomean of 1.1/2.2 and 0.5/0.05
    assert by_name["stage0_jit"][2] == fmt_ratio(math.sqrt(0.5 * 10.0))
    text = format_report(report)
    assert "== summary ==" in text
    assert "FAILED" in text and "startup/stage1_interp" in text
    md = format_report(report, markdown=True)
    assert "#### summary" in md


def test_error_status_is_shown() -> None:
    report = Report(benchmarks=["b"], runners=["cpython"])
    report.results = [Result("b", "cpython", [Run(0.1, None, 1, ERROR, "exit status 70: boom")])]
    assert report.failures and report.failures[0].status == ERROR
    assert "ERROR" in format_benchmark(report, "b")


def test_formatting_helpers() -> None:
    assert fmt_seconds(None) == "-"
    assert fmt_seconds(1.23456) == "1.235"
    assert fmt_seconds(0.001234) == "0.0012"
    assert fmt_ratio(None) == "-"
    assert fmt_ratio(1.0) == "1.00x"
    assert fmt_ratio(0.42) == "0.420x"
    assert fmt_ratio(12.34) == "12.3x"
    assert fmt_ratio(123.4) == "123x"


def with_reference() -> Report:
    """The sample report plus a reference runner (clox) and a variant of stage 1 (nojit)."""
    report = sample()
    report.runners = ["cpython", "clox", "stage0_jit", "stage1_interp", "nojit"]
    report.references = {"clox": "/opt/clox"}
    report.variants = {"nojit": "stage1_interp"}
    report.results += [
        Result("fib", "clox", [ok(0.5, 0.42)]),
        Result("startup", "clox", [ok(0.002, None)]),
        Result("fib", "nojit", [ok(11.0, 10.5)]),
        Result("startup", "nojit", [ok(0.2, None)]),
    ]
    return report


def test_reference_ratios() -> None:
    rows = {row.runner: row for row in compute_rows(with_reference(), "fib")}
    expected = {"stage0_jit": (0.21 / 0.42, 1.1 / 0.5), "clox": (1.0, 1.0), "cpython": (2.1 / 0.42, 2.2 / 0.5)}
    for runner, (want_program, want_wall) in expected.items():
        program, wall = rows[runner].versus("clox")
        assert program == pytest.approx(want_program) and wall == pytest.approx(want_wall)
    assert rows["stage0_jit"].versus("other") == (None, None)
    assert rows["clox"].previous is None and rows["clox"].program_vs_previous is None
    startup = {row.runner: row for row in compute_rows(with_reference(), "startup")}
    program, wall = startup["stage0_jit"].versus("clox")
    assert program is None and wall == pytest.approx(0.5 / 0.002)


def test_previous_stage_of_variants_and_references() -> None:
    report = with_reference()
    previous = [previous_stage(report, i) for i in range(len(report.runners))]
    # cpython and clox have none; stage0_jit is first; the variant compares with the stage it varies
    assert previous == [None, None, None, "stage0_jit", "stage1_interp"]
    report.runners.append("stage2_ic")  # a later stage skips the variant
    assert previous_stage(report, 5) == "stage1_interp"
    report.runners = ["stage0_jit", "nojit"]  # the varied stage does not run
    assert previous_stage(report, 1) == "stage0_jit"


def test_reference_columns_in_tables_and_summary() -> None:
    report = with_reference()
    text = format_benchmark(report, "fib")
    header = text.splitlines()[1]
    assert header.split()[-2:] == ["prog/clox", "whole/clox"]
    failed = next(line for line in format_benchmark(report, "startup").splitlines() if line.startswith("stage1"))
    assert failed.split()[-2:] == ["-", "-"]
    assert summary_headers(report)[-2:] == ["prog/clox", "whole/clox"]
    by_name = {row[0]: row for row in summary_rows(report)}
    assert by_name["clox"][-2:] == ["1.00x", "1.00x"]
    # stage0_jit whole/clox: geomean of 1.1/0.5 and 0.5/0.002; prog/clox from fib alone
    assert by_name["stage0_jit"][-1] == fmt_ratio(math.sqrt(2.2 * 250.0))
    assert by_name["stage0_jit"][-2] == fmt_ratio(0.5)
    md = format_report(report, markdown=True)
    assert "| prog/clox | whole/clox |" in md
