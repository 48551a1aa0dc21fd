"""Stage 2's guarded fast paths are *taken*: each guarded site of a hot function counts no guard miss.

A stage-2 guard that never matches changes no output (the miss path runs the
generic operation), so only the site's miss counter can tell. ``--stats``
lists every guarded site of compiled code with its misses; this program's
sites must each be listed (so they were compiled with their guard) with 0.
Stage 3 reuses these emitters for sites that stopped speculating and under
``--deopt=off``; its own guards are tested in test_stage3_fast_paths.py.
"""

from __future__ import annotations

import re

import pytest

from lox_testing.reports import section
from stage2_helpers import Run, assert_clean, run_program

# step runs 3000 times (compiled after its first 1000 calls); its parameters are never proven anything, so
# each guard tests both operands. Numbers at the arithmetic sites, strings at the concatenation; the call of ``f``
# alternates between two functions (a polymorphic site: each guard tests the callee's function).
HOT = """\
fun cat(a, b) { return a + b; }                      // cat
fun one(x) { return x; }
fun two(x) { return x; }
fun step(n, i, s, t, f) {
  n = n + i;                                         // add
  n = n - s;                                         // sub
  n = n * s;                                         // mul
  n = n / s;                                         // div
  if (i == s) n = n + 1;                             // eq
  f(n);                                              // poly
  return cat(t, "b");                                // call
}
fun main() {
  var r;
  var f = one;
  for (var i = 0; i < 3000; i = i + 1) {
    r = step(i, i, 1, "a", f);
    if (f == one) f = two; else f = one;
  }
  print r;
}
main();
"""


def line_of(source: str, marker: str) -> int:
    """The 1-based line of the one source line ending in ``// marker``."""
    found = [n for n, text in enumerate(source.splitlines(), 1) if text.rstrip().endswith(f"// {marker}")]
    assert len(found) == 1, f"{marker!r} on lines {found}"
    return found[0]


@pytest.fixture(scope="module")
def hot(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run of HOT with ``--stats``."""
    run = run_program(tmp_path_factory.mktemp("fast_paths"), HOT, "--stats")
    assert_clean(run, 0)
    assert run.stdout == "ab\n", run.describe()
    return run


@pytest.mark.parametrize("function, marker, operation, cases", [
    ("step", "add", "ADD", "(number, number)"),
    ("step", "sub", "SUBTRACT", "(number, number)"),
    ("step", "mul", "MULTIPLY", "(number, number)"),
    ("step", "div", "DIVIDE", "(number, number)"),
    ("step", "eq", "EQUAL", "(number, number)"),
    ("cat", "cat", "ADD", "(string, string)"),
    ("step", "call", "CALL", "<fn cat>"),
    ("step", "poly", "CALL", "<fn two>, <fn one>"),
])
def test_guarded_site_never_misses(hot: Run, function: str, marker: str, operation: str, cases: str) -> None:
    line = line_of(HOT, marker)
    sites = section(hot.stderr, "guard misses per site (guarded sites in compiled code)")
    mine = [text for text in sites if text.startswith(f"  {function} line {line} {operation}: ")]
    state = "polymorphic" if marker == "poly" else "monomorphic"
    assert mine == [f"  {function} line {line} {operation}: 0 misses ({state}: {cases})"], "\n".join(sites)
    tiers = section(hot.stderr, "tiers (function: calls, back-edges, state)")
    assert any(re.match(rf"\s+{function}: .*, compiled", text) for text in tiers), "\n".join(tiers)


def test_no_miss_anywhere(hot: Run) -> None:
    sites = section(hot.stderr, "guard misses per site (guarded sites in compiled code)")
    assert sites and all(": 0 misses (" in text for text in sites), "\n".join(sites)
