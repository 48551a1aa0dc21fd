"""Stage 3 as a user runs it: --deopt, --deopt-stress, --osr, --trace=deopt,osr, --dump=deopt, --stats, --trace-file.

Each test starts real processes (``python -m stage3_deopt ...``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stage3_helpers import (assert_clean, run_everywhere, run_program, run_vm, section, stats_counter,
                            trace_lines)

# A hot loop at the top level: the script runs once, so only OSR can compile it.
TOP_LOOP = """\
var s = 0;
for (var i = 0; i < 5000; i = i + 1) s = s + i;
print s;
"""

# The same loop in a function called once.
MAIN_LOOP = """\
fun main() {
  var s = 0;
  for (var i = 0; i < 5000; i = i + 1) s = s + i;
  print s;
}
main();
"""

# The inner loop gets hot first (3000 back-edges of it against 30 of the outer one).
NESTED = """\
var total = 0;
for (var i = 0; i < 30; i = i + 1) {
  for (var j = 0; j < 100; j = j + 1) {
    total = total + j;
  }
}
print total;
"""

# Numbers for 2000 iterations (the loop is entered by OSR on them), then strings at the same `a + b`.
# c is captured (its slot holds a cell); `c + 1` has a constant on the stack.
FLIP = """\
fun main() {
  var a = 1;
  var b = 2;
  var k = 3;
  var c = 0;
  fun count() { return c; }
  var n = 0;
  for (var i = 0; i < 3000; i = i + 1) {
    if (i == 2000) { a = "x"; b = "y"; }
    var r = a + b;
    c = c + 1;
    if (r == "xy") n = n + 1; else n = n + r + k;
  }
  print n;
  print count();
}
main();
"""
FLIP_OUT = "13000\n3000\n"

VALUE = re.compile(r"(slot|stack) (\d+) = (?:buffer\[(\d+)\] \((boxed|double|cell)\)|constant (\S+))")


def value_locations(resume_line: str) -> list[tuple[str, int, str, str]]:
    """The (place, index, how, where) entries of a --dump=deopt resume line (where: a buffer word or a constant)."""
    shown = resume_line.split(": ", 1)[1]
    found = []
    for item in shown.split(", "):
        match = VALUE.fullmatch(item)
        assert match, f"not a value location: {item!r} in {resume_line!r}"
        place, index, word, how, constant = match.groups()
        found.append((place, int(index), how or "constant", word or constant))
    return found


# ---------------------------------------------------------------- usage and help
def test_help_lists_the_stage_3_flags_traces_and_dump() -> None:
    run = run_vm("--help")
    assert_clean(run, 0)
    assert "--deopt {on,off}" in run.stdout
    assert "--deopt-stress" in run.stdout
    assert "--osr {on,off}" in run.stdout
    assert re.search(r"--trace CATEGORIES\s+comma-separated: tier,compile,ic,deopt,osr\b", run.stdout), run.stdout
    assert re.search(r"--dump KINDS\s+comma-separated: [\w,-]*,deopt\b", run.stdout), run.stdout
    for flag in ("--jit", "--threshold", "--trace-file", "--stats", "--set", "--help-settings", "--ic"):
        assert flag in run.stdout, flag


@pytest.mark.parametrize("name, default", [("deopt", "True"), ("deopt_stress", "False"), ("osr", "True"),
                                           ("site_deopt_limit", "2"), ("function_deopt_limit", "6")])
def test_help_settings_list_the_stage_3_settings_with_reasons(name: str, default: str) -> None:
    run = run_vm("--help-settings")
    assert_clean(run, 0)
    match = re.search(rf"^{name} = {default}\n    (\S.*)$", run.stdout, re.MULTILINE)
    assert match, run.stdout
    assert len(match.group(1)) > 40           # a reason, not a placeholder
    assert re.search(r"^polymorphism_limit = 4$", run.stdout, re.MULTILINE)     # stage 2's are still there


@pytest.mark.parametrize("flags", [["--deopt=maybe"], ["--deopt"], ["--osr=maybe"], ["--osr=ON"],
                                   ["--trace=deopt,shapes"], ["--dump=deopt,shapes"],
                                   ["--set", "site_deopt_limit=0"], ["--set", "function_deopt_limit=0"],
                                   ["--set", "site_deopt_limit=-3"], ["--set", "function_deopt_limit=few"],
                                   ["--set", "deopt=maybe"], ["--set", "osr=maybe"],
                                   ["--set", "deopt_stress=sometimes"]])
def test_bad_stage_3_flags_and_settings_are_usage_errors(tmp_path: Path, flags: list[str]) -> None:
    run = run_program(tmp_path, "print 1;\n", *flags)
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


# ---------------------------------------------------------------- OSR
def osr_entered_at(stderr: str, function: str, line: int) -> int:
    """Check the three --trace=osr steps for a loop at ``line`` of ``function``; returns its header bytecode."""
    lines = trace_lines(stderr, "osr")
    hot = [re.fullmatch(rf"loop at line {line} \(bytecode (\d+)\) in {re.escape(function)} is hot "
                        r"\(\d+ back-edges, \d+ calls\): compiling an OSR entry", x) for x in lines]
    found = [m for m in hot if m]
    assert len(found) == 1, lines
    header = int(found[0].group(1))
    installed = lines.index(next(x for x in lines if x.startswith(
        f"{function}: OSR entry at bytecode {header} (line {line}) installed: it loads ")))
    entered = lines.index(next(x for x in lines if x.startswith(
        f"{function} enters compiled code at bytecode {header} (line {line}), carrying ")))
    assert lines.index(found[0].group(0)) < installed < entered, lines
    return header


def test_osr_enters_a_hot_top_level_loop(tmp_path: Path) -> None:
    run = run_program(tmp_path, TOP_LOOP, "--trace=osr", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "1.24975e+07\n"
    osr_entered_at(run.stderr, "<script>", 2)
    assert stats_counter(run.stderr, "osr.compiled") == 1
    assert stats_counter(run.stderr, "osr.entered") == 1


def test_osr_enters_a_hot_loop_in_a_function_called_once(tmp_path: Path) -> None:
    run = run_program(tmp_path, MAIN_LOOP, "--trace=osr,tier", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "1.24975e+07\n"
    osr_entered_at(run.stderr, "main", 3)
    tier = trace_lines(run.stderr, "tier")
    assert "main is hot (1 calls, 299 back-edges; by loop): queued with its OSR entry" in tier
    assert stats_counter(run.stderr, "osr.entered") == 1
    assert stats_counter(run.stderr, "deopt.total") == 0


def test_osr_into_nested_loops_enters_at_the_inner_header_and_finishes_the_outer_loop(tmp_path: Path) -> None:
    run = run_program(tmp_path, NESTED, "--trace=osr", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "148500\n"
    inner = osr_entered_at(run.stderr, "<script>", 3)
    assert not any("line 2" in line for line in trace_lines(run.stderr, "osr"))     # never the outer header
    # Entered once: the outer loop's remaining iterations ran in compiled code, not back in the interpreter.
    assert stats_counter(run.stderr, "osr.entered") == 1
    assert stats_counter(run.stderr, "osr.compiled") == 1
    assert stats_counter(run.stderr, "deopt.total") == 0
    assert inner > 0


def test_osr_off_keeps_a_top_level_loop_interpreted(tmp_path: Path) -> None:
    on = run_program(tmp_path, TOP_LOOP, "--stats")
    off = run_program(tmp_path, TOP_LOOP, "--osr=off", "--stats", "--trace=osr")
    assert_clean(on, 0)
    assert_clean(off, 0)
    assert off.stdout == on.stdout == "1.24975e+07\n"
    assert stats_counter(on.stderr, "osr.entered") == 1
    assert stats_counter(off.stderr, "osr.entered") == 0
    assert stats_counter(off.stderr, "osr.compiled") == 0
    assert trace_lines(off.stderr, "osr") == []
    assert "  <script>: 1 calls, 5000 back-edges, hot (runs once: OSR entries only)" in \
        section(off.stderr, "tiers (function: calls, back-edges, state)")


# An OSR entry serves every activation that reaches its header hot, not only the one it was compiled for.
# Here the inner call f(1) compiles the entry with a == 1 (the whole function "proves" a is a number at the
# header: every path to the back-edge passes the guarded `a + a`), then the outer activation, interpreted,
# puts a string in a and reaches the header. Its `a + 1` must raise the error, not add to the string's bits.
REENTERED_WITH_A_STRING = """\
fun f(depth) {
  var a = 1;
  var n = 0;
  for (var i = 0; i < 2000; i = i + 1) {
    var t = a + 1;
    if (depth == 0 and i > 5) print t;
    if (depth == 0 and i == 5) {
      n = n + f(1);
      a = "x";
    }
    var r = a + a;
    if (r == "xx") print "strings";
  }
  return n;
}
print f(0);
"""

# The same with a parameter (speculated and checked on entry): the check fails for the outer activation,
# whose deopt exit must rebuild the frame with the string it found.
ENTRY_CHECK_FAILS = """\
fun f(p) {
  var n = 0;
  for (var i = 0; i < 2000; i = i + 1) {
    if (i == 5 and p == 0) {
      n = n + f(1);
      p = "s";
    }
    var r = p + p;
    if (r == "ss") n = n + 1;
  }
  return n;
}
print f(0);
"""


def test_an_osr_entry_compiled_for_one_activation_is_checked_when_another_enters_it(tmp_path: Path) -> None:
    run = run_everywhere(tmp_path, REENTERED_WITH_A_STRING)
    assert run.status == 70
    assert run.stdout == "strings\n"
    assert run.stderr_lines == ["Operands must be two numbers or two strings.", "[line 5] in f()",
                                "[line 16] in script"]
    traced = run_program(tmp_path, REENTERED_WITH_A_STRING, "--trace=osr,deopt")
    assert_clean(traced, 70)
    assert len([x for x in trace_lines(traced.stderr, "osr") if " enters compiled code " in x]) == 2
    assert "  saw: string" in trace_lines(traced.stderr, "deopt")       # the entry's check caught it


def test_a_failed_osr_entry_check_rebuilds_the_frame_with_the_value_it_found(tmp_path: Path) -> None:
    run = run_everywhere(tmp_path, ENTRY_CHECK_FAILS)
    assert run.stdout == "1995\n"
    traced = run_program(tmp_path, ENTRY_CHECK_FAILS, "--trace=deopt", "--stats")
    assert_clean(traced, 0)
    lines = trace_lines(traced.stderr, "deopt")
    assert re.fullmatch(r"f line 3 bytecode (\d+) GET_LOCAL: guard 'OSR entry: slot 1 a number' failed in "
                        r"f OSR at bytecode \1", lines[0]), lines
    assert lines[1:3] == ["  trusted: no feedback", "  saw: string"]
    assert re.match(r"  rebuilt 1 interpreter frame: \d+ values \(\d+ boxed, 0 re-boxed doubles", lines[3]), lines
    assert stats_counter(traced.stderr, "deopt.total") == 1


# ---------------------------------------------------------------- deoptimisation made visible
def test_trace_deopt_explains_a_type_flip_in_a_hot_loop(tmp_path: Path) -> None:
    plain = run_program(tmp_path, FLIP, "--jit=off")
    run = run_program(tmp_path, FLIP, "--trace=deopt")
    assert_clean(plain, 0)
    assert_clean(run, 0)
    assert run.stdout == plain.stdout == FLIP_OUT
    lines = trace_lines(run.stderr, "deopt")
    assert len(lines) == 5, run.stderr
    guard = re.fullmatch(r"main line 10 bytecode (\d+) ADD: guard 'both numbers' failed in main OSR at bytecode "
                         r"(\d+)", lines[0])
    assert guard, lines
    offset = guard.group(1)
    seen = re.fullmatch(r"  trusted: \(number, number\) seen (\d+) times", lines[1])
    assert seen and int(seen.group(1)) > 100, lines
    assert lines[2] == "  saw: (string, string)"
    rebuilt = re.fullmatch(r"  rebuilt 1 interpreter frame: (\d+) values \((\d+) boxed, (\d+) re-boxed doubles, "
                           r"(\d+) cells, (\d+) constants\), (\d+) dead slots as nil", lines[3])
    assert rebuilt, lines
    total, boxed, doubles, cells, constants, dead = map(int, rebuilt.groups())
    assert total == boxed + doubles + cells + constants
    assert cells == 1                        # c's cell
    assert doubles >= 1                      # i at least: a number the analysis proved
    assert dead >= 1                         # r is written before it is read
    assert lines[4].startswith(f"  next: the interpreter resumes at bytecode {offset}; main's compiled code is "
                               "discarded (deopt 1 of this site, 1 of main); recompiled with the wider feedback"), lines


def test_stats_count_deopts_per_function_and_guard(tmp_path: Path) -> None:
    run = run_program(tmp_path, FLIP, "--stats")
    assert_clean(run, 0)
    assert run.stdout == FLIP_OUT
    assert stats_counter(run.stderr, "deopt.total") == 1
    assert stats_counter(run.stderr, "tier.discarded") == 1
    assert stats_counter(run.stderr, "deopt.stress_forced") == 0
    assert section(run.stderr, "deopts (function: count, guard)") == ["  main: 1 deopts, guard 'both numbers'"]


def test_stats_without_deopts(tmp_path: Path) -> None:
    run = run_program(tmp_path, MAIN_LOOP, "--stats")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "deopt.total") == 0
    assert section(run.stderr, "deopts (function: count, guard)") == ["  (none)"]


def test_dump_deopt_prints_the_side_tables(tmp_path: Path) -> None:
    run = run_program(tmp_path, FLIP, "--dump=deopt")
    assert_clean(run, 0)
    assert run.stdout == FLIP_OUT
    lines = run.stderr_lines
    # The first module: main's normal entry and its OSR entry at the loop header (line 8).
    assert lines[0] == "=== deopt: main ==="
    osr_title = next(x for x in lines if x.startswith("=== deopt: main OSR at bytecode "))
    title = re.fullmatch(r"=== deopt: main OSR at bytecode (\d+) ===", osr_title)
    assert title, osr_title
    header = int(title.group(1))
    at = lines.index(osr_title)
    assert lines[at + 1] == "  OSR entry: loads from the OSR buffer:"
    assert lines[at + 2].startswith(f"    resume main at bytecode {header} (line 8), 9 slots, stack depth 0: ")
    entry = value_locations(lines[at + 2])
    assert ("slot", 4, "cell") in [(p, i, h) for p, i, h, _ in entry]        # c's cell, carried in
    assert entry[0] == ("slot", 0, "boxed", "1")
    points = 0
    constants = 0
    for n, line in enumerate(lines):
        point = re.fullmatch(r"  deopt #(\d+): main line (\d+) bytecode (\d+) (\w+): guard '([^']+)', trusts (.+)",
                             line)
        if not point:
            continue
        points += 1
        _, source_line, offset, _, _, trusted = point.groups()
        assert trusted == "no feedback" or re.fullmatch(r"(\(\w+(, \w+)*\) x\d+|\w+ x\d+|<fn \w+> x\d+)"
                                                        r"(, (\(\w+(, \w+)*\) x\d+|\w+ x\d+|<fn \w+> x\d+))*",
                                                        trusted), line
        resume = lines[n + 1]
        assert re.match(rf"    resume main at bytecode {offset} \(line {source_line}\), 9 slots, stack depth \d+: ",
                        resume), resume
        where = value_locations(resume)
        assert where[0] == ("slot", 0, "boxed", "1")          # the closure's value; word 0 is the closure itself
        words = [int(w) for _, _, how, w in where if how != "constant"]
        assert words == list(range(1, len(words) + 1)), resume    # one buffer word each, in order
        constants += sum(1 for _, _, how, _ in where if how == "constant")
        assert any(p == "slot" and i == 4 and h == "cell" for p, i, h, _ in where), resume
    assert points >= 3
    assert constants >= 1                                      # c + 1: the 1 is not stored


def test_trace_file_has_deopt_and_osr_events(tmp_path: Path) -> None:
    trace = tmp_path / "timeline.json"
    run = run_program(tmp_path, FLIP, "--trace-file", str(trace))
    assert_clean(run, 0)
    assert run.stdout == FLIP_OUT
    events = json.loads(trace.read_text())["traceEvents"]
    deopts = [e for e in events if e.get("cat") == "deopt"]
    osr = [e for e in events if e.get("cat") == "osr"]
    assert len(deopts) == 1
    assert deopts[0]["ph"] == "i"
    assert deopts[0]["name"] == "deopt: main ADD"
    assert deopts[0]["args"] == {"reason": "both numbers", "line": 10, "forced": False}
    assert [e["ph"] for e in osr] == ["i"] * len(osr)
    assert [e["name"] for e in osr if e["name"].startswith("OSR enter: ")] == \
        [e["name"] for e in osr if e["name"].startswith("OSR enter: main bytecode ")]
    assert sum(1 for e in osr if e["name"].startswith("OSR enter: ")) == 2      # before and after the deopt
    assert any(e["name"].startswith("hot loop: main bytecode ") for e in osr)


# ---------------------------------------------------------------- --deopt=off, --deopt-stress
def test_deopt_off_runs_stage_2_code_with_guard_misses_instead(tmp_path: Path) -> None:
    on = run_program(tmp_path, FLIP, "--stats")
    off = run_program(tmp_path, FLIP, "--deopt=off", "--stats", "--trace=deopt")
    assert_clean(on, 0)
    assert_clean(off, 0)
    assert off.stdout == on.stdout == FLIP_OUT
    assert trace_lines(off.stderr, "deopt") == []
    assert stats_counter(off.stderr, "deopt.total") == 0
    assert section(off.stderr, "deopts (function: count, guard)") == ["  (none)"]
    misses = section(off.stderr, "guard misses per site (guarded sites in compiled code)")
    line_10 = [x for x in misses if x.startswith("  main line 10 ADD: ")]
    assert len(line_10) == 1, misses
    count = re.match(r"  main line 10 ADD: (\d+) misses", line_10[0])
    assert count and int(count.group(1)) >= 1, misses
    assert stats_counter(on.stderr, "deopt.total") == 1


def test_deopt_stress_forces_deopts_and_changes_no_output(tmp_path: Path) -> None:
    for source, out in ((FLIP, FLIP_OUT), (MAIN_LOOP, "1.24975e+07\n"), (NESTED, "148500\n")):
        run = run_program(tmp_path, source, "--deopt-stress", "--stats", "--trace=deopt")
        assert_clean(run, 0)
        assert run.stdout == out
        forced = stats_counter(run.stderr, "deopt.stress_forced")
        assert forced > 0, run.stderr
        assert stats_counter(run.stderr, "deopt.total") >= forced
        explained = [x for x in trace_lines(run.stderr, "deopt") if "forced by --deopt-stress" in x]
        assert len(explained) == forced


def test_deopt_stress_counts_towards_no_limit(tmp_path: Path) -> None:
    run = run_program(tmp_path, MAIN_LOOP, "--deopt-stress", "--stats", "--set", "function_deopt_limit=1",
                      "--set", "site_deopt_limit=1")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "deopt.stress_forced") > 0
    assert stats_counter(run.stderr, "tier.discarded") == 0
    assert stats_counter(run.stderr, "deopt.functions_stopped_speculating") == 0
    assert stats_counter(run.stderr, "deopt.sites_stopped_speculating") == 0
