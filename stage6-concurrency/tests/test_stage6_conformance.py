"""Stage 6 runs the whole corpus with compiles in worker processes: as users get it (one worker, code
installed whenever it is ready), deterministic (each compile finishes before the program goes on) with
every function compiled at once, and with two workers under the collector's stress mode and verifier.
(``--compile-threads=0`` is stage 5's path, which stage 5's tests run in every mode.)"""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

MODES: dict[str, list[str]] = {
    "background": [],
    "deterministic-eager": ["--compile-deterministic", "--jit=eager"],
    "two-workers-eager-gc-stress": ["--compile-threads=2", "--jit=eager", "--gc-stress", "--gc-verify"],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core", "classes"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage6_concurrency", case)
