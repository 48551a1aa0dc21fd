"""Stage 1 runs the whole class-free corpus in each of its modes: interpreter only, eager JIT, tiered."""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

MODES: dict[str, list[str]] = {
    "off": ["--jit=off"],
    "eager": ["--jit=eager"],
    "default": [],
    # A low threshold makes functions tier up in the middle of every small test program.
    "threshold3": ["--threshold=3"],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage1_interp", case)
