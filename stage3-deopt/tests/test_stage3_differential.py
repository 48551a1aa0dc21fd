"""Differential testing: random valid Lox programs must behave identically in every mode of stage 3.

Each example is a program drawn by ``lox_testing.programs.lox_programs``
run in stage 3's conformance modes (``stage3_helpers.MODES``): interpreter
only, eager compilation (no feedback yet), feedback ignored (``--ic=off``),
tiered (default), every guard failing once (``--deopt-stress``: every deopt
exit and side table runs), and threshold 3 (functions compiled and loops
entered by OSR after a few iterations, trusting very little feedback, so
later types deoptimise). Standard output, standard error and the exit
status must agree with each other and with ``lox_testing.oracle``; the
status must be 0 or 70 (the programs are valid; some end in a deliberate
runtime error).

The number of examples is ``$LOX_DIFF_EXAMPLES`` (default 10): run
``LOX_DIFF_EXAMPLES=500 pytest stage3-deopt/tests/test_stage3_differential.py``
for a long hunt. A failure prints the program and a diff of the outputs;
hypothesis shrinks it to a small program first.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402

try:
    from lox_testing.programs import differential_check, lox_programs
except ImportError as error:     # the helper module is written alongside the stages
    pytest.skip(f"lox_testing.programs (lox_programs, differential_check) is not available: {error}",
                allow_module_level=True)

from stage3_helpers import MODES, VM, lox_env  # noqa: E402

EXAMPLES = int(os.environ.get("LOX_DIFF_EXAMPLES", "10"))

# Hand-written programs always run first. Types that change after the code trusting them was compiled:
TYPES_FLIP_AFTER_COMPILATION = """\
fun add(a, b) { return a + b; }
fun same(a, b) { return a == b; }
fun neg(a) { return -a; }
fun less(a, b) { return a < b; }
var t = 0;
for (var i = 0; i < 1200; i = i + 1) {
  t = add(t, i);
  if (same(i, i) and less(i, t + 1)) t = t - neg(1);
}
print t;
print add("a", "b");
print same("x", "x");
print same(nil, false);
print same(0 / 0, 0 / 0);
print add(1, 2);
var g = 1;
fun readG() { return g + 1; }
for (var i = 0; i < 1200; i = i + 1) t = t + readG();
print t;
g = "now a string";
print readG() == nil;
"""

# ... inside loops OSR has entered (at the top level, in a function called once, in nested loops),
# and an OSR entry compiled for one activation reached by another whose slot then holds a string.
FLIPS_IN_OSR_LOOPS = """\
var s = 0;
var x = 1;
for (var i = 0; i < 3000; i = i + 1) {
  if (i == 2000) x = "x";
  if (i < 2000) s = s + x; else s = s + 1;
}
print s;
print x;
fun main() {
  var a = 1;
  var b = 2;
  var c = 0;
  fun count() { return c; }
  var n = 0;
  for (var i = 0; i < 40; i = i + 1) {
    for (var j = 0; j < 50; j = j + 1) {
      if (i == 30) { a = "p"; b = "q"; }
      var r = a + b;
      c = c + 1;
      if (r == "pq") n = n + 1; else n = n + r;
    }
  }
  print n;
  print count();
}
main();
fun f(depth) {
  var a = 1;
  var n = 0;
  for (var i = 0; i < 1500; i = i + 1) {
    if (depth == 0 and i == 5) {
      n = n + f(1);
      a = "x";
    }
    var r = a + a;
    if (r == "xx") n = n + 2; else n = n + r;
  }
  return n;
}
print f(0);
"""

# ... inside a recursive function whose self-calls go to an inline copy, the error included.
FLIPS_IN_INLINE_COPY = """\
fun rep(n, s) {
  if (n < 1) return s;
  return rep(n - 1, s) + s;
}
var t = 0;
for (var i = 0; i < 400; i = i + 1) t = t + rep(3, i);
print t;
print rep(3, "ab");
print rep(4, "c");
print rep(2, 0.5);
for (var i = 0; i < 400; i = i + 1) t = t + rep(2, i);
print t;
print rep(2, nil);
"""

# ... and callees that change under a call site compiled to call one directly.
CALLEES_CHANGE = """\
fun one() { return 1; }
fun two() { return 2; }
fun call(f) { return f(); }
fun make(n) { fun get() { return n; } return get; }
var t = 0;
for (var i = 0; i < 1500; i = i + 1) t = t + call(one);
print t;
print call(two);
var g = make(10);
print call(g) + call(g) + call(make(20));
fun one() { return "redefined"; }
print call(one);
print call(make);
"""


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(TYPES_FLIP_AFTER_COMPILATION)
@example(FLIPS_IN_OSR_LOOPS)
@example(FLIPS_IN_INLINE_COPY)
@example(CALLEES_CHANGE)
@given(lox_programs())
def test_every_mode_agrees(source: str) -> None:
    differential_check(VM, source, MODES, env=lox_env(), allowed_exits=(0, 70))
