"""Tests for the compile-time report: reading ``--stats`` and the program's output, and shaping rows."""

from __future__ import annotations

from lox_bench.compiletime import llvm_load_ms, main_thread_ms, row, timed_section

STATS = """\
compile.functions                2
compile.llvm_load_s              33.250 ms
compile.main_thread_s            99.190 ms
compile.total_s                  80.000 ms
"""


def test_main_thread_time_is_preferred_to_total_time() -> None:
    assert main_thread_ms(STATS) == 99.19
    assert main_thread_ms("compile.total_s                  80.000 ms\n") == 80.0
    assert main_thread_ms("nothing compiled\n") == 0.0


def test_llvm_load_is_read_or_zero() -> None:
    assert llvm_load_ms(STATS) == 33.25
    assert llvm_load_ms("compile.total_s                  80.000 ms\n") == 0.0


def test_timed_section_is_the_line_after_the_expected_output() -> None:
    assert timed_section("832040\n0.0345\n", ("832040",)) == 0.0345
    assert timed_section("42\n", ("42",)) == 0.0       # startup: no timed section


def test_row_gives_each_config_then_the_ratios_to_the_first() -> None:
    values = {"prog": {"a": 0.2, "b": 0.25}, "compile": {"a": 100.0, "b": 25.0}, "load": {"a": 30.0, "b": 20.0}}
    assert row("fib", ["a", "b"], values) == "| fib | 0.200 | 0.250 | 100.0 | 25.0 | 30.0 | 20.0 | 0.25x |"
    nothing = {"prog": {"a": 0.0, "b": 0.0}, "compile": {"a": 0.0, "b": 0.0}, "load": {"a": 0.0, "b": 0.0}}
    assert row("cold", ["a", "b"], nothing).endswith("| - |")
