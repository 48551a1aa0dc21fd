"""The deopt explainer for stage 4's guard kinds: shapes (read, bind, write, method call), classes, superclasses,
and ``no feedback yet`` (stage 3's tests have the class-free kinds).

One program: each guard kind fails once, in a function of its own, after a
hot top-level loop compiled them all. Every line of each ``--trace=deopt``
explanation is compared with the expected text; the same run's
``--dump=deopt`` must show each failing guard with what it trusted (a
stage-4 case shown as stage 4 knows it: its shape, its class, its
superclass), and ``--stats`` must count each deopt under the guard's name.
Where an operation has arguments, they are numbers and the guarded value is
not, so a guard that read the wrong stack entry would show ``number``.
"""

from __future__ import annotations

import re

import pytest

from stage4_helpers import Run, assert_clean, run_program, section, trace_lines

PROGRAM = """\
class P { init(v) { this.x = v; } m(a) { return a + 10; } }
class Q { init(v) { this.y = 2; this.x = v; } m(a) { return a + 20; } }
class A { f(a) { return a + 100; } }
class B { f(a) { return a + 200; } }
fun get(o) { return o.x; }
fun bind(o) { return o.m; }
fun put(o, v) { o.x = v; return o; }
fun invoke(o, a) { return o.m(a); }
fun make(k) { return k(7); }
fun run(f) { return f(7); }
fun one(v) { return v; }
fun sub(Base) {
  class D < Base { f(a) { return super.f(a); } }
  return D;
}
var p = P(1);
var d = sub(A)();
var s = 0;
for (var i = 0; i < 400; i = i + 1) {
  s = s + get(p) + bind(p)(0) + put(p, 1).x + invoke(p, 0) + make(P).x + run(one) + d.f(0);
}
print s;
var q = Q(3);
print get(q);
print bind(q)(0);
print put(q, 4).x;
print invoke(q, 0);
print make(Q).x;
print run(Q).x;
print sub(B)().f(0);
"""


def explained(guard: str, trusted: str, saw: str, rebuilt: str, offset: int, function: str) -> list[str]:
    """The five lines of one deopt of ``function``'s normal entry, counted towards the limits (its first)."""
    return [guard, f"  trusted: {trusted}", f"  saw: {saw}", f"  rebuilt 1 interpreter frame: {rebuilt}",
            f"  next: the interpreter resumes at bytecode {offset}; {function}'s compiled code is discarded "
            f"(deopt 1 of this site, 1 of {function}); recompiled with the wider feedback after 236 more calls + "
            f"back-edges"]


Q_SHAPE = "an instance of shape #7 Q{y,x}"

