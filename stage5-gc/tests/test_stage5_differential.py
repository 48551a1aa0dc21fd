"""Differential testing under the collector: random programs (with classes) must behave identically in stage
5's tiers, each with a collection at every safepoint after an allocation (``--gc-stress --gc-verify``), and
in the oracle.

The number of examples is ``$LOX_DIFF_EXAMPLES`` (default 10): run
``LOX_DIFF_EXAMPLES=500 pytest stage5-gc/tests/test_stage5_differential.py`` for a long hunt.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402

from lox_testing.programs import differential_check, lox_programs  # noqa: E402
from stage5_helpers import STRESS_MODES, VM, lox_env  # noqa: E402

EXAMPLES = int(os.environ.get("LOX_DIFF_EXAMPLES", "10"))

# Garbage in every kind, made in loops compiled mid-run, with survivors held by locals of suspended frames.
CHURN = """\
class Node { init(v, next) { this.v = v; this.next = next; } }
fun chain(n) { var head = nil; for (var i = 0; i < n; i = i + 1) head = Node(i, head); return head; }
fun sum(h) { var s = 0; while (h != nil) { s = s + h.v; h = h.next; } return s; }
fun maker(k) { var c = 0; fun step() { c = c + k; return c; } return step; }
var keep = chain(50);
var total = 0;
for (var i = 0; i < 400; i = i + 1) {
  var local = chain(5);
  var f = maker(i);
  var text = "n" + "o";
  total = total + sum(local) + f() - i + sum(keep) - 1225;
  if (text != "no") print "lost";
}
print total;
print sum(keep);
"""


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(CHURN)
@given(lox_programs(classes=True, allow_errors=True))
def test_every_tier_agrees_under_gc_stress(source: str) -> None:
    differential_check(VM, source, STRESS_MODES, env=lox_env(), allowed_exits=(0, 70))
