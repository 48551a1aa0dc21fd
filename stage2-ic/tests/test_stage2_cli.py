"""Stage 2 as a user runs it: inline caches made visible (--trace=ic, --stats, --dump=opt-ir) and --ic=on|off.

Each test starts real processes (``python -m stage2_ic ...``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stage2_helpers import MODES, assert_clean, run_everywhere, run_program, run_vm

ADD_TWO_WAYS = """\
fun add(a, b) { return a + b; }
print add(1, 2);
print add("a", "b");
"""

# Hot on numbers (compiled at its 1000th call), then given strings: the compiled guard misses twice.
WARM_THEN_STRINGS = """\
fun add(a, b) { return a + b; }
var t = 0;
for (var i = 0; i < 2000; i = i + 1) t = add(t, i);
print t;
print add("a", "b");
print add("c", "d");
"""

HOT_ADD = """\
fun add(a, b) { return a + b; }
var t = 0;
for (var i = 0; i < 2000; i = i + 1) t = add(t, i);
print t;
"""

FIB = """\
fun fib(n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
print fib(20);
"""

#: These tests read the caches of functions that run only a few times; by default a
#: function starts recording after ``feedback_after`` calls + back-edges.
RECORD_FROM_FIRST_CALL = ("--set", "feedback_after=0")


def stats_counter(stderr: str, name: str) -> int:
    """The value of one ``--stats`` counter."""
    match = re.search(rf"^{re.escape(name)}\s+(\d+)$", stderr, re.MULTILINE)
    assert match, f"no counter {name} in:\n{stderr}"
    return int(match.group(1))


def section(stderr: str, title: str) -> list[str]:
    """The lines of one ``--stats`` section (up to the next ``==`` heading)."""
    lines = stderr.splitlines()
    start = lines.index(f"== {title} ==") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


def function_ir(stderr: str, name: str) -> str:
    """The ``--dump=opt-ir`` text of the module compiled for ``name`` (up to the next dump)."""
    start = stderr.index(f"=== opt-ir: {name} ===")
    end = stderr.find("=== ", start + 4)
    return stderr[start:end if end >= 0 else len(stderr)]


# ---------------------------------------------------------------- usage and help
def test_help_mentions_ic_flag_and_trace_category() -> None:
    run = run_vm("--help")
    assert_clean(run, 0)
    assert "--ic {on,off}" in run.stdout
    assert re.search(r"--trace CATEGORIES\s+comma-separated: tier,compile,ic\b", run.stdout)
    for flag in ("--jit", "--threshold", "--trace-file", "--dump", "--stats", "--set", "--help-settings"):
        assert flag in run.stdout, flag


def test_help_settings_list_stage_2_settings() -> None:
    run = run_vm("--help-settings")
    assert_clean(run, 0)
    assert re.search(r"^polymorphism_limit = 4$", run.stdout, re.MULTILINE)
    assert re.search(r"^ic = True$", run.stdout, re.MULTILINE)
    assert re.search(r"^threshold = 1000$", run.stdout, re.MULTILINE)       # stage 1's are still there
    assert re.search(r"^warm_fraction = 0.25$", run.stdout, re.MULTILINE)
    assert re.search(r"^feedback_after = 64$", run.stdout, re.MULTILINE)
    assert re.search(r"^inline_recursion = True$", run.stdout, re.MULTILINE)
    assert re.search(r"^inline_recursion_limit = 250$", run.stdout, re.MULTILINE)
    assert "megamorphic" in run.stdout


@pytest.mark.parametrize("flags", [["--ic=maybe"], ["--ic"], ["--ic=ON"], ["--trace=ic,shapes"]])
def test_bad_ic_flags_are_usage_errors(tmp_path: Path, flags: list[str]) -> None:
    run = run_program(tmp_path, "print 1;\n", *flags)
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


@pytest.mark.parametrize("assignment", ["polymorphism_limit=0", "polymorphism_limit=-1",
                                        "polymorphism_limit=many"])
def test_nonsense_stage_2_settings_are_usage_errors(tmp_path: Path, assignment: str) -> None:
    run = run_program(tmp_path, "print 1;\n", "--set", assignment)
    assert_clean(run, 64)
    assert run.stdout == ""


def test_set_ic_to_nonsense_is_rejected_like_the_flag(tmp_path: Path) -> None:
    """VM bug: ``--ic=maybe`` is a usage error, but ``--set ic=maybe`` is accepted and silently turns the ICs off.

    Stage 0's ``Settings.set_from_text`` reads every text other than 1/true/yes/on as False for a bool
    setting, so a typo (``--set ic=onn``) compiles generic code with exit status 0.
    """
    for assignment in ("ic=maybe", "ic=onn"):
        run = run_program(tmp_path, "print 1;\n", "--set", assignment)
        assert_clean(run)
        assert run.status == 64, f"--set {assignment}: {run.describe()}"


# ---------------------------------------------------------------- --trace=ic
def test_trace_ic_prints_each_transition_to_stderr(tmp_path: Path) -> None:
    plain = run_program(tmp_path, ADD_TWO_WAYS)
    traced = run_program(tmp_path, ADD_TWO_WAYS, "--trace=ic", *RECORD_FROM_FIRST_CALL)
    assert_clean(plain, 0)
    assert_clean(traced, 0)
    assert traced.stdout == plain.stdout == "3\nab\n"
    assert plain.stderr == ""
    assert traced.stderr_lines == [
        "[ic] add line 1 ADD: uninitialised -> monomorphic, saw (number, number)",
        "[ic] add line 1 ADD: monomorphic -> polymorphic, saw (string, string)",
    ]


def test_trace_ic_shows_a_call_site_going_megamorphic(tmp_path: Path) -> None:
    source = "".join(f"fun f{i}(x) {{ return {i}; }}\n" for i in range(1, 6)) + \
        "fun apply(g) { return g(0); }\n" + \
        "print apply(f1) + apply(f2) + apply(f3) + apply(f4) + apply(f5) + apply(f1);\n"
    run = run_program(tmp_path, source, "--trace=ic", *RECORD_FROM_FIRST_CALL)
    assert_clean(run, 0)
    assert run.stdout == "16\n"
    assert run.stderr_lines == [
        "[ic] apply line 6 CALL: uninitialised -> monomorphic, saw <fn f1>",
        "[ic] apply line 6 CALL: monomorphic -> polymorphic, saw <fn f2>",
        "[ic] apply line 6 CALL: polymorphic -> megamorphic, saw <fn f5>",
    ]


def test_polymorphism_limit_setting_changes_the_ladder(tmp_path: Path) -> None:
    run = run_program(tmp_path, ADD_TWO_WAYS, "--trace=ic", "--set", "polymorphism_limit=1", *RECORD_FROM_FIRST_CALL)
    assert_clean(run, 0)
    assert run.stdout == "3\nab\n"
    assert run.stderr_lines[-1] == "[ic] add line 1 ADD: monomorphic -> megamorphic, saw (string, string)"


def test_trace_ic_together_with_tier(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT_ADD, "--trace=ic,tier")
    assert_clean(run, 0)
    lines = run.stderr_lines
    first_ic = lines.index("[ic] add line 1 ADD: uninitialised -> monomorphic, saw (number, number)")
    installed = lines.index("[tier] add: compiled code installed")
    assert first_ic < installed          # the feedback exists before the code that trusts it
    assert all(line.startswith(("[ic] ", "[tier] ")) for line in lines)


# ---------------------------------------------------------------- --stats
def test_stats_show_ic_states_transitions_and_misses(tmp_path: Path) -> None:
    run = run_program(tmp_path, WARM_THEN_STRINGS, "--stats")
    assert_clean(run, 0)
    assert run.stdout == "1.999e+06\nab\ncd\n"
    err = run.stderr
    # The strings reached compiled code only: the interpreter never saw them, so the cache stays monomorphic.
    assert stats_counter(err, "ic.state.monomorphic") == 1
    assert stats_counter(err, "ic.state.polymorphic") == 0
    assert stats_counter(err, "ic.state.megamorphic") == 0
    assert stats_counter(err, "ic.state.uninitialised") == 0
    assert stats_counter(err, "ic.transition.uninitialised->monomorphic") == 1
    misses = section(err, "guard misses per site (guarded sites in compiled code)")
    assert "  add line 1 ADD: 2 misses (monomorphic: (number, number))" in misses


def test_stats_without_misses(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT_ADD, "--stats")
    assert_clean(run, 0)
    misses = section(run.stderr, "guard misses per site (guarded sites in compiled code)")
    assert misses == ["  add line 1 ADD: 0 misses (monomorphic: (number, number))"]


def test_stats_count_polymorphic_and_megamorphic_sites(tmp_path: Path) -> None:
    source = ADD_TWO_WAYS + "".join(f"fun f{i}(x) {{ return {i}; }}\n" for i in range(1, 6)) + \
        "fun apply(g) { return g(0); }\n" + \
        "print apply(f1) + apply(f2) + apply(f3) + apply(f4) + apply(f5);\n"
    run = run_program(tmp_path, source, "--stats", *RECORD_FROM_FIRST_CALL)
    assert_clean(run, 0)
    err = run.stderr
    assert stats_counter(err, "ic.state.polymorphic") == 1       # add's ADD
    assert stats_counter(err, "ic.state.megamorphic") == 1       # apply's CALL
    assert stats_counter(err, "ic.transition.monomorphic->polymorphic") == 2
    assert stats_counter(err, "ic.transition.polymorphic->megamorphic") == 1
    assert section(err, "guard misses per site (guarded sites in compiled code)") == ["  (none)"]   # nothing compiled


def test_stats_with_ic_off_have_no_guarded_sites(tmp_path: Path) -> None:
    run = run_program(tmp_path, WARM_THEN_STRINGS, "--stats", "--ic=off")
    assert_clean(run, 0)
    assert run.stdout == "1.999e+06\nab\ncd\n"
    assert section(run.stderr, "guard misses per site (guarded sites in compiled code)") == ["  (none)"]


# ---------------------------------------------------------------- --dump=opt-ir
def test_opt_ir_of_a_hot_add_has_the_guarded_number_path(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT_ADD, "--dump=opt-ir")
    assert_clean(run, 0)
    assert run.stdout == "1.999e+06\n"
    ir = function_ir(run.stderr, "add")
    assert re.search(r"^num\.fast:", ir, re.MULTILINE), ir
    assert re.search(r"^num\.miss:", ir, re.MULTILINE), ir
    assert re.search(r"br i1 %[\w.]+, label %num\.fast, label %num\.miss", ir), ir
    assert "fadd double" in ir


def test_opt_ir_of_a_hot_add_without_ic(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT_ADD, "--dump=opt-ir", "--ic=off")
    assert_clean(run, 0)
    assert run.stdout == "1.999e+06\n"
    ir = function_ir(run.stderr, "add")
    assert "num.fast" not in ir and "num.miss" not in ir
    assert "add.numbers" in ir          # stage 0's generic + (numbers inline, anything else in the helper)


DIRECT_FIB_CALL = re.compile(r"\bcall\b[^\n]*@lox\d+_\w*fib\(")


def test_opt_ir_of_fib_calls_itself_directly(tmp_path: Path) -> None:
    run = run_program(tmp_path, FIB, "--dump=opt-ir")
    assert_clean(run, 0)
    assert run.stdout == "6765\n"
    ir = function_ir(run.stderr, "fib")
    assert DIRECT_FIB_CALL.search(ir), ir
    assert re.search(r"^known\.", ir, re.MULTILINE), ir       # the call guard's blocks
    assert re.search(r"^num\.fast", ir, re.MULTILINE), ir     # fib(n - 1) + fib(n - 2) on numbers


def test_opt_ir_of_fib_without_ic_calls_through_the_entry_slot(tmp_path: Path) -> None:
    run = run_program(tmp_path, FIB, "--dump=opt-ir", "--ic=off")
    assert_clean(run, 0)
    assert run.stdout == "6765\n"
    ir = function_ir(run.stderr, "fib")
    assert not DIRECT_FIB_CALL.search(ir), ir
    assert "known." not in ir
    assert "num.fast" not in ir
    assert re.search(r"call i64 %[\w.]+\(", ir), ir           # an indirect call: the loaded entry slot


def test_fib_self_calls_are_inlined_one_level(tmp_path: Path) -> None:
    run = run_program(tmp_path, FIB, "--dump=opt-ir", "--trace=compile", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "6765\n"
    assert "[compile] fib calls itself: its self-calls are inlined one level" in run.stderr_lines
    assert stats_counter(run.stderr, "compile.inline_copies") == 1
    ir = function_ir(run.stderr, "fib")
    assert DIRECT_FIB_CALL.search(ir), ir                      # the inlined copy calls the real fib
    assert "_inline(" not in ir, ir                            # ... and no call to the copy is left


@pytest.mark.parametrize("setting", ["inline_recursion=off", "inline_recursion_limit=5"])
def test_no_inline_copy_when_off_or_too_big(tmp_path: Path, setting: str) -> None:
    run = run_program(tmp_path, FIB, "--dump=opt-ir", "--trace=compile", "--set", setting)
    assert_clean(run, 0)
    assert run.stdout == "6765\n"
    assert not any("inlined" in line for line in run.stderr_lines)
    assert "_inline" not in function_ir(run.stderr, "fib")


DEEP_ERROR = """\
fun down(n) {
  if (n == 0) return nil + 1;
  return down(n - 1) + 1;
}
for (var i = 0; i < 1500; i = i + 1) {
  if (down(0 * i + 3) == nil) print "never";
}
"""


def test_error_inside_inlined_recursion_reports_every_frame(tmp_path: Path) -> None:
    # The first call already fails; the expected trace is the same whether the frames
    # are interpreted, compiled, or inlined copies of the compiled function.
    run = run_everywhere(tmp_path, DEEP_ERROR)
    assert run.status == 70
    assert run.stderr_lines == ["Operands must be two numbers or two strings.", "[line 2] in down()",
                                "[line 3] in down()", "[line 3] in down()", "[line 3] in down()",
                                "[line 6] in script"]


HOT_THEN_DEEP_ERROR = """\
var bad = false;
fun down(n) {
  if (n == 0) {
    if (bad) return nil + 1;
    return 0;
  }
  return down(n - 1) + 1;
}
var total = 0;
for (var i = 0; i < 1500; i = i + 1) total = total + down(4);
print total;
bad = true;
print down(3);
"""


def test_error_after_recursion_is_compiled_and_inlined(tmp_path: Path) -> None:
    run = run_everywhere(tmp_path, HOT_THEN_DEEP_ERROR)
    assert run.status == 70
    assert run.stdout == "6000\n"
    assert run.stderr_lines == ["Operands must be two numbers or two strings.", "[line 4] in down()",
                                "[line 7] in down()", "[line 7] in down()", "[line 7] in down()",
                                "[line 13] in script"]


# ---------------------------------------------------------------- --ic=off changes speed, never output
MIXED = """\
fun add(a, b) { return a + b; }
fun same(a, b) { return a == b; }
fun leaf(x) { return x + 1; }
fun mid(x) { return leaf(x) * 2; }
fun makeAdder(n) {
  fun adder(x) { return x + n; }
  return adder;
}
fun apply(f, x) { return f(x); }
fun step(x) { return x + 1; }
fun run(n) {
  var x = 0;
  for (var i = 0; i < n; i = i + 1) x = step(x);
  return x;
}
var add5 = makeAdder(5);
var t = 0;
for (var i = 0; i < 1200; i = i + 1) {
  t = add(t, mid(i));
  if (same(i, i)) t = t + apply(add5, 0);
}
for (var k = 0; k < 20; k = k + 1) run(100);
print t;
print add("con", "cat");
print same("a", "a");
print same(nil, false);
print same(0 / 0, 0 / 0);
print apply(makeAdder(100), 1);
print apply(leaf, 1);
print run(10);
fun step(x) { return x + 10; }
print run(10);
print mid("oops");
"""

MIXED_OUT = "1.4472e+06\nconcat\ntrue\nfalse\nfalse\n101\n2\n10\n100\n"
MIXED_ERR = ["Operands must be two numbers or two strings.", "[line 3] in leaf()", "[line 4] in mid()",
             "[line 33] in script"]


def test_ic_on_and_off_print_the_same(tmp_path: Path) -> None:
    modes = {"on": ("--ic=on",), "off": ("--ic=off",), "default": ()}
    run = run_everywhere(tmp_path, MIXED, modes)
    assert run.status == 70
    assert run.stdout == MIXED_OUT
    assert run.stderr_lines == MIXED_ERR


def test_guard_misses_take_the_generic_path_in_every_mode(tmp_path: Path) -> None:
    run = run_everywhere(tmp_path, MIXED, {**MODES, "threshold5": ("--threshold=5",)})
    assert run.status == 70
    assert run.stdout == MIXED_OUT
    assert run.stderr_lines == MIXED_ERR


def test_those_misses_really_happen_in_compiled_code(tmp_path: Path) -> None:
    run = run_program(tmp_path, MIXED, "--stats")
    assert_clean(run, 70)
    misses = section(run.stderr, "guard misses per site (guarded sites in compiled code)")
    counts = {}
    for line in misses:
        match = re.fullmatch(r"  (\w+ line \d+ \w+): (\d+) misses \((\w+): .*\)", line)
        assert match, line
        counts[match.group(1)] = int(match.group(2))
    assert counts["add line 1 ADD"] >= 1            # "con" + "cat"
    assert counts["same line 2 EQUAL"] >= 2         # strings, nil/false
    assert counts["apply line 9 CALL"] >= 2         # another closure of adder; leaf
    assert counts["run line 13 CALL"] >= 1          # step redefined


def test_repl_redefinition_after_callers_are_compiled() -> None:
    lines = [
        "fun f(x) { return x + 1; }",
        "fun g(x) { return f(x); }",
        "for (var i = 0; i < 1500; i = i + 1) g(i);",
        "print g(1);",
        "fun f(x) { return x * 10; }",
        "print g(1);",
        "var f = nil;",
        "print g(1);",
        "print 7;",
    ]
    stdin = ("\n".join(lines) + "\n").encode()
    for flags in ((), ("--threshold=2",), ("--ic=off",)):
        run = run_vm(*flags, stdin=stdin)
        assert_clean(run, 0)
        assert run.stdout == "> " * 4 + "2\n" + "> " * 2 + "10\n" + "> " * 2 + "> 7\n> \n", flags
        assert run.stderr_lines == ["Can only call functions and classes.", "[line 1] in g()",
                                    "[line 1] in script"], flags


def test_feedback_starts_after_a_few_runs(tmp_path: Path) -> None:
    """By default a function records nothing until it has run ``feedback_after`` times (calls + back-edges)."""
    source = ("fun once(a, b) { return a + b; }\nfun often(a, b) { return a - b; }\nprint once(1, 2);\n"
              "var s = 0;\nfor (var i = 0; i < 100; i = i + 1) s = often(s, 1);\nprint s;\n")
    run = run_program(tmp_path, source, "--trace=ic")
    assert_clean(run, 0)
    assert run.stdout == "3\n-100\n"
    assert not any(line.startswith("[ic] once ") for line in run.stderr_lines), run.describe()
    assert any(line.startswith("[ic] often line 2 SUBTRACT") for line in run.stderr_lines), run.describe()
