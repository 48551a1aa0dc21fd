"""The reference evaluator (``lox_testing.oracle``) against every corpus program's expectations and hand-checked programs.

Each corpus program under ``tests/core`` (and ``tests/classes`` once it
exists), the generated ones included, is run through the oracle and its
output compared with the program's expectation comments by the same
``compare`` the VM tests use. The hand-written programs below cover classes
before the corpus has them; their expected output is what clox prints.
"""

from __future__ import annotations

import textwrap

import pytest

from lox_testing.corpus import Case, corpus_cases, find_tests_dir
from lox_testing.expectations import parse_expectations
from lox_testing.oracle import MAX_FRAMES, OracleResult, evaluate
from lox_testing.runner import RunResult, compare, format_failure

TESTS_DIR = find_tests_dir()
GROUPS = [group for group in ("core", "classes") if (TESTS_DIR / group).is_dir()]
CASES = corpus_cases(GROUPS, {"oracle": []}, tests_dir=TESTS_DIR)

#: Corpus programs the oracle cannot run, with the reason: the one place such exceptions are kept.
CANNOT_RUN: dict[str, str] = {}


def run(source: str, stdin: str = "") -> OracleResult:
    return evaluate(textwrap.dedent(source), stdin)


def as_run_result(result: OracleResult) -> RunResult:
    return RunResult(("lox_testing.oracle",), result.exit_code, result.stdout_text, result.stderr_text)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.relpath)
def test_the_oracle_meets_the_corpus_expectations(case: Case) -> None:
    if case.relpath in CANNOT_RUN:
        pytest.skip(CANNOT_RUN[case.relpath])
    source = case.path.read_text(encoding="utf-8") if case.path is not None else case.source or ""
    expectation = parse_expectations(source, case.relpath)
    result = as_run_result(evaluate(source, expectation.stdin))
    problems = compare(expectation, result)
    assert not problems, format_failure(case.relpath, expectation, result, problems)


def test_the_exceptions_name_real_programs() -> None:
    assert set(CANNOT_RUN) <= {case.relpath for case in CASES}


# ---------------------------------------------------------------- values and operators
def test_numbers_print_like_c_percent_g_and_compare_like_clox() -> None:
    result = run("""\
        print 1/3; print 1000000; print 123456789; print 0.000012345; print -0; print 0 * -1;
        print 1/0; print -1/0; print 100000; print 4999950000;
        var nan = 0/0;
        print nan; print -nan; print nan == nan; print nan != nan;
        print nan <= 1; print nan >= 1; print nan < 1; print nan > 1;
        print 0 == -0; print 1 == true; print nil == false; print "a" + "b" == "ab"; print clock == clock;
        print !nil; print !0; print nil or "x"; print 0 and "y";
    """)
    assert result.stdout_text.split() == [
        "0.333333", "1e+06", "1.23457e+08", "1.2345e-05", "-0", "-0", "inf", "-inf", "100000", "4.99995e+09",
        "nan", "nan", "false", "true", "true", "true", "false", "false",
        "true", "false", "false", "true", "true", "true", "false", "x", "y",
    ]
    assert (result.stderr, result.exit_code) == (b"", 0)


def test_closures_share_variables_and_resolution_is_static() -> None:
    result = run("""\
        var a = "global";
        {
          fun show() { print a; }
          show();
          var a = "local";
          show();
        }
        fun counter() { var n = 0; fun inc() { n = n + 1; return n; } return inc; }
        var c1 = counter(); var c2 = counter();
        c1(); c1();
        print c1(); print c2();
        var fs = nil;
        for (var i = 0; i < 3; i = i + 1) { fun f() { return i; } if (i == 1) fs = f; }
        print fs();
        for (var j = 0; j < 2; j = j + 1) { var k = j; fun g() { return k; } if (j == 0) fs = g; }
        print fs();
    """)
    assert result.stdout_text.split() == ["global", "global", "3", "1", "3", "0"]


