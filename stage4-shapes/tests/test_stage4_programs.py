"""Tricky class programs give the same output in every mode of stage 4 as the reference evaluator.

Each program changes what a site sees after it was cached, compiled or
both: shapes that change inside a hot loop, sites going polymorphic and
megamorphic in compiled code, cached transitions that grow the overflow
store, bound methods made in compiled code, super calls and class calls
that meet new classes, fields that replace methods, errors at cached sites,
deep recursion through methods, and the prompt. ``run_everywhere`` runs
each in every mode (``stage4_helpers.MODES``) and requires one output;
that output must be the one written here, which ``lox_testing.oracle``
agrees with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing.oracle import evaluate
from stage4_helpers import Run, assert_clean, run_everywhere, run_program, run_vm, section


def check(tmp_path: Path, source: str, stdout: str, stderr: str = "", status: int = 0,
          oracle: bool = True) -> Run:
    """``source`` prints ``stdout`` and ``stderr`` and exits ``status`` in every mode (and in the oracle)."""
    if oracle:
        expected = evaluate(source, "")
        assert (expected.stdout_text, expected.stderr_text, expected.exit_code) == (stdout, stderr, status)
    run = run_everywhere(tmp_path, source)
    assert (run.stdout, run.stderr, run.status) == (stdout, stderr, status)
    return run


# ---------------------------------------------------------------- shapes change under cached sites
SHAPE_CHANGES_MID_LOOP = """\
class P { init() { this.x = 1; this.y = 2; } }
fun main() {
  var bad = 0;
  var p = P();
  var expect = 1;
  for (var i = 0; i < 3000; i = i + 1) {
    if (i == 1500) p.z = 10;
    if (i == 2000) { p = P(); expect = 1; p.y = 5; }
    if (i == 2500) { var q = P(); q.w = 1; q.x = 7; expect = 7; p = q; }
    if (p.x != expect) bad = bad + 1;
    p.x = p.x + 1;
    expect = expect + 1;
  }
  print bad;
  print p.x;
  print p.w;
  print p.y;
}
main();
var o = P();
var bad = 0;
var expect = 1;
for (var i = 0; i < 3000; i = i + 1) {
  if (i == 1000) o.extra = 1;
  if (i == 2000) { o = P(); expect = 1; }
  if (o.x != expect) bad = bad + 1;
  o.x = o.x + 1;
  expect = expect + 1;
}
print bad;
print o.x;
"""


def test_property_caches_after_shapes_change_mid_loop(tmp_path: Path) -> None:
    check(tmp_path, SHAPE_CHANGES_MID_LOOP, "0\n507\n1\n2\n0\n1001\n")


def mega_while_compiled(classes: int = 10) -> str:
    """``classes`` classes whose ``x`` is field n (past the inline slots for the last ones) reach get, put and
    call in a loop: only K0 until they are compiled, then K0 and K1, then all of them in turn."""
    lines = []
    for n in range(classes):
        fillers = " ".join(f"this.f{k} = {k};" for k in range(n))
        lines.append(f"class K{n} {{ init() {{ {fillers} this.x = {n}; }} m() {{ return {n}; }} }}")
    lines.append("fun make(k) {")
    lines += [f"  if (k == {n}) return K{n}();" for n in range(classes - 1)]
    lines += [f"  return K{classes - 1}();", "}"]
    lines.append("""\
