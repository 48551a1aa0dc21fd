"""lox-bench: run the bench/ Lox programs on every stage and their CPython twins, side by side."""

from lox_bench.discovery import (
    DEFAULT_STAGES,
    Benchmark,
    Runner,
    available_stages,
    find_bench_dir,
    load_benchmarks,
)
from lox_bench.measure import ProcessOutcome, run_process
from lox_bench.output import Verdict, check_output
from lox_bench.results import Report, Result, Run
from lox_bench.suite import run_suite
from lox_bench.table import Row, compute_rows, format_report

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_STAGES",
    "Benchmark",
    "ProcessOutcome",
    "Report",
    "Result",
    "Row",
    "Run",
    "Runner",
    "Verdict",
    "available_stages",
    "check_output",
    "compute_rows",
    "find_bench_dir",
    "format_report",
    "load_benchmarks",
    "run_process",
    "run_suite",
]
