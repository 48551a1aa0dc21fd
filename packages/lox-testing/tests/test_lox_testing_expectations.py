"""Tests for the expectation-comment parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing import Expectation, ExpectationError, RuntimeErrorExpectation, parse_expectations, parse_file
from lox_testing.expectations import comments


def test_plain_program_expects_nothing() -> None:
    assert parse_expectations("print 1;\n") == Expectation()


def test_stdout_lines_in_order() -> None:
    exp = parse_expectations('print 1; // expect: 1\nprint "a b"; // expect: a b\n')
    assert exp.stdout == ("1", "a b")
    assert exp.stdout_text == "1\na b\n"
    assert exp.exit_code == 0


def test_empty_and_space_preserving_stdout() -> None:
    exp = parse_expectations('print ""; // expect:\nprint ""; // expect: \nprint "  x"; // expect:   x\n')
    assert exp.stdout == ("", "", "  x")


def test_runtime_error_takes_the_comment_line() -> None:
    exp = parse_expectations('print 1; // expect: 1\n\n-"a"; // expect runtime error: Operand must be a number.\n')
    assert exp.runtime_error == RuntimeErrorExpectation("Operand must be a number.", 3)
    assert exp.exit_code == 70
    assert exp.stdout == ("1",)


def test_runtime_error_without_trace_comments_expects_a_one_line_script_trace() -> None:
    exp = parse_expectations('\n\nnil(); // expect runtime error: Can only call functions and classes.\n')
    assert exp.trace == ("[line 3] in script",)


def test_no_runtime_error_no_trace() -> None:
    assert parse_expectations("print 1; // expect: 1\n").trace == ()


TRACED = """\
fun f() {
  -"x"; // expect runtime error: Operand must be a number.
}
fun g() { f(); }
g();
// expect trace: [line 2] in f()
// expect trace: [line 4] in g()
// expect trace: [line 5] in script
"""


def test_trace_lines_in_comment_order() -> None:
    exp = parse_expectations(TRACED)
    assert exp.trace == ("[line 2] in f()", "[line 4] in g()", "[line 5] in script")
    assert exp.runtime_error == RuntimeErrorExpectation("Operand must be a number.", 2)


def test_trace_comments_may_come_before_the_error_comment() -> None:
    src = "// expect trace: [line 3] in f()\n// expect trace: [line 4] in script\nnil(); // expect runtime error: m\n"
    assert parse_expectations(src).trace == ("[line 3] in f()", "[line 4] in script")


def test_repeated_trace_lines_and_elision() -> None:
    src = (
        "fun f() { f(); } // expect runtime error: Stack overflow.\n"
        "f();\n"
        "// expect trace (32 times): [line 1] in f()\n"
        "// expect trace: [... 99960 more frames ...]\n"
        "// expect trace (7 times): [line 1] in f()\n"
        "// expect trace: [line 2] in script\n"
    )
    exp = parse_expectations(src)
    assert len(exp.trace) == 41
    assert exp.trace[:32] == ("[line 1] in f()",) * 32
    assert exp.trace[32] == "[... 99960 more frames ...]"
    assert exp.trace[33:] == ("[line 1] in f()",) * 7 + ("[line 2] in script",)


def test_one_time_is_one_line() -> None:
    src = "nil(); // expect runtime error: m\n// expect trace (1 times): [line 1] in script\n"
    assert parse_expectations(src).trace == ("[line 1] in script",)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("// expect trace: [line 1] in script\n", "need an 'expect runtime error'"),
        ("print 1; // expect: 1\n// expect trace: [line 1] in script\n", "need an 'expect runtime error'"),
        ("// Error: m\n// expect trace: [line 1] in script\n", "need an 'expect runtime error'"),
        ("\nnil(); // expect runtime error: m\n// expect trace: [line 3] in script\n", r"must start with '\[line 2\]'"),
        ("\nnil(); // expect runtime error: m\n// expect trace: [line 20] in f()\n", r"must start with '\[line 2\]'"),
        ("nil(); // expect runtime error: m\n// expect trace: [... 5 more frames ...]\n", r"must start with '\[line 1\]'"),
        ("nil(); // expect runtime error: m\n// expect trace: [line 1] in f\n", "not a stack-trace line"),
        ("nil(); // expect runtime error: m\n// expect trace: line 1 in script\n", "not a stack-trace line"),
        ("nil(); // expect runtime error: m\n// expect trace:  [line 1] in script\n", "not a stack-trace line"),
        ("nil(); // expect runtime error: m\n// expect trace (0 times): [line 1] in script\n", "at least 1"),
        ("nil(); // expect runtime error: m\n// expect trace (x times): [line 1] in script\n", "unrecognised"),
        ("nil(); // expect runtime error: m\n// expect traces: [line 1] in script\n", "unrecognised"),
    ],
)
def test_bad_trace_comments_are_rejected(source: str, message: str) -> None:
    with pytest.raises(ExpectationError, match=message):
        parse_expectations(source, "t.lox")


def test_trace_error_names_the_first_trace_comment_line() -> None:
    src = "fun f() {\n  nil(); // expect runtime error: m\n}\nf();\n// expect trace: [line 4] in f()\n"
    with pytest.raises(ExpectationError, match=r"^t\.lox:5: "):
        parse_expectations(src, "t.lox")


def test_compile_errors_long_and_short_form() -> None:
    src = "// [line 3] Error at end: Expect '}' after block.\nvar 1; // Error at '1': Expect variable name.\n{\n"
    exp = parse_expectations(src)
    assert exp.compile_errors == (
        "[line 3] Error at end: Expect '}' after block.",
        "[line 2] Error at '1': Expect variable name.",
    )
    assert exp.is_compile_error
    assert exp.exit_code == 65


def test_scanner_error_short_form() -> None:
    exp = parse_expectations("\n@ // Error: Unexpected character.\n")
    assert exp.compile_errors == ("[line 2] Error: Unexpected character.",)


def test_stdin_lines_each_end_with_newline() -> None:
    exp = parse_expectations("// stdin: ab\n// stdin:\n// stdin: c d\n")
    assert exp.stdin == "ab\n\nc d\n"


def test_stderr_and_exit() -> None:
    exp = parse_expectations('print_error("x"); // expect stderr: x\nexit(3); // expect exit: 3\n')
    assert exp.stderr == ("x",)
    assert exp.exit_code == 3


def test_allow_compile_error_flag() -> None:
    exp = parse_expectations("// allow compile error\nprint 1; // expect: 1\n")
    assert exp.allow_compile_error
    assert exp.stdout == ("1",)


def test_comment_markers_inside_strings_are_ignored() -> None:
    src = 'print "// expect: nope"; // expect: // expect: nope\nprint "a\n// expect: still string\nb";\n'
    exp = parse_expectations(src)
    assert exp.stdout == ("// expect: nope",)


def test_comments_report_their_lines() -> None:
    assert comments('// one\nprint "x\n"; // three\n') == [(1, " one"), (3, " three")]


def test_prose_comments_are_not_expectations() -> None:
    exp = parse_expectations("// Errors are reported later.\n// This checks the expected value.\nprint 1;\n")
    assert exp == Expectation()


@pytest.mark.parametrize(
    "source",
    [
        "// expected: 1\n",
        "// expect runtime error:\n",
        "// expect exit: x\n",
        "nil(); // expect runtime error: a\nnil(); // expect runtime error: b\n",
        "// [line 1] Error at 'x': m\n// expect: 1\n",
        "// Error at 'x': m\n// expect runtime error: boom\n",
        "exit(1); // expect exit: 1\n// expect exit: 2\n",
        "nil(); // expect runtime error: a\n// expect exit: 3\n",
        "// Error: m\n// allow compile error\n",
    ],
)
def test_malformed_or_contradictory_comments_are_rejected(source: str) -> None:
    with pytest.raises(ExpectationError):
        parse_expectations(source, "t.lox")


def test_error_names_file_and_line() -> None:
    with pytest.raises(ExpectationError, match=r"^t\.lox:2: "):
        parse_expectations("print 1;\n// expect 1\n", "t.lox")


def test_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "a.lox"
    path.write_text("print 2; // expect: 2\n", encoding="utf-8")
    assert parse_file(path).stdout == ("2",)