fun get(o) { return o.x; }
fun put(o, v) { o.x = v; }
fun call(o) { return o.m(); }
fun main() {
  var bad = 0; var k = 0; var last = nil;
  for (var i = 0; i < 6000; i = i + 1) {
    var o = make(k);
    if (get(o) != k) bad = bad + 1;
    if (call(o) != k) bad = bad + 1;
    put(o, i);
    if (get(o) != i) bad = bad + 1;
    if (o.x != i) bad = bad + 1;
    last = o;
    k = k + 1;
    if (i < 1500) k = 0;
    if (i < 3000 and k == 2) k = 0;
    if (k == LIMIT) k = 0;
  }
  print bad;
  print last.x;
  print call(last);
}
main();""".replace("LIMIT", str(classes)))
    return "\n".join(lines) + "\n"


def test_sites_going_polymorphic_and_megamorphic_while_compiled(tmp_path: Path) -> None:
    source = mega_while_compiled()
    check(tmp_path, source, "0\n5999\n9\n")
    # By default: get, put and call were compiled for K0, deopted to take K1 and, after the next deopt,
    # saw all ten classes in the interpreter before their last compilation.
    run = run_program(tmp_path, source, "--dump=shapes", "--stats")
    assert_clean(run, 0)
    for site in ("get line 23 GET_PROPERTY 'x'", "put line 24 SET_PROPERTY 'x'", "call line 25 INVOKE 'm'"):
        (line,) = [x for x in run.stderr.splitlines() if x.startswith(site + ": ")]
        assert line.startswith(f"{site}: megamorphic: "), line
    deopts = section(run.stderr, "deopts (function: count, guard)")
    for function in ("get", "put", "call"):
        assert f"  {function}: 2 deopts, guard 'shape'" in deopts, deopts


OVERFLOW_GROWS = """\
class K { init(a, b) { this.a = a; this.b = b; } }
var early = K(1, 2);
for (var i = 0; i < 100; i = i + 1) K(i, i);
fun fill(o, v) {
  o.c = v; o.d = v + 1; o.e = v + 2; o.f = v + 3; o.g = v + 4; o.h = v + 5; o.i = v + 6; o.j = v + 7;
  return o;
}
fun total(o) { return o.a + o.b + o.c + o.d + o.e + o.f + o.g + o.h + o.i + o.j; }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) {
  var k = fill(K(1, 2), i);
  if (total(k) != 8 * i + 31) bad = bad + 1;
  if (k.j != i + 7 or k.c != i or k.a != 1) bad = bad + 1;
}
print bad;
print total(fill(early, 100));
print early.j;
var late = fill(K(5, 6), 7);
late.k = 99;
late.l = 98;
print late.k + late.l + late.j + late.a;
print total(late);
"""


def test_cached_transitions_that_grow_the_overflow_store(tmp_path: Path) -> None:
    # Slack tracking learns two fields at the 64th K; fill's eight stores then go to the overflow store, two
    # of them making it bigger (to 4, then 8), and k, l one step further (16).
    check(tmp_path, OVERFLOW_GROWS, "0\n831\n107\n216\n95\n")


BOUND_LATER = """\
class C { init(n) { this.n = n; } get() { return this.n; } add(k) { return this.n + k; } }
class Node { init(v, next) { this.v = v; this.next = next; } }
fun bind(o) { return o.get; }
fun bindAdd(o) { return o.add; }
var list = nil;
for (var i = 0; i < 3000; i = i + 1) list = Node(bind(C(i)), list);
var bad = 0;
var expect = 2999;
var n = list;
while (n != nil) { if (n.v() != expect) bad = bad + 1; expect = expect - 1; n = n.next; }
print bad;
print expect;
print bind(C(3));
print bind(C(3))();
var adders = nil;
for (var i = 0; i < 3000; i = i + 1) adders = Node(bindAdd(C(i)), adders);
n = adders;
expect = 2999;
while (n != nil) { if (n.v(1) != expect + 1) bad = bad + 1; expect = expect - 1; n = n.next; }
print bad;
var held = adders.v;
adders.v = nil;
print held(10);
print adders.v(1, 2);
"""


def test_bound_methods_created_in_compiled_code_and_called_later(tmp_path: Path) -> None:
    check(tmp_path, BOUND_LATER, "0\n-1\n<fn get>\n3\n0\n3009\n",
          "Can only call functions and classes.\n[line 24] in script\n", 70)


SUPER_CHANGES = """\
class A { val() { return 1; } name() { return "A"; } }
class B { val() { return 2; } name() { return "B"; } }
class B2 < B { val() { return super.val() + 100; } }
fun make(base) {
  class Sub < base { val() { return super.val() * 10; } name() { return "Sub of " + super.name(); } }
  return Sub();
}
var bad = 0;
for (var i = 0; i < 2000; i = i + 1) if (make(A).val() != 10) bad = bad + 1;
print bad;
print make(B).val();
print make(B).name();
for (var i = 0; i < 2000; i = i + 1) if (make(B2).val() != 1020) bad = bad + 1;
print bad;
print make(A).name();
fun grab(base) {
  class G < base { v() { return super.val; } }
  return G().v();
}
for (var i = 0; i < 2000; i = i + 1) if (grab(A)() != 1) bad = bad + 1;
print bad;
print grab(B2)();
print grab(B2);
print grab(B)();
"""


def test_super_calls_cached_then_the_classes_change(tmp_path: Path) -> None:
    # Each make() declares a new class Sub: its super sites were cached on A, then see B and B2.
    check(tmp_path, SUPER_CHANGES, "0\n20\nSub of B\n0\nSub of A\n0\n102\n<fn val>\n2\n")


NEW_CLASS_AT_A_CALL_SITE = """\
fun build(k, v) { return k(v); }
class A { init(v) { this.v = v; } }
class B { init(v) { this.w = v * 2; } }
class C { }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) if (build(A, i).v != i) bad = bad + 1;
print bad;
print build(B, 5).w;
for (var i = 0; i < 3000; i = i + 1) {
  if (i == 2000) { if (build(B, i).w != 2 * i) bad = bad + 1; }
  else if (build(A, i).v != i) bad = bad + 1;
}
print bad;
fun twice(x) { return x * 2; }
print build(twice, 21);
fun none() { return C(); }
for (var i = 0; i < 3000; i = i + 1) if (none() == nil) bad = bad + 1;
print bad;
print build(C, 1);
"""


def test_a_class_call_site_that_later_sees_another_class_or_a_function(tmp_path: Path) -> None:
    check(tmp_path, NEW_CLASS_AT_A_CALL_SITE, "0\n10\n0\n42\n0\n",
          "Expected 0 arguments but got 1.\n[line 1] in build()\n[line 19] in script\n", 70)


WRONG_INIT_ARITY = """\
fun build(k, v) { return k(v); }
class A { init(v) { this.v = v; } }
class D { init(a, b) { this.a = a; } }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) if (build(A, i).v != i) bad = bad + 1;
print bad;
print build(D, 1);
"""


def test_init_with_the_wrong_arity_after_the_site_was_cached(tmp_path: Path) -> None:
    check(tmp_path, WRONG_INIT_ARITY, "0\n",
          "Expected 2 arguments but got 1.\n[line 1] in build()\n[line 7] in script\n", 70)


NOT_A_CLASS = """\
fun build(k, v) { return k(v); }
class A { init(v) { this.v = v; } }
fun deeper(k) { return build(k, 1); }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) if (deeper(A).v != 1) bad = bad + 1;
print bad;
print deeper(A(1).v);
"""


def test_a_class_call_site_that_sees_a_non_class(tmp_path: Path) -> None:
    check(tmp_path, NOT_A_CLASS, "0\n",
          "Can only call functions and classes.\n[line 1] in build()\n[line 3] in deeper()\n[line 7] in script\n",
          70)


FIELD_CLOSURE_AT_A_METHOD_SITE = """\
fun twice(x) { return x * 2; }
fun adder(n) { fun add(x) { return x + n; } return add; }
class A { init(k) { this.k = k; } m(x) { return x + this.k; } }
class B { init() { this.m = twice; } }
class C { init(n) { this.m = adder(n); } m(x) { return "shadowed"; } }
fun call(o, x) { return o.m(x); }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) if (call(A(1), i) != i + 1) bad = bad + 1;
print bad;
print call(B(), 5);
print call(C(10), 5);
var a2 = A(1);
a2.m = twice;
print call(a2, 7);
for (var i = 0; i < 3000; i = i + 1) {
  var o = A(2);
  if (i == 1000) o = B();
  if (i == 2000) o = C(3);
  if (i == 2500) o = a2;
  var r = call(o, i);
  if (i == 1000 or i == 2500) { if (r != 2 * i) bad = bad + 1; }
  else if (i == 2000) { if (r != i + 3) bad = bad + 1; }
  else if (r != i + 2) bad = bad + 1;
}
print bad;
a2.m = nil;
print call(a2, 1);
"""


def test_invoke_on_a_field_holding_a_closure_after_the_site_cached_a_method(tmp_path: Path) -> None:
    check(tmp_path, FIELD_CLOSURE_AT_A_METHOD_SITE, "0\n10\n15\n14\n0\n",
          "Can only call functions and classes.\n[line 6] in call()\n[line 27] in script\n", 70)


INIT_DEOPTS_INSIDE_SUPER_CHAINS = """\
class A { init(v) { this.v = v; } get() { return this.v; } }
class B < A { init(v) { this.w = 1; super.init(v + 1); } get() { return super.get() * 2 + this.w; } }
class C < B { init(v) { super.init(v); this.z = 3; } }
fun mk(k, v) { return k(v); }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) if (mk(A, i).get() != i) bad = bad + 1;
print bad;
for (var i = 0; i < 3000; i = i + 1) { var o = mk(B, i); if (o.get() != 2 * i + 3 or o.v != i + 1) bad = bad + 1; }
print bad;
for (var i = 0; i < 3000; i = i + 1) { var o = mk(C, i); if (o.get() + o.z != 2 * i + 6) bad = bad + 1; }
print bad;
var early = A(1);
fun reinit(o, v) { return o.init(v); }
for (var i = 0; i < 3000; i = i + 1) if (reinit(early, i).v != i) bad = bad + 1;
print bad;
print reinit(C(0), 5).v;
print A(1).init;
print C(1).init(2) == nil;
"""


def test_initializers_deoptimising_inside_super_init_chains(tmp_path: Path) -> None:
    # A's init caches A{} -> A{v}, then runs on B's and C's instances through super.init (other shapes).
    check(tmp_path, INIT_DEOPTS_INSIDE_SUPER_CHAINS, "0\n0\n0\n0\n6\n<fn init>\nfalse\n")


ERRORS_AT_CACHED_SITES = """\
class A { init() { this.x = 1; } m() { return 2; } }
fun get(o) { return o.x; }
fun put(o) { o.x = 3; }
fun call(o) { return o.m(); }
var bad = 0;
for (var i = 0; i < 3000; i = i + 1) { var a = A(); if (get(a) + call(a) != 3) bad = bad + 1; put(a); }
print bad;
fun errs(k) {
  if (k == 0) return get(1);
  if (k == 1) return put("str");
  if (k == 2) return call(nil);
  if (k == 3) return get(A);
  if (k == 4) return get(A().m);
  return A().y;
}
print errs(K);
"""


@pytest.mark.parametrize("k, message, line", [(0, "Only instances have properties.", 2),
                                              (1, "Only instances have fields.", 3),
                                              (2, "Only instances have methods.", 4),
                                              (3, "Only instances have properties.", 2),
                                              (4, "Only instances have properties.", 2),
                                              (5, "Undefined property 'y'.", 14)])
def test_errors_at_sites_cached_and_compiled_for_instances(tmp_path: Path, k: int, message: str, line: int) -> None:
    inner = [f"[line {line}] in {'errs' if k == 5 else ('get', 'put', 'call', 'get', 'get')[k]}()"]
    if k != 5:
        inner.append(f"[line {9 + k}] in errs()")
    trace = "\n".join([message, *inner, "[line 16] in script"]) + "\n"
    check(tmp_path, ERRORS_AT_CACHED_SITES.replace("K", str(k)), "0\n", trace, 70)


DICTIONARY_PAST_THE_LOOP = """\
class Big { m() { return "m"; } }
var b = Big();
for (var f = 0; f < 1; f = f + 1) { b.f1 = 1; b.f2 = 2; b.f3 = 3; }
fun main(k) {
  var s = 0;
  for (var i = 0; i < 3000; i = i + 1) s = s + b.f1;
  print s;
  var c = Big(); c.x = k; c.y = 2; c.z = 3;
  print c.z + c.x;
  c.w = 5;
  print c.w + b.f3 + c.x;
  b.f4 = k;
  print b.f4;
  print b.m() + c.m();
}
for (var j = 0; j < 3; j = j + 1) main(j);
"""


@pytest.mark.parametrize("fields", [2, 64])
def test_dictionary_mode_instances_at_compiled_sites(tmp_path: Path, fields: int) -> None:
    # With max_shape_fields=2, b and every c are in dictionary mode when compiled code meets them.
    modes = {mode: (*flags, "--set", f"max_shape_fields={fields}") for mode, flags in
             {"off": ("--jit=off",), "eager": ("--jit=eager",), "ic-off": ("--ic=off",), "default": (),
              "deopt-stress": ("--deopt-stress",), "threshold3": ("--threshold=3",),
              "deopt-off": ("--deopt=off",)}.items()}
    run = run_everywhere(tmp_path, DICTIONARY_PAST_THE_LOOP, modes)
    expected = "".join(f"3000\n{3 + k}\n{8 + k}\n{k}\nmm\n" for k in range(3))
    assert (run.stdout, run.stderr, run.status) == (expected, "", 0)
    assert evaluate(DICTIONARY_PAST_THE_LOOP, "").stdout_text == expected


# ---------------------------------------------------------------- deep recursion through methods
DEEP = """\
class R {
  down(n) { if (n == 0) return 0; return this.down(n - 1) + 1; }
  viaSuper(n) { return this.down(n); }
}
class S < R { down(n) { if (n == 0) return 0; return super.down(n - 1) + 1; } }
print R().down(10000);
print S().viaSuper(10000);
print R().down(N);
"""


def test_ten_thousand_nested_method_calls_work(tmp_path: Path) -> None:
    check(tmp_path, DEEP.replace("N", "99998"), "10000\n10000\n99998\n", oracle=False)


def test_a_hundred_thousand_and_one_nested_method_calls_overflow_the_stack(tmp_path: Path) -> None:
    # 100,000 frames at most (the script and 99,999 calls): the trace shows 32 innermost, elides the rest
    # but the 7 outermost calls and the script.
    trace = ["Stack overflow."] + ["[line 2] in down()"] * 32 + ["[... 99960 more frames ...]"] + \
        ["[line 2] in down()"] * 7 + ["[line 8] in script"]
    check(tmp_path, DEEP.replace("N", "100000"), "10000\n10000\n", "\n".join(trace) + "\n", 70, oracle=False)


# ---------------------------------------------------------------- the prompt
SESSION_MODES: tuple[tuple[str, ...], ...] = ((), ("--jit=off",), ("--threshold=2",), ("--deopt-stress",),
                                              ("--deopt=off",), ("--ic=off",), ("--set", "feedback_after=0"))

SESSION = [
    "class P { init(x) { this.x = x; } get() { return this.x; } }",
    "var s = 0;",
    "for (var i = 0; i < 3000; i = i + 1) s = s + P(1).get();",
    "print s;",
    "print P(1, 2);",
    "print P(5).y;",
    "class Q < P { get() { return super.get() * 2; } }",
    "for (var i = 0; i < 3000; i = i + 1) s = s + Q(1).get() + P(1).x;",
    "print s;",
    "fun read(o) { return o.get(); }",
    "var even = true;",
    "for (var i = 0; i < 3000; i = i + 1) { var o = P(i); if (even) o = Q(i); even = !even; s = s + read(o); }",
    "print s;",
    "var p = P(1); p.get = \"field\";",
    "print p.get;",
    "print read(p);",
    "class R < p {}",
    "print read(Q(21));",
    "print P;",
]
SESSION_OUT = "> > > > 3000\n> > > > > 12000\n> > > > 6.759e+06\n> > field\n> > > 42\n> P\n> \n"
SESSION_ERR = ["Expected 1 arguments but got 2.", "[line 1] in script",
               "Undefined property 'y'.", "[line 1] in script",
               "Can only call functions and classes.", "[line 1] in read()", "[line 1] in script",
               "Superclass must be a class.", "[line 1] in script"]


@pytest.mark.parametrize("flags", SESSION_MODES, ids=lambda flags: " ".join(flags) or "default")
def test_classes_declared_at_the_prompt_get_hot_on_later_lines_and_errors_keep_the_session(
        flags: tuple[str, ...]) -> None:
    run = run_vm(*flags, stdin=("\n".join(SESSION) + "\n").encode())
    assert_clean(run, 0)
    assert (run.stdout, run.stderr_lines) == (SESSION_OUT, SESSION_ERR), run.describe()
