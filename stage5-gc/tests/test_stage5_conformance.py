"""Stage 5 runs the whole corpus in the main tiers, and again in each with a collection at every safepoint
after an allocation (``--gc-stress``) checked by the heap verifier (``--gc-verify``): interpreter, tiered,
eager and ``--deopt-stress``. (Stage 4's other modes, ``--ic=off`` and ``--threshold=3``, change no code
stage 5 adds; stage 4's tests run them.)"""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

STRESS = ["--gc-stress", "--gc-verify"]

MODES: dict[str, list[str]] = {
    "off": ["--jit=off"],
    "eager": ["--jit=eager"],
    "default": [],
    "deopt-stress": ["--deopt-stress"],
    # Every allocation that reaches the slow path asks for a collection, taken at the next safepoint:
    "gc-stress-off": ["--jit=off", *STRESS],
    "gc-stress": STRESS,
    "gc-stress-eager": ["--jit=eager", *STRESS],
    "gc-stress-deopt": ["--deopt-stress", *STRESS],
    # Young collections at the usual places, verified, with a tiny nursery and an early full collection:
    "small-heap": ["--gc-verify", "--set", "nursery_kb=16", "--set", "full_gc_floor_mb=1", "--set",
                   "full_gc_growth=1.1"],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core", "classes"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage5_gc", case)
