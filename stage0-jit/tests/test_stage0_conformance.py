"""Stage 0 runs the whole class-free conformance corpus (stage 0 has one mode: compile everything first)."""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

MODES: dict[str, list[str]] = {"default": []}


@pytest.mark.parametrize("case", corpus_cases(groups=["core"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program, run as a user would, matches its expectation comments."""
    run_case("stage0_jit", case)