# ---------------------------------------------------------------- classes (expected output: clox's)
CLASSES = """\
class Animal {
  init(name) { this.name = name; }
  speak() { return this.name + " makes a sound"; }
  kind() { return "animal"; }
}
class Dog < Animal {
  init(name) { super.init(name); this.tricks = 0; }
  speak() { return super.speak() + ", woof"; }
  learn() { this.tricks = this.tricks + 1; return this; }
}
var d = Dog("rex");
print d.speak();
print d.kind();
print d.learn().learn().tricks;
print Dog;
print d;
print d.speak;
var s = d.speak;
print s();
print d.speak == d.speak;
print d == d;
print d.init("max") == d;
print d.name;
fun loud() { return "LOUD"; }
d.speak = loud;
print d.speak();
var a = Animal("cat");
d.kind = a.speak;
print d.kind();
class Counter {
  init() { this.n = 0; }
  incrementer() {
    fun inc() { this.n = this.n + 1; return this.n; }
    return inc;
  }
}
var c = Counter();
var inc = c.incrementer();
inc();
print inc();
print c.n;
class Empty {}
var e = Empty();
e.later = "added";
print e.later;
print Empty();
class Base { m() { return "base"; } }
class Derived < Base {}
print Derived().m();
{
  var secret = "local";
  class Local { reveal() { return secret; } }
  print Local().reveal();
}
class A { method() { return "A"; } }
class B < A { method() { return "B"; } test() { return super.method(); } }
class C < B {}
print C().test();
var sm = C().test;
print sm();
"""

CLASSES_OUTPUT = """\
rex makes a sound, woof
animal
2
Dog
Dog instance
<fn speak>
rex makes a sound, woof
false
true
true
max
LOUD
cat makes a sound
2
2
added
Empty instance
base
local
A
A
"""


def test_classes_fields_methods_init_this_super_and_bound_methods() -> None:
    result = evaluate(CLASSES)
    assert (result.stdout_text, result.stderr, result.exit_code) == (CLASSES_OUTPUT, b"", 0)


CLASS_ERRORS = [
    ("class P { init(a, b) {} }\nfun make() {\n  return P(1);\n}\nmake();\n",
     "Expected 2 arguments but got 1.\n[line 3] in make()\n[line 5] in script\n"),
    ("var notclass = 3;\nclass Q < notclass {}\n", "Superclass must be a class.\n[line 2] in script\n"),
    ("class R {}\nfun f(x) { return x.missing; }\nfun g() { return f(R()); }\nprint g();\n",
     "Undefined property 'missing'.\n[line 2] in f()\n[line 3] in g()\n[line 4] in script\n"),
    ("class S { m() { return 1; } }\nprint S().m(1, 2);\n", "Expected 0 arguments but got 2.\n[line 2] in script\n"),
    ('var s = "str";\ns.len();\n', "Only instances have methods.\n[line 2] in script\n"),
    ("class T {}\nT(1, 2);\n", "Expected 0 arguments but got 2.\n[line 2] in script\n"),
    ("class U {}\nvar u = U();\nu();\n", "Can only call functions and classes.\n[line 3] in script\n"),
    ("class V {}\nV.field = 1;\n", "Only instances have fields.\n[line 2] in script\n"),
    ("fun f() {}\nf.x = 1;\n", "Only instances have fields.\n[line 2] in script\n"),
    ("class W { init() { this.x = 1; } }\nprint W().x;\nprint W.x;\n",
     "Only instances have properties.\n[line 3] in script\n"),
    ("class Up { go() { return this.nothing; } }\nclass Down < Up { go() { return super.go(); } }\nDown().go();\n",
     "Undefined property 'nothing'.\n[line 1] in go()\n[line 2] in go()\n[line 3] in script\n"),
    ("class Up {}\nclass Down < Up { go() { return super.absent(); } }\nDown().go();\n",
     "Undefined property 'absent'.\n[line 2] in go()\n[line 3] in script\n"),
    ("class Up {}\nclass Down < Up { go() { var m = super.absent; return m; } }\nDown().go();\n",
     "Undefined property 'absent'.\n[line 2] in go()\n[line 3] in script\n"),
    # Lines follow clox: a call's closing ')', a property's name, an assignment's value.
    ("class K {\n  init() {\n    this.v\n      = 1;\n  }\n  m(\n  ) { return this\n     .nope; }\n}\n"
     "var k = K();\nprint k\n  .v;\nk.m(\n);\n",
     "Undefined property 'nope'.\n[line 8] in m()\n[line 14] in script\n"),
    ("var o = nil;\no.f(1,\n  2\n);\n", "Only instances have methods.\n[line 4] in script\n"),
    ("var Y2 = 1;\nclass X <\n  Y2 {}\n", "Superclass must be a class.\n[line 3] in script\n"),
]


