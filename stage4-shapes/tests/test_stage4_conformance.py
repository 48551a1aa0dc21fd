"""Stage 4 runs the whole corpus, class-free and classes, in each of its modes (stage 3's)."""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

MODES: dict[str, list[str]] = {
    "off": ["--jit=off"],
    "eager": ["--jit=eager"],
    "ic-off": ["--ic=off"],
    "default": [],
    "deopt-stress": ["--deopt-stress"],
    # A low threshold compiles functions and enters loops (OSR) after a few iterations, with little feedback.
    "threshold3": ["--threshold=3"],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core", "classes"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage4_shapes", case)
