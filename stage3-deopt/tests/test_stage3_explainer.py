"""The deopt explainer, guard kind by guard kind (the class-free kinds; stage 4's tests have the others).

Each guard kind of ``stage2_ic.guards.GuardKind`` that stage 3 compiles fails once
here, in a function of its own, and the five ``--trace=deopt`` lines of each
deopt are compared with the expected text, every line of them. The same run's
``--dump=deopt`` must show each failing guard with what it trusted, and
``--stats`` must count it under its name. Operands differ in type wherever
the kind allows (``(string, number)``), so a guard that read its operands in
the wrong order, or the wrong side, would show it.

Two programs, since two of the kinds can only fail on operands the
interpreter then rejects with a runtime error, which ends the program: a
``+`` guarded for numbers or strings, and a negation guarded for a number.
"""

from __future__ import annotations

import re

import pytest

from stage3_helpers import Run, assert_clean, run_program, section, trace_lines

FLAGS = ("--trace=deopt", "--dump=deopt", "--stats")

# Every function is called 400 times from the hot top-level loop: compiled at its 300th call, on the feedback of
# calls 64 to 299 (236 of them). After the loop each one meets what its guard did not bet on.
KINDS = """\
var g = 1;
fun same(a, b) { return a == b; }
fun join(a, b) { return a + b; }
fun readg() { return g; }
fun inc(x) { return x + 1; }
fun dec(x) { return x - 1; }
fun apply(f, x) { return f(x); }
fun neg(x) { return -x; }
fun spin(p) {
  var n = 0;
  for (var i = 0; i < 1000; i = i + 1) {
    if (i == 5 and p == 0) {
      n = n + spin(1);
      p = "s";
    }
    var r = p + p;
    if (r == "ss") n = n + 1;
  }
  return n;
}
var t = 0;
for (var i = 0; i < 400; i = i + 1) {
  if (same(i, 3)) t = t + 1;
  if (join("a", "b") == "ab") t = t + 1;
  t = t + readg() + apply(inc, i) + neg(i);
}
print t;
print same("x", 1);
print join(1, 2);
g = "s";
print readg();
print apply(dec, 1);
print spin(0);
print neg("n");
"""

# spin(0) loops in the interpreter; at i == 5 it calls spin(1), whose loop gets hot and is entered by OSR with
# p (slot 1) a number. Back in spin(0), p is now "s", and its loop, hot in turn, enters the same OSR entry.
KINDS_TRACE = [
    "same line 2 bytecode 2 EQUAL: guard 'both numbers' failed in same",
    "  trusted: (number, number) seen 236 times",
    "  saw: (string, number)",
    "  rebuilt 1 interpreter frame: 3 values (3 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "2 dead slots as nil",
    "  next: the interpreter resumes at bytecode 2; same's compiled code is discarded (deopt 1 of this site, "
    "1 of same); recompiled with the wider feedback after 236 more calls + back-edges",

    "join line 3 bytecode 2 ADD: guard 'both strings' failed in join",
    "  trusted: (string, string) seen 236 times",
    "  saw: (number, number)",
    "  rebuilt 1 interpreter frame: 3 values (3 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "2 dead slots as nil",
    "  next: the interpreter resumes at bytecode 2; join's compiled code is discarded (deopt 1 of this site, "
    "1 of join); recompiled with the wider feedback after 236 more calls + back-edges",

    "readg line 4 bytecode 0 GET_GLOBAL: guard 'a number' failed in readg",
    "  trusted: number seen 236 times",
    "  saw: string",
    "  rebuilt 1 interpreter frame: 1 values (1 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "0 dead slots as nil",
    "  next: the interpreter resumes at bytecode 0; readg's compiled code is discarded (deopt 1 of this site, "
    "1 of readg); recompiled with the wider feedback after 236 more calls + back-edges",

    "apply line 7 bytecode 2 CALL: guard 'call target' failed in apply",
    "  trusted: <fn inc> seen 236 times",
    "  saw: <fn dec>",
    "  rebuilt 1 interpreter frame: 3 values (3 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "2 dead slots as nil",
    "  next: the interpreter resumes at bytecode 2; apply's compiled code is discarded (deopt 1 of this site, "
    "1 of apply); recompiled with the wider feedback after 236 more calls + back-edges",

    "spin line 11 bytecode 6 GET_LOCAL: guard 'OSR entry: slot 1 a number' failed in spin OSR at bytecode 6",
    "  trusted: no feedback",
    "  saw: string",
    "  rebuilt 1 interpreter frame: 4 values (4 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "1 dead slots as nil",
    "  next: the interpreter resumes at bytecode 6; spin's compiled code is discarded (deopt 1 of this site, "
    "1 of spin); recompiled with the wider feedback after 236 more calls + back-edges",

    "neg line 8 bytecode 1 NEGATE: guard 'a number' failed in neg",
    "  trusted: (number) seen 236 times",
    "  saw: (string)",
    "  rebuilt 1 interpreter frame: 2 values (2 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "1 dead slots as nil",
    "  next: the interpreter resumes at bytecode 1; neg's compiled code is discarded (deopt 1 of this site, "
    "1 of neg); recompiled with the wider feedback after 236 more calls + back-edges",
]

