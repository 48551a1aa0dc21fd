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


NESTED = """\
print 1; // expect: 1
fun f() {
  -"x"; // expect runtime error: Operand must be a number.
}
fun g() {
  f();
}
g();
// expect trace: [line 3] in f()
// expect trace: [line 6] in g()
// expect trace: [line 8] in script
"""
MESSAGE = "Operand must be a number.\n"
TRACE = "[line 3] in f()\n[line 6] in g()\n[line 8] in script\n"


def test_runtime_error_with_the_whole_trace_passes() -> None:
    exp = parse_expectations(NESTED)
    assert compare(exp, result("1\n", MESSAGE + TRACE, 70)) == []


def test_wrong_innermost_line_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", MESSAGE + TRACE.replace("[line 3]", "[line 5]"), 70))
    assert problems[0] == "stack trace differs (every line after the message):"
    assert "  -[line 3] in f()" in problems and "  +[line 5] in f()" in problems


def test_wrong_outer_frame_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", MESSAGE + TRACE.replace("[line 6] in g()", "[line 7] in g()"), 70))
    assert problems[0] == "stack trace differs (every line after the message):"
    assert "  -[line 6] in g()" in problems and "  +[line 7] in g()" in problems
    assert "   [line 3] in f()" in problems  # context lines say where in the trace it is


def test_wrong_function_name_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", MESSAGE + TRACE.replace("in g()", "in script"), 70))
    assert "  +[line 6] in script" in problems


def test_missing_frame_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", MESSAGE + "[line 3] in f()\n[line 8] in script\n", 70))
    assert problems[0] == "stack trace differs (every line after the message):"
    assert "  -[line 6] in g()" in problems
    assert not any(p.startswith("  +[") for p in problems)


def test_frames_in_the_wrong_order_are_caught() -> None:
    exp = parse_expectations(NESTED)
    reversed_trace = "".join(reversed(TRACE.splitlines(keepends=True)))
    assert compare(exp, result("1\n", MESSAGE + reversed_trace, 70)) != []


def test_extra_lines_after_the_trace_are_caught() -> None:
    exp = parse_expectations(NESTED)
    crash = "Traceback (most recent call last):\n  File \"vm.py\", line 1\nKeyError: 3\n"
    problems = compare(exp, result("1\n", MESSAGE + TRACE + crash, 70))
    assert problems[0] == "stack trace differs (every line after the message):"
    assert "  +Traceback (most recent call last):" in problems
    assert "  +KeyError: 3" in problems


def test_no_trace_at_all_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", MESSAGE, 70))
    assert problems[0] == "stack trace differs (every line after the message):"
    assert "  -[line 8] in script" in problems


def test_wrong_message_and_exit_code() -> None:
    exp = parse_expectations(NESTED)
    assert compare(exp, result("1\n", "Operands must be numbers.\n" + TRACE, 70)) == [
        "runtime error message: expected 'Operand must be a number.', got 'Operands must be numbers.'"
    ]
    assert compare(exp, result("1\n", MESSAGE + TRACE, 1)) == ["exit code: expected 70, got 1"]


def test_extra_line_before_the_message_is_caught() -> None:
    exp = parse_expectations(NESTED)
    problems = compare(exp, result("1\n", "debug: hello\n" + MESSAGE + TRACE, 70))
    assert problems[0] == "runtime error message: expected 'Operand must be a number.', got 'debug: hello'"
    assert "  +Operand must be a number." in problems


def test_default_trace_is_one_script_line() -> None:
    exp = parse_expectations('print 1; // expect: 1\n\n-"x"; // expect runtime error: Operand must be a number.\n')
    assert compare(exp, result("1\n", MESSAGE + "[line 3] in script\n", 70)) == []
    # Without trace comments, an error inside a function no longer passes on its first line alone.
    in_function = result("1\n", MESSAGE + "[line 3] in f()\n[line 5] in script\n", 70)
    problems = compare(exp, in_function)
    assert "  -[line 3] in script" in problems and "  +[line 3] in f()" in problems
    assert "  +[line 5] in script" in problems


def test_repeated_trace_lines_are_counted() -> None:
    src = (
        "fun f() { f(); } // expect runtime error: Stack overflow.\n"
        "f();\n"
        "// expect trace (32 times): [line 1] in f()\n"
        "// expect trace: [... 99960 more frames ...]\n"
        "// expect trace (7 times): [line 1] in f()\n"
        "// expect trace: [line 2] in script\n"
    )
    exp = parse_expectations(src)
    inner, outer = "[line 1] in f()\n" * 32, "[line 1] in f()\n" * 7 + "[line 2] in script\n"
    good = "Stack overflow.\n" + inner + "[... 99960 more frames ...]\n" + outer
    assert compare(exp, result("", good, 70)) == []
    one_short = good.replace(inner, "[line 1] in f()\n" * 31)
    assert compare(exp, result("", one_short, 70))[0] == "stack trace differs (every line after the message):"
    wrong_count = good.replace("99960", "99959")
    assert "  +[... 99959 more frames ...]" in compare(exp, result("", wrong_count, 70))


def test_runtime_error_after_expected_stderr_lines() -> None:
    exp = parse_expectations('print_error("a"); // expect stderr: a\nnil(); // expect runtime error: Can only call functions and classes.\n')
    ok = result("", "a\nCan only call functions and classes.\n[line 2] in script\n", 70)
    assert compare(exp, ok) == []
    missing = result("", "Can only call functions and classes.\n[line 2] in script\n", 70)
    problems = compare(exp, missing)
    assert problems[0] == "stderr before the runtime error differs:"
    assert "  -a" in problems and len([p for p in problems if p.startswith("  -") and not p.startswith("  ---")]) == 1
    extra = result("", "a\nCan only call functions and classes.\n[line 2] in script\nb\n", 70)
    assert "  +b" in compare(exp, extra)


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


def test_failure_report_lists_the_expected_trace() -> None:
    exp = parse_expectations(NESTED)
    res = result("1\n", MESSAGE + "[line 3] in f()\n", 70)
    report = format_failure("default:core/x.lox", exp, res, compare(exp, res))
    assert "expected runtime error: Operand must be a number.\nexpected stack trace:\n" in report
    assert "    [line 3] in f()\n    [line 6] in g()\n    [line 8] in script\n" in report
    assert "- stack trace differs (every line after the message):" in report
