"""Tests for the JSON round trip of reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lox_bench.results import FAIL, FORMAT, Report, Result, Run


def make_report() -> Report:
    return Report(
        benchmarks=["fib", "startup"],
        runners=["cpython", "stage0_jit"],
        results=[
            Result("fib", "cpython", [Run(1.0, 0.9, 1000), Run(1.1, 1.0, 1100)]),
            Result("fib", "stage0_jit", [Run(0.5, 0.1, 50000, FAIL, "line 1: expected '1', got '2'")]),
            Result("startup", "cpython", [Run(0.04, None, 900)]),
            Result("startup", "stage0_jit", [], not_applicable=True),
        ],
        repeat=2,
        flags={"stage0_jit": ["--jit=eager"]},
        created="2024-01-01T00:00:00+00:00",
        machine={"platform": "test", "cpus": "2"},
        references={"clox": "/opt/clox"},
        variants={"nojit": "stage1_interp"},
    )


def test_json_round_trip(tmp_path: Path) -> None:
    report = make_report()
    path = tmp_path / "out.json"
    report.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT
    assert data["results"][0]["wall"] == pytest.approx(1.05)  # medians are written for readers
    back = Report.load(path)
    assert back == report
    assert back.get("fib", "stage0_jit") is not None
    assert back.failures[0].detail.startswith("line 1")
    assert back.get("startup", "stage0_jit").status == "n/a"  # type: ignore[union-attr]
    assert back.get("startup", "cpython").program is None  # type: ignore[union-attr]


def test_from_json_rejects_other_files() -> None:
    with pytest.raises(ValueError):
        Report.from_json('{"format": "something else"}')


def test_files_without_references_or_variants_still_load() -> None:
    data = json.loads(make_report().to_json())
    del data["references"], data["variants"]
    back = Report.from_dict(data)
    assert back.references == {} and back.variants == {}
    assert back.is_stage("stage0_jit") and not back.is_stage("cpython")


def test_runner_kinds() -> None:
    report = make_report()
    assert report.is_reference("clox") and not report.is_stage("clox")
    assert not report.is_stage("nojit") and not report.is_reference("nojit")