@pytest.mark.parametrize(("source", "stderr"), CLASS_ERRORS, ids=[str(n) for n in range(len(CLASS_ERRORS))])
def test_class_runtime_errors_and_their_traces(source: str, stderr: str) -> None:
    result = evaluate(source)
    assert (result.stderr_text, result.exit_code) == (stderr, 70)


# ---------------------------------------------------------------- traces, natives, exit status, compile errors
def _trace_of_depth(k: int) -> list[str]:
    result = run(f"""\
        fun down(n) {{
          if (n == 0) return nil + 1;
          return down(n - 1);
        }}
        down({k});
    """)
    assert result.exit_code == 70
    return result.stderr_text.splitlines()


def test_traces_of_up_to_40_frames_are_whole_and_deeper_ones_elided() -> None:
    whole = _trace_of_depth(38)       # the script and 39 calls: 40 frames
    assert whole == ["Operands must be two numbers or two strings.", "[line 2] in down()",
                     *["[line 3] in down()"] * 38, "[line 5] in script"]
    elided = _trace_of_depth(39)      # 41 frames: 32 innermost, 1 elided, 8 outermost
    assert elided == ["Operands must be two numbers or two strings.", "[line 2] in down()",
                      *["[line 3] in down()"] * 31, "[... 1 more frames ...]",
                      *["[line 3] in down()"] * 7, "[line 5] in script"]


def test_stack_overflow_at_the_frame_limit() -> None:
    result = run("fun f(n) { return f(n + 1); }\nprint f(0);\n")
    lines = result.stderr_text.splitlines()
    assert lines[0] == "Stack overflow."
    assert lines[33] == f"[... {MAX_FRAMES - 40} more frames ...]"
    assert lines[-1] == "[line 2] in script"
    assert (len(lines), result.exit_code) == (42, 70)


def test_natives_stdin_and_exit() -> None:
    result = run("""\
        var c = getc();
        var s = "";
        while (c != -1) { s = s + chr(c); c = getc(); }
        print s;
        print_error("to stderr");
        print_error(12);
        print clock() >= 0;
        print chr;
        exit(300);
        print "not reached";
    """, stdin="ab")
    assert (result.stdout_text, result.stderr_text, result.exit_code) == (
        "ab\ntrue\n<native fn>\n", "to stderr\n12\n", 44)


def test_native_argument_errors_use_our_texts() -> None:
    assert run("chr(256);").stderr_text == \
        "Argument to chr() must be an integer from 0 to 255.\n[line 1] in script\n"
    assert run('exit("x");').stderr_text == "Argument to exit() must be a number.\n[line 1] in script\n"
    assert run("clock(1);").stderr_text == "Expected 0 arguments but got 1.\n[line 1] in script\n"
    assert run("exit(0/0);").exit_code == 0           # clox: (int)NaN is INT_MIN on x86-64
    assert run("exit(-1);").exit_code == 255


def test_compile_errors_exit_65_with_every_message() -> None:
    result = run("print 1\nvar = 2;\nthis;\n")
    assert result.exit_code == 65 and result.stdout == b""
    assert result.stderr_text == ("[line 2] Error at 'var': Expect ';' after value.\n"
                                  "[line 2] Error at '=': Expect variable name.\n"
                                  "[line 3] Error at 'this': Can't use 'this' outside of a class.\n")


def test_source_and_output_are_bytes_as_a_vm_reads_and_writes_them() -> None:
    result = evaluate('print "h\u00e9"; print chr(255);')
    assert result.stdout == "h\u00e9\n".encode("utf-8") + b"\xff\n"
    assert result.stdout_text == "h\u00e9\n\\xff\n"
    assert evaluate(b'print "\xe9";').stdout == b"\xe9\n"
