"""Stage 1 runs the whole class-free corpus in each of its modes: interpreter only, eager JIT, tiered."""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

MODES: dict[str, list[str]] = {
    "off": ["--jit=off"],
    "eager": ["--jit=eager"],
    "default": [],
}
# (Stage 2 also runs the corpus with --threshold=3, which tiers functions up mid-program.)


@pytest.mark.parametrize("case", corpus_cases(groups=["core"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage1_interp", case)
