"""Tests for the side-by-side tables the stage READMEs paste (python -m lox_bench.pairs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_bench.pairs import main, pair_table
from lox_bench.results import Report, Result, Run


def report() -> Report:
    r = Report(benchmarks=["fib", "startup"], runners=["stage0_jit", "stage1_interp"], repeat=1)
    r.results = [
        Result("fib", "stage0_jit", [Run(wall=1.0, program=0.2, peak_kb=10240)]),
        Result("fib", "stage1_interp", [Run(wall=0.5, program=0.3, peak_kb=20480)]),
        Result("startup", "stage0_jit", [Run(wall=0.2, program=None, peak_kb=10240)]),
        Result("startup", "stage1_interp", [Run(wall=0.1, program=None, peak_kb=10240)]),
    ]
    return r


def test_pair_table_rows_are_the_medians_and_their_ratios() -> None:
    lines = pair_table(report(), "stage0_jit", "stage1_interp").splitlines()
    assert lines[0].startswith("| benchmark | stage0_jit whole s | stage0_jit prog s | stage1_interp whole s")
    assert lines[2] == "| fib | 1.000 | 0.200 | 0.500 | 0.300 | 0.500x | 1.50x | 20.0 |"
    assert lines[3] == "| startup | 0.200 | - | 0.100 | - | 0.500x | - | 10.0 |"


def test_pair_table_with_a_reference() -> None:
    r = report()
    r.runners.append("clox")
    r.references = {"clox": "/opt/clox"}
    r.results += [Result("fib", "clox", [Run(wall=0.25, program=0.1, peak_kb=1024)])]
    lines = pair_table(r, "stage0_jit", "stage1_interp", ["clox"]).splitlines()
    assert lines[0].endswith("| clox whole s | clox prog s | whole stage1_interp/clox | prog stage1_interp/clox |")
    assert lines[2].endswith("| 20.0 | 0.250 | 0.100 | 2.00x | 3.00x |")
    assert lines[3].endswith("| 10.0 | - | - | - | - |")  # no clox result for startup


def test_main_reads_a_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    report().save(path)
    assert main([str(path), "stage0_jit", "stage1_interp"]) == 0
    assert "| fib |" in capsys.readouterr().out
    assert main([str(path), "stage0_jit", "stage9"]) == 64
    assert "no runner stage9" in capsys.readouterr().err
    assert main([str(path)]) == 64
    assert main([str(path), "stage0_jit", "stage1_interp", "stage0_jit"]) == 0  # any runner can be a reference
    assert "stage0_jit prog s" in capsys.readouterr().out