# The failing points as --dump=deopt printed them when their code was installed (without their numbers).
KINDS_DUMP = [
    "same line 2 bytecode 2 EQUAL: guard 'both numbers', trusts (number, number) x236",
    "join line 3 bytecode 2 ADD: guard 'both strings', trusts (string, string) x236",
    "readg line 4 bytecode 0 GET_GLOBAL: guard 'a number', trusts number x236",
    "apply line 7 bytecode 2 CALL: guard 'call target', trusts <fn inc> x236",
    "spin line 11 bytecode 6 GET_LOCAL: guard 'OSR entry: slot 1 a number', trusts no feedback",
    "neg line 8 bytecode 1 NEGATE: guard 'a number', trusts (number) x236",
]

KINDS_STATS = [
    "  apply: 1 deopts, guard 'call target'",
    "  join: 1 deopts, guard 'both strings'",
    "  neg: 1 deopts, guard 'a number'",
    "  readg: 1 deopts, guard 'a number'",
    "  same: 1 deopts, guard 'both numbers'",
    "  spin: 1 deopts, guard 'OSR entry: slot 1 a number'",
]

MIXED = """\
fun plus(a, b) { return a + b; }
var n = 0;
for (var i = 0; i < 400; i = i + 1) {
  n = n + plus(i, 1);
  if (plus("a", "b") == "ab") n = n + 1;
}
print n;
print plus("x", 1);
"""

MIXED_TRACE = [
    "plus line 1 bytecode 2 ADD: guard 'numbers or strings' failed in plus",
    "  trusted: (string, string) seen 118 times, (number, number) seen 118 times",
    "  saw: (string, number)",
    "  rebuilt 1 interpreter frame: 3 values (3 boxed, 0 re-boxed doubles, 0 cells, 0 constants), "
    "2 dead slots as nil",
    "  next: the interpreter resumes at bytecode 2; plus's compiled code is discarded (deopt 1 of this site, "
    "1 of plus); recompiled with the wider feedback after 236 more calls + back-edges",
]


def dumped_points(run: Run) -> list[str]:
    """The ``--dump=deopt`` points, without their ``deopt #N:`` numbers."""
    return [re.sub(r"^  deopt #\d+: ", "", line) for line in run.stderr_lines if line.startswith("  deopt #")]


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = run_program(tmp_path_factory.mktemp("kinds"), KINDS, *FLAGS)
    assert_clean(run, 70)
    return run


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = run_program(tmp_path_factory.mktemp("mixed"), MIXED, *FLAGS)
    assert_clean(run, 70)
    return run


def test_the_programs_run_as_in_the_interpreter(kinds: Run, mixed: Run) -> None:
    assert kinds.stdout == "1201\nfalse\n3\ns\n0\n995\n", kinds.describe()
    assert "Operand must be a number.\n[line 8] in neg()\n[line 34] in script\n" in kinds.stderr
    assert mixed.stdout == "80600\n", mixed.describe()
    assert "Operands must be two numbers or two strings.\n[line 1] in plus()\n[line 8] in script\n" in mixed.stderr


def test_every_class_free_guard_kind_is_explained_line_by_line(kinds: Run, mixed: Run) -> None:
    assert trace_lines(kinds.stderr, "deopt") == KINDS_TRACE
    assert trace_lines(mixed.stderr, "deopt") == MIXED_TRACE


def test_the_dump_shows_each_failing_guard_with_what_it_trusted(kinds: Run, mixed: Run) -> None:
    points = dumped_points(kinds)
    for expected in KINDS_DUMP:
        assert expected in points, points
    assert "plus line 1 bytecode 2 ADD: guard 'numbers or strings', trusts (string, string) x118, " \
           "(number, number) x118" in dumped_points(mixed)


def test_stats_count_deopts_under_each_guards_name(kinds: Run, mixed: Run) -> None:
    assert section(kinds.stderr, "deopts (function: count, guard)") == KINDS_STATS
    assert section(mixed.stderr, "deopts (function: count, guard)") == ["  plus: 1 deopts, guard 'numbers or strings'"]

