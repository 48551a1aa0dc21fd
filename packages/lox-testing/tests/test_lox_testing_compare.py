"""Tests for the comparison of a run's output with a program's expectations."""

from __future__ import annotations

from lox_testing import RunResult, compare, format_failure, parse_expectations


def result(stdout: str = "", stderr: str = "", code: int | None = 0, timed_out: bool = False) -> RunResult:
    return RunResult(("python", "-m", "vm", "x.lox"), code, stdout, stderr, timed_out, 60.0)


def test_matching_output_passes() -> None:
    exp = parse_expectations("print 1; // expect: 1\nprint 2; // expect: 2\n")
    assert compare(exp, result("1\n2\n")) == []


def test_stdout_mismatch_is_a_diff() -> None:
    exp = parse_expectations("print 1; // expect: 1\nprint 2; // expect: 2\n")
    problems = compare(exp, result("1\n3\n"))
    assert problems[0] == "stdout differs:"
    assert "  -2" in problems and "  +3" in problems


def test_missing_final_newline_is_caught() -> None:
    exp = parse_expectations("print 1; // expect: 1\n")
    problems = compare(exp, result("1"))
    assert problems and problems[0] == "stdout differs:"


def test_unexpected_stderr_fails_a_clean_run() -> None:
    exp = parse_expectations("print 1; // expect: 1\n")
    assert compare(exp, result("1\n", "warning: something\n"))[0] == "stderr differs:"


def test_exit_code_checked() -> None:
    exp = parse_expectations("exit(3); // expect exit: 3\n")
    assert compare(exp, result("", "", 3)) == []
    assert compare(exp, result("", "", 0)) == ["exit code: expected 3, got 0"]


def test_runtime_error_message_and_first_trace_line() -> None:
    exp = parse_expectations('print 1; // expect: 1\nfun f() {\n  -"x"; // expect runtime error: Operand must be a number.\n}\nf();\n')
    good = result("1\n", "Operand must be a number.\n[line 3] in f()\n[line 5] in script\n", 70)
    assert compare(exp, good) == []
    wrong_line = result("1\n", "Operand must be a number.\n[line 5] in f()\n[line 5] in script\n", 70)
    assert compare(exp, wrong_line) == ["runtime error line: expected [line 3], got [line 5]"]
    wrong_msg = result("1\n", "Operands must be numbers.\n[line 3] in f()\n", 70)
    assert compare(exp, wrong_msg) == [
        "runtime error message: expected 'Operand must be a number.', got 'Operands must be numbers.'"
    ]
    no_trace = result("1\n", "Operand must be a number.\n", 70)
    assert "found none" in compare(exp, no_trace)[0]
    wrong_exit = result("1\n", "Operand must be a number.\n[line 3] in f()\n", 1)
    assert compare(exp, wrong_exit) == ["exit code: expected 70, got 1"]


def test_runtime_error_after_expected_stderr_lines() -> None:
    exp = parse_expectations('print_error("a"); // expect stderr: a\nnil(); // expect runtime error: Can only call functions and classes.\n')
    ok = result("", "a\nCan only call functions and classes.\n[line 2] in script\n", 70)
    assert compare(exp, ok) == []
    missing = result("", "Can only call functions and classes.\n[line 2] in script\n", 70)
    assert compare(exp, missing)[0] == "stderr before the runtime error differs:"


def test_compile_errors_compared_exactly() -> None:
    exp = parse_expectations("var 1; // Error at '1': Expect variable name.\n")
    assert compare(exp, result("", "[line 1] Error at '1': Expect variable name.\n", 65)) == []
    extra = result("", "[line 1] Error at '1': Expect variable name.\n[line 1] Error at end: x\n", 65)
    assert compare(exp, extra)[0] == "compile errors differ:"
    ran = result("1\n", "", 0)
    problems = compare(exp, ran)
    assert "exit code: expected 65, got 0" in problems
    assert "stdout differs:" in problems


def test_allow_compile_error_accepts_only_clean_reports() -> None:
    exp = parse_expectations("// allow compile error\nprint 1; // expect: 1\n")
    assert compare(exp, result("1\n")) == []
    assert compare(exp, result("", "[line 1] Error at '(': Too much nesting.\n", 65)) == []
    crash = result("", "Traceback (most recent call last):\nRecursionError: maximum recursion depth\n", 1)
    assert compare(exp, crash) != []
    messy = result("", "[line 1] Error at '(': x\nTraceback (most recent call last):\n", 65)
    assert compare(exp, messy) != []
    silent = result("", "", 65)
    assert compare(exp, silent) != []


def test_timeout_reported() -> None:
    exp = parse_expectations("print 1; // expect: 1\n")
    assert compare(exp, result("", "", None, timed_out=True)) == ["timed out after 60 s"]


def test_failure_report_shows_both_sides() -> None:
    exp = parse_expectations("print 1; // expect: 1\n")
    res = result("2\n", "boom\n", 70)
    report = format_failure("default:core/x.lox", exp, res, compare(exp, res))
    assert report.startswith("default:core/x.lox: the VM does not conform")
    assert "command: python -m vm x.lox" in report
    assert "- exit code: expected 0, got 70" in report
    assert "expected stdout (exit 0):\n    1" in report
    assert "actual stdout (exit 70):\n    2" in report
    assert "actual stderr:\n    boom" in report