# The script's loop is entered by OSR; the first call after it (Q(3), line 23) had never run: 'no feedback yet'.
# Then each function, compiled for P (or A, or one) only, meets Q (or B).
EXPECTED_TRACE = [
    "<script> line 23 bytecode 111 CALL: guard 'no feedback yet' failed in <script> OSR at bytecode 58",
    "  trusted: no feedback",
    "  saw: an operation the interpreter never ran before this code was compiled",
    "  rebuilt 1 interpreter frame: 3 values (2 boxed, 0 re-boxed doubles, 0 cells, 1 constants), "
    "1 dead slots as nil",
    "  next: the interpreter resumes at bytecode 111; <script>'s compiled code is discarded; the interpreter "
    "records this site; recompiled after 236 more calls + back-edges (not counted towards the deopt limits)",
    *explained("get line 5 bytecode 1 GET_PROPERTY: guard 'shape' failed in get",
               "P{x}: field inline slot 0 seen 87 times", Q_SHAPE,
               "2 values (2 boxed, 0 re-boxed doubles, 0 cells, 0 constants), 1 dead slots as nil", 1, "get"),
    *explained("bind line 6 bytecode 1 GET_PROPERTY: guard 'shape' failed in bind",
               "P{x}: method m seen 87 times", Q_SHAPE,
               "2 values (2 boxed, 0 re-boxed doubles, 0 cells, 0 constants), 1 dead slots as nil", 1, "bind"),
    *explained("put line 7 bytecode 2 SET_PROPERTY: guard 'shape' failed in put",
               "P{x}: store field 0 seen 87 times", Q_SHAPE,
               "4 values (4 boxed, 0 re-boxed doubles, 0 cells, 0 constants), 1 dead slots as nil", 2, "put"),
    *explained("invoke line 8 bytecode 2 INVOKE: guard 'shape' failed in invoke",
               "P{x}: method m seen 87 times", Q_SHAPE,
               "3 values (3 boxed, 0 re-boxed doubles, 0 cells, 0 constants), 2 dead slots as nil", 2, "invoke"),
    *explained("make line 9 bytecode 2 CALL: guard 'class' failed in make",
               "class P seen 86 times", "class Q",
               "3 values (2 boxed, 0 re-boxed doubles, 0 cells, 1 constants), 1 dead slots as nil", 2, "make"),
    *explained("run line 10 bytecode 2 CALL: guard 'call target' failed in run",
               "<fn one> seen 86 times", "class Q",
               "3 values (2 boxed, 0 re-boxed doubles, 0 cells, 1 constants), 1 dead slots as nil", 2, "run"),
    *explained("f line 13 bytecode 3 SUPER_INVOKE: guard 'superclass' failed in f",
               "class A: super.f seen 86 times", "class B",
               "4 values (4 boxed, 0 re-boxed doubles, 0 cells, 0 constants), 1 dead slots as nil", 3, "f"),
]

# The failing points as --dump=deopt printed them when their code was installed (without their numbers).
EXPECTED_DUMP = [
    "<script> line 23 bytecode 111 CALL: guard 'no feedback yet', trusts no feedback",
    "get line 5 bytecode 1 GET_PROPERTY: guard 'shape', trusts P{x}: field inline slot 0 x87",
    "bind line 6 bytecode 1 GET_PROPERTY: guard 'shape', trusts P{x}: method m x87",
    "put line 7 bytecode 2 SET_PROPERTY: guard 'shape', trusts P{x}: store field 0 x87",
    "invoke line 8 bytecode 2 INVOKE: guard 'shape', trusts P{x}: method m x87",
    "make line 9 bytecode 2 CALL: guard 'class', trusts class P x86",
    "run line 10 bytecode 2 CALL: guard 'call target', trusts <fn one> x86",
    "f line 13 bytecode 3 SUPER_INVOKE: guard 'superclass', trusts class A: super.f x86",
]

EXPECTED_STATS = [
    "  <script>: 1 deopts, guard 'no feedback yet'",
    "  bind: 1 deopts, guard 'shape'",
    "  f: 1 deopts, guard 'superclass'",
    "  get: 1 deopts, guard 'shape'",
    "  invoke: 1 deopts, guard 'shape'",
    "  make: 1 deopts, guard 'class'",
    "  put: 1 deopts, guard 'shape'",
    "  run: 1 deopts, guard 'call target'",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    done = run_program(tmp_path_factory.mktemp("explainer"), PROGRAM, "--trace=deopt", "--dump=deopt", "--stats")
    assert_clean(done, 0)
    return done


def test_the_program_runs_as_in_the_interpreter(run: Run) -> None:
    assert run.stdout == "54400\n3\n20\n4\n20\n7\n7\n200\n", run.describe()


def test_every_guard_kind_of_stage4_is_explained_line_by_line(run: Run) -> None:
    assert trace_lines(run.stderr, "deopt") == EXPECTED_TRACE


def test_the_dump_shows_each_failing_guard_with_its_cases_as_stage4_knows_them(run: Run) -> None:
    points = [re.sub(r"^  deopt #\d+: ", "", line) for line in run.stderr_lines if line.startswith("  deopt #")]
    for expected in EXPECTED_DUMP:
        assert expected in points, points


def test_stats_count_deopts_under_each_guards_name(run: Run) -> None:
    assert section(run.stderr, "deopts (function: count, guard)") == EXPECTED_STATS
