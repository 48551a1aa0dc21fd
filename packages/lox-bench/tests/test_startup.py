"""Tests for the start-up report: parsing ``--trace=startup`` lines and shaping the tables (no timing asserted)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from lox_bench.results import CPYTHON, ERROR, OK, Report, Result, Run
from lox_bench.startup import (
    breakdown,
    breakdown_table,
    fmt_ms,
    parse_breakdown,
    render,
    time_to_prompt,
    timing_table,
)

TRACE = """\
[startup] python start: 9.6 ms (CPU time before the VM's first line)
[startup] imports: 14.2 ms
[startup] VM set-up: 0.5 ms (heap reservation, runtime, natives)
[startup] front end and bytecode: 0.3 ms
[startup] run: 0.1 ms
[startup] exit: 0.1 ms (reports, flush)
[startup] total: 24.8 ms
"""


def test_parse_breakdown_reads_every_phase_in_order() -> None:
    phases = parse_breakdown("[tier] f is hot\n" + TRACE + "Operands must be numbers.\n")
    assert list(phases) == ["python start", "imports", "VM set-up", "front end and bytecode", "run", "exit",
                            "total"]
    assert phases["python start"] == 9.6
    assert phases["VM set-up"] == 0.5
    assert phases["total"] == 24.8


def test_parse_breakdown_ignores_lines_of_other_shapes() -> None:
    text = "[startup] no number here\n[startup] flags: 12 ms\n[startup] odd: 3 s\n[other] x: 1.0 ms\n"
    assert parse_breakdown(text) == {"flags": 12.0}
    assert parse_breakdown("") == {}


def test_breakdown_table_rows_are_phases_columns_stages() -> None:
    headers, body = breakdown_table({
        "stage0_jit": None,  # does not know --trace=startup
        "stage1_interp": {"imports": 14.25, "total": 24.8},
        "stage4_shapes": {"imports": 30.0, "shapes": 1.04, "total": 40.0},
    })
    assert headers == ["phase (ms)", "stage0_jit", "stage1_interp", "stage4_shapes"]
    assert body == [
        ["imports", "n/a", "14.2", "30.0"],
        ["shapes", "n/a", "-", "1.0"],  # a later stage's own phase goes where that stage reports it
        ["total", "n/a", "24.8", "40.0"],
    ]
    assert "| phase (ms) | stage0_jit |" in render("breakdown", (headers, body), markdown=True)


def runs(*walls: float, kb: int = 10240) -> list[Run]:
    return [Run(wall, None, kb) for wall in walls]


def test_timing_table_cells_ratio_and_peak() -> None:
    report = Report(benchmarks=["bare", "startup", "repl", "cold_script", "cold_classes"],
                    runners=[CPYTHON, "stage1_interp", "stage4_shapes"], repeat=3)
    report.results = [
        Result("bare", CPYTHON, runs(0.010, 0.012, 0.011, kb=8192)),
        Result("startup", "stage1_interp", runs(0.030, 0.022, 0.025)),
        Result("startup", "stage4_shapes", runs(0.033)),
        Result("repl", "stage1_interp", [Run(0.5, None, 0, ERROR, "no prompt")]),
        Result("repl", "stage4_shapes", runs(0.027)),
        Result("cold_classes", "stage1_interp", not_applicable=True),
        Result("cold_classes", "stage4_shapes", runs(0.040)),
    ]
    headers, body = timing_table(report)
    assert headers == ["measured (ms)", "python", "stage1_interp", "stage4_shapes"]
    rows = {row[0]: row[1:] for row in body}
    assert [row[0] for row in body][:4] == [
        "bare Python: python -c pass", "print 42; (startup.lox)", "print 42; / bare Python", "print 42; peak MB"]
    assert rows["bare Python: python -c pass"] == ["11.0 (10.0-12.0)", "", ""]
    assert rows["print 42; (startup.lox)"] == ["", "25.0 (22.0-30.0)", "33.0"]
    assert rows["print 42; / bare Python"] == ["", "2.27x", "3.00x"]
    assert rows["print 42; peak MB"] == ["8.0", "10.0", "10.0"]
    assert rows["REPL: first prompt"] == ["", "ERROR", "27.0"]
    assert rows["cold_script.lox"] == ["", "", ""]  # not measured at all
    assert rows["cold_classes.lox"] == ["", "n/a", "40.0"]
    text = render("start-up", (headers, body), markdown=False)
    assert text.splitlines()[0] == "== start-up =="


def test_fmt_ms() -> None:
    assert fmt_ms(None) == ""
    assert fmt_ms(Result("startup", "s", runs(0.0254))) == "25.4"
    assert fmt_ms(Result("startup", "s", [Run(0.1, None, 0, ERROR)])) == ERROR


FAKE_REPL = "import sys; sys.stdout.write('> '); sys.stdout.flush(); sys.stdin.read()"


def test_time_to_prompt_sees_the_prompt_and_reports_a_missing_one() -> None:
    assert time_to_prompt([sys.executable, "-c", FAKE_REPL]).status == OK
    quiet = time_to_prompt([sys.executable, "-c", "import sys; sys.exit('broken')"])
    assert quiet.status == ERROR
    assert "exit status 1: broken" in quiet.detail


FAKE_STAGE = """\
import sys
if sys.argv[1:2] == ["--trace=startup"] and "old" in __file__:
    sys.stderr.write("usage: ...\\nerror: --trace: unknown startup (choose from compile)\\n")
    sys.exit(64)
sys.stderr.write("[startup] imports: 14.2 ms\\n[startup] total: 24.8 ms\\n")
print(42)
"""


def test_breakdown_of_a_stage_and_of_one_without_the_category(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("fake_new_stage", "fake_old_stage"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
        (tmp_path / name / "__main__.py").write_text(textwrap.dedent(FAKE_STAGE))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    source = tmp_path / "startup.lox"
    assert breakdown("fake_new_stage", source) == ({"imports": 14.2, "total": 24.8}, "")
    assert breakdown("fake_old_stage", source) == (None, "does not know --trace=startup yet")
