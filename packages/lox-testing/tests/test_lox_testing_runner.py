"""End-to-end tests of the runner against a fake VM module (no real Lox VM needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing_helpers import write
from lox_testing import Case, check_case, run_case, run_program


def case_for(path: Path, mode: str = "default", flags: tuple[str, ...] = ()) -> Case:
    return Case(mode, flags, "core/t/" + path.name, path)


def test_passing_program(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/ok.lox", """
        print 1; // expect: 1
        // fake-stdout: 1
    """)
    run_case(fake_vm, case_for(path))


def test_failing_program_fails_the_test_with_a_report(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/bad.lox", """
        print 1; // expect: 1
        // fake-stdout: 2
    """)
    with pytest.raises(pytest.fail.Exception) as info:
        run_case(fake_vm, case_for(path))
    report = str(info.value)
    assert "default:core/t/bad.lox" in report
    assert "-1" in report and "+2" in report


def test_stdin_is_fed(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/stdin.lox", """
        // stdin: hello
        // stdin: world
        // expect: hello
        // expect: world
        // fake-echo-stdin
    """)
    assert check_case(fake_vm, case_for(path)) is None


def test_mode_flags_come_before_the_file(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/flags.lox", """
        // expect: --jit=off --threshold=2
        // fake-echo-flags
    """)
    assert check_case(fake_vm, case_for(path, "off", ("--jit=off", "--threshold=2"))) is None


def test_runtime_error_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/rt.lox", """
        print "before"; // expect: before
        nil(); // expect runtime error: Can only call functions and classes.
        // fake-stdout: before
        // fake-stderr: Can only call functions and classes.
        // fake-stderr: [line 2] in script
        // fake-exit: 70
    """)
    assert check_case(fake_vm, case_for(path)) is None


def test_runtime_error_wrong_line_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/rt.lox", """
        nil(); // expect runtime error: Can only call functions and classes.
        // fake-stderr: Can only call functions and classes.
        // fake-stderr: [line 7] in script
        // fake-exit: 70
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None
    assert "- stack trace differs (every line after the message):" in report
    assert "  -[line 1] in script\n  +[line 7] in script" in report


NESTED = """
    fun inner() {
      nil(); // expect runtime error: Can only call functions and classes.
    }
    fun outer() {
      inner();
    }
    outer();
    // expect trace: [line 2] in inner()
    // expect trace: [line 5] in outer()
    // expect trace: [line 7] in script
    // fake-stderr: Can only call functions and classes.
    // fake-stderr: [line 2] in inner()
"""


def test_whole_trace_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/nested.lox", NESTED + """
        // fake-stderr: [line 5] in outer()
        // fake-stderr: [line 7] in script
        // fake-exit: 70
    """)
    assert check_case(fake_vm, case_for(path)) is None


def test_wrong_outer_frame_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/nested.lox", NESTED + """
        // fake-stderr: [line 5] in outer()
        // fake-stderr: [line 6] in script
        // fake-exit: 70
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None
    assert "  -[line 7] in script\n  +[line 6] in script" in report


def test_missing_frame_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/nested.lox", NESTED + """
        // fake-stderr: [line 7] in script
        // fake-exit: 70
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None
    assert "  -[line 5] in outer()" in report


def test_python_traceback_after_the_trace_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/nested.lox", NESTED + """
        // fake-stderr: [line 5] in outer()
        // fake-stderr: [line 7] in script
        // fake-stderr: Traceback (most recent call last):
        // fake-stderr: RecursionError: maximum recursion depth exceeded
        // fake-exit: 70
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None
    assert "  +Traceback (most recent call last):" in report
    assert "  +RecursionError: maximum recursion depth exceeded" in report


def test_unannotated_error_inside_a_function_fails_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/bare.lox", """
        fun f() {
          nil(); // expect runtime error: Can only call functions and classes.
        }
        f();
        // fake-stderr: Can only call functions and classes.
        // fake-stderr: [line 2] in f()
        // fake-stderr: [line 4] in script
        // fake-exit: 70
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None
    assert "expected stack trace:\n    [line 2] in script\n" in report


def test_compile_error_end_to_end(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/ce.lox", """
        print; // Error at ';': Expect expression.
        // fake-stderr: [line 1] Error at ';': Expect expression.
        // fake-exit: 65
    """)
    assert check_case(fake_vm, case_for(path)) is None


def test_exit_status_and_stderr(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/exit.lox", """
        print_error("oops"); // expect stderr: oops
        exit(4); // expect exit: 4
        // fake-stderr: oops
        // fake-exit: 4
    """)
    assert check_case(fake_vm, case_for(path)) is None


def test_timeout(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/slow.lox", """
        // fake-sleep: 30
    """)
    report = check_case(fake_vm, case_for(path), timeout=1.0)
    assert report is not None and "timed out after 1 s" in report


def test_generated_case_runs_from_a_temporary_file(fake_vm: str) -> None:
    case = Case("default", (), "core/generated/x.lox", None, "// expect: hi\n// fake-stdout: hi\n")
    assert check_case(fake_vm, case) is None


def test_missing_module_is_a_failure_not_a_crash(corpus: Path) -> None:
    path = write(corpus, "core/t/ok.lox", "print 1; // expect: 1\n")
    report = check_case("no_such_module_for_lox_tests", case_for(path))
    assert report is not None and "No module named" in report


def test_run_program_captures_everything(fake_vm: str, corpus: Path) -> None:
    path = write(corpus, "core/t/raw.lox", """
        // fake-stdout-raw: no newline
        // fake-stderr: err
        // fake-exit: 3
    """)
    res = run_program(fake_vm, path)
    assert (res.stdout, res.stderr, res.exit_code, res.timed_out) == ("no newline", "err\n", 3, False)


def test_timeout_from_environment(fake_vm: str, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOX_TEST_TIMEOUT", "1")
    path = write(corpus, "core/t/slow.lox", """
        // fake-sleep: 30
    """)
    report = check_case(fake_vm, case_for(path))
    assert report is not None and "timed out after 1 s" in report
