"""Differential testing: random valid Lox programs must behave identically in every mode of stage 1.

Each example is a program drawn by ``lox_testing.programs.lox_programs`` run
four times (interpreter only, eager JIT, tiered, and tiered with threshold 2
so functions tier up in the middle of tiny programs); stdout, stderr and the
exit status must agree, and the status must be 0 or 70 (the programs are
valid; some end in a deliberate runtime error).

The number of examples is ``$LOX_DIFF_EXAMPLES`` (default 15): run
``LOX_DIFF_EXAMPLES=500 pytest stage1-interp/tests/test_stage1_differential.py``
for a long hunt. A failure prints the program and a diff of the outputs;
hypothesis shrinks it to a small program first.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402

from lox_testing.programs import differential_check, lox_programs  # noqa: E402

from stage1_helpers import lox_env  # noqa: E402

MODES: dict[str, list[str]] = {
    "off": ["--jit=off"],
    "eager": ["--jit=eager"],
    "default": [],
    "threshold2": ["--threshold=2"],
}

EXAMPLES = int(os.environ.get("LOX_DIFF_EXAMPLES", "15"))

# Hand-written programs always run first: closures over loop variables, recursion, and errors crossing tiers.
CLOSURES_AND_RECURSION = """\
var fs = nil;
fun keep(f) { fs = f; return f; }
for (var i = 0; i < 3; i = i + 1) {
  fun show() { return i; }
  keep(show);
  print show();
}
print fs();
fun r(n, s) {
  if (n <= 0) return s;
  return r(n - 1, s + "x") + "!";
}
print r(5, "");
fun make(c) {
  fun inc() { c = c + 1; return c; }
  return inc;
}
var a = make(10);
var b = make(20);
print a() + b() + a();
"""

ERROR_DEEP_IN_RECURSION = """\
fun f(n) {
  if (n == 0) return -"boom";
  return f(n - 1) + 1;
}
print f(1);
"""


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(CLOSURES_AND_RECURSION)
@example(ERROR_DEEP_IN_RECURSION)
@given(lox_programs())
def test_every_mode_agrees(source: str) -> None:
    differential_check("stage1_interp", source, MODES, env=lox_env(), allowed_exits=(0, 70))
