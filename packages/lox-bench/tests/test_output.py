"""Tests for checking a benchmark's output and parsing its timing line."""

from __future__ import annotations

from lox_bench.output import check_output, parse_timing


def test_expected_lines_plus_timing() -> None:
    verdict = check_output("832040\n0.723456\n", ["832040"])
    assert verdict.ok
    assert verdict.program_seconds == 0.723456
    assert verdict.message == ""


def test_timing_in_exponent_form_as_lox_prints_it() -> None:
    verdict = check_output("1\n2\n1.5e-05\n", ["1", "2"])
    assert verdict.ok
    assert verdict.program_seconds == 1.5e-05


def test_no_timing_line_is_accepted_with_unknown_program_time() -> None:
    verdict = check_output("42\n", ["42"])
    assert verdict.ok
    assert verdict.program_seconds is None


def test_wrong_line_is_reported_with_its_number() -> None:
    verdict = check_output("1\n3\n0.5\n", ["1", "2"])
    assert not verdict.ok
    assert verdict.program_seconds is None
    assert "line 2" in verdict.message
    assert "'2'" in verdict.message and "'3'" in verdict.message


def test_missing_lines() -> None:
    verdict = check_output("1\n", ["1", "2", "3"])
    assert not verdict.ok
    assert "missing '2'" in verdict.message


def test_extra_lines() -> None:
    verdict = check_output("1\nextra\nmore\n0.1\n", ["1"])
    assert not verdict.ok
    assert "extra" in verdict.message


def test_last_line_must_be_a_timing() -> None:
    verdict = check_output("1\nnot a number\n", ["1"])
    assert not verdict.ok
    assert "not a timing" in verdict.message


def test_empty_output() -> None:
    verdict = check_output("", ["42"])
    assert not verdict.ok


def test_parse_timing() -> None:
    assert parse_timing("0.25") == 0.25
    assert parse_timing(" 3 ") == 3.0
    assert parse_timing("nan") is None
    assert parse_timing("inf") is None
    assert parse_timing("-1") is None
    assert parse_timing("abc") is None
