"""Stage 0's command line as a user runs it: ``python -m stage0_jit [options] [file]``.

Each test starts a real process. Whatever the input, the process must end
with the right output or a clean Lox error: never a Python traceback, never
a signal.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from lox_testing.startup import imported_modules
from stage0_helpers import assert_clean, run_program, run_vm

VM = "stage0_jit"
FLAGS = ["--dump", "--trace", "--stats", "--set", "--help-settings", "--help"]


# ---------------------------------------------------------------- usage and exit statuses
def test_two_files_is_a_usage_error(tmp_path: Path) -> None:
    a = tmp_path / "a.lox"
    a.write_text("print 1;\n")
    run = run_vm(str(a), str(a))
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


@pytest.mark.parametrize("flag", ["--frobnicate", "--dump=bogus", "--trace=everything", "--set=nosuch=1",
                                  "--set=opt_level=fast", "--set=opt_level"])
def test_bad_flags_are_usage_errors(tmp_path: Path, flag: str) -> None:
    run = run_program(tmp_path, "print 1;\n", flag)
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


def test_unreadable_file_exits_74(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir" / "missing.lox"
    run = run_vm(str(missing))
    assert_clean(run, 74)
    assert run.stderr == f'Could not open file "{missing}".\n'
    assert run.stdout == ""


def test_a_directory_is_not_readable(tmp_path: Path) -> None:
    run = run_vm(str(tmp_path))
    assert_clean(run, 74)
    assert run.stderr == f'Could not open file "{tmp_path}".\n'


def test_help_mentions_every_flag() -> None:
    run = run_vm("--help")
    assert_clean(run)
    for flag in FLAGS:
        assert flag in run.stdout, flag
    for kind in ("ast", "ir", "opt-ir", "asm", "compile"):
        assert kind in run.stdout


def test_help_exits_0() -> None:
    """--help is handled on the worker thread: its status must still reach the process (not the default 70)."""
    assert run_vm("--help").status == 0


def test_help_settings_lists_every_setting_with_its_default() -> None:
    run = run_vm("--help-settings")
    assert_clean(run, 0)
    for name, default in (("max_call_depth", "100000"), ("heap_reserve_mb", "8192"), ("opt_level", "2"),
                          ("max_optimised_size", "1500"), ("observe_arguments", "True")):
        assert re.search(rf"^{name} = {default}$", run.stdout, re.MULTILINE), name
    reasons = [line for line in run.stdout.splitlines() if line.startswith("    ")]
    assert len(reasons) == 5


def test_set_changes_a_setting(tmp_path: Path) -> None:
    run = run_program(tmp_path, "fun f(n) { if (n == 0) return 0; return f(n - 1); }\nprint f(200);\n",
                      "--set", "max_call_depth=100")
    assert_clean(run, 70)
    assert run.stderr_lines[0] == "Stack overflow."


# ---------------------------------------------------------------- diagnostics go to stderr only
def test_dumps_go_to_stderr_only(tmp_path: Path) -> None:
    source = "fun add(a, b) { return a + b; }\nprint add(1, 2);\n"
    plain = run_program(tmp_path, source)
    dumped = run_program(tmp_path, source, "--dump=ast,ir,opt-ir,asm")
    assert_clean(plain, 0)
    assert_clean(dumped, 0)
    assert dumped.stdout == plain.stdout == "3\n"
    for header in ("=== ast ===", "=== ir: script ===", "=== opt-ir: script ===", "=== asm: script ==="):
        assert header in dumped.stderr
    assert "define" in dumped.stderr          # LLVM IR
    assert "add" in dumped.stderr


def test_trace_compile(tmp_path: Path) -> None:
    run = run_program(tmp_path, "fun f() {}\nfun g() {}\nprint 1;\n", "--trace=compile")
    assert_clean(run, 0)
    assert run.stdout == "1\n"
    assert re.search(r"^\[compile\] compiled 3 functions in 1 module\(s\)$", run.stderr, re.MULTILINE)


def test_stats_show_integer_argument_observations(tmp_path: Path) -> None:
    source = ("fun half(x) { return x / 2; }\n"
              "var s = 0;\n"
              "for (var i = 0; i < 10; i = i + 1) s = s + half(i);\n"
              "s = s + half(0.5) + half(2.25) + half(-7);\n"
              "half(\"not a number\");\n")
    run = run_program(tmp_path, source, "--stats")
    assert_clean(run, 70)     # dividing a string is a runtime error, and --stats still reports
    assert run.stdout == ""
    assert "== stats ==" in run.stderr
    assert "half arg 0: 11 integer, 2 non-integer numbers" in run.stderr
    assert re.search(r"^compile\.functions\s+2$", run.stderr, re.MULTILINE)


def test_stats_without_flag_print_nothing(tmp_path: Path) -> None:
    run = run_program(tmp_path, "print 1;\n")
    assert_clean(run, 0)
    assert run.stderr == ""


# ---------------------------------------------------------------- the REPL
def test_repl_keeps_globals_and_survives_errors() -> None:
    lines = [
        "var a = 1;",
        "print a;",
        "print ;",                        # compile error
        "fun twice(x) { return x * 2; }",
        "print twice(a) + nil;",          # runtime error
        "print twice(a + 2);",
        "a = twice(\"no\");",            # runtime error inside a function
        "print a;",
    ]
    run = run_vm(stdin=("\n".join(lines) + "\n").encode())
    assert_clean(run, 0)
    assert run.stdout == "> " * 2 + "1\n" + "> " * 4 + "6\n" + "> " * 2 + "1\n> \n"
    assert run.stderr_lines == [
        "[line 1] Error at ';': Expect expression.",
        "Operands must be two numbers or two strings.",
        "[line 1] in script",
        "Operands must be numbers.",
        "[line 1] in twice()",
        "[line 1] in script",
    ]


def test_repl_at_end_of_input_exits_0() -> None:
    run = run_vm()
    assert_clean(run, 0)
    assert run.stdout == "> \n"


# ---------------------------------------------------------------- bad input
def test_garbage_bytes(tmp_path: Path) -> None:
    rng = random.Random(1234)
    data = bytes(rng.randrange(1, 256) for _ in range(20_000))
    run = run_program(tmp_path, data)
    assert_clean(run, 65)
    assert run.stdout == ""
    assert all(re.match(r"\[line \d+\] Error", line) for line in run.stderr_lines)


def test_every_byte_value_once(tmp_path: Path) -> None:
    run = run_program(tmp_path, bytes(range(1, 256)))
    assert_clean(run, 65)


def test_a_nul_byte_ends_the_source_as_in_clox(tmp_path: Path) -> None:
    run = run_program(tmp_path, b"print 1;\n\x00print 2; garbage \x01\x02")
    assert_clean(run, 0)
    assert run.stdout == "1\n"


def test_non_ascii_bytes_in_strings_pass_through(tmp_path: Path) -> None:
    run = run_program(tmp_path, b'print "\xff\x80caf\xc3\xa9";\n')
    assert_clean(run, 0)
    assert run.stdout_bytes == b"\xff\x80caf\xc3\xa9\n"


def test_unterminated_string(tmp_path: Path) -> None:
    run = run_program(tmp_path, 'print "abc;\nprint 1;\n')
    assert_clean(run, 65)
    assert run.stderr_lines == ["[line 3] Error: Unterminated string."]


def test_ten_thousand_nested_parentheses(tmp_path: Path) -> None:
    run = run_program(tmp_path, "print " + "(" * 10_000 + "1" + ")" * 10_000 + ";\n")
    assert_clean(run, 0, 65)
    if run.status == 0:
        assert run.stdout == "1\n"
    else:
        assert run.stdout == ""
        assert all(re.match(r"\[line 1\] Error", line) for line in run.stderr_lines)


def test_ten_megabyte_string_literal_is_printed(tmp_path: Path) -> None:
    size = 10 * 1024 * 1024
    run = run_program(tmp_path, 'var s = "' + "x" * size + '";\nprint s;\nprint s == s + "";\n')
    assert_clean(run, 0)
    assert len(run.stdout_bytes) == size + 1 + len("true\n")
    assert run.stdout_bytes.endswith(b"xxx\ntrue\n")


def test_unbounded_recursion_is_a_stack_overflow(tmp_path: Path) -> None:
    run = run_program(tmp_path, "fun f(n) {\n  return f(n + 1) + 1;\n}\nprint \"before\";\nf(0);\n")
    assert_clean(run, 70)
    assert run.stdout == "before\n"
    lines = run.stderr_lines
    assert lines[0] == "Stack overflow."
    assert lines[1] == "[line 2] in f()"
    assert re.fullmatch(r"\[\.\.\. \d+ more frames \.\.\.\]", lines[33])
    assert lines[-1] == "[line 5] in script"


def test_ten_thousand_deep_recursion_works(tmp_path: Path) -> None:
    source = ("fun down(n) {\n  if (n == 0) return 0;\n  return 1 + down(n - 1);\n}\n"
              "print down(10000);\nprint down(10000);\n")
    run = run_program(tmp_path, source)
    assert_clean(run, 0)
    assert run.stdout == "10000\n10000\n"


def test_out_of_memory_is_a_runtime_error(tmp_path: Path) -> None:
    source = 'var s = "ab";\nprint "start";\nwhile (true) {\n  s = s + s;\n}\n'
    run = run_program(tmp_path, source, "--set", "heap_reserve_mb=1")
    assert_clean(run, 70)
    assert run.stdout == "start\n"
    assert run.stderr_lines == ["Out of memory.", "[line 4] in script"]


def test_closing_stdout_early_is_not_a_crash(tmp_path: Path) -> None:
    """A reader that goes away (``| head``) must not produce a traceback."""
    import subprocess
    import sys

    from stage0_helpers import lox_env

    path = tmp_path / "p.lox"
    path.write_text("for (var i = 0; i < 200000; i = i + 1) print i;\n")
    process = subprocess.Popen([sys.executable, "-m", VM, str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=lox_env())
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()
    stderr = process.stderr.read().decode(errors="replace")
    status = process.wait(timeout=120)
    assert status >= 0 or status == -13, stderr     # SIGPIPE is how a C program ends here; allowed
    assert "Traceback" not in stderr


# ---------------------------------------------------------------- start-up
def test_trace_startup_shows_where_llvm_goes(tmp_path: Path) -> None:
    """Stage 0 compiles before it runs: LLVM's import and the compile are in its run phase."""
    run = run_program(tmp_path, "print 42;\n", "--trace=startup")
    assert_clean(run, 0)
    phases = [line.split(":")[0] for line in run.stderr.splitlines()]
    assert phases == [f"[startup] {name}" for name in ("python start", "imports", "flags", "VM set-up",
                                                       "front end", "run", "exit", "total")]


def test_a_compile_error_never_loads_llvm(tmp_path: Path) -> None:
    """The front end runs before anything is compiled, so a program that does not parse never loads LLVM."""
    path = tmp_path / "bad.lox"
    path.write_text("print ;\n")
    run = run_vm(str(path), python_flags=("-X", "importtime"))
    assert_clean(run, 65)
    assert "llvmlite" not in {m.split(".")[0] for m in imported_modules(run.stderr)}
