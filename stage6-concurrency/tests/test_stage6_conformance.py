"""Stage 6 runs the whole corpus with compiles in worker processes: as users get it (one worker, code
installed whenever it is ready; small modules compiled on the main thread), and with every module
sent to a worker: deterministic (each compile finishes before the program goes on) with
every function compiled at once, and with two workers under the collector's stress mode and verifier.
(``--compile-threads=0`` is stage 5's path, which stage 5's tests run in every mode.)"""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case

#: Every module goes to a worker, however small (by default small ones are compiled on the main thread).
EVERY_MODULE = ["--set", "compile_fork_min_size=0", "--set", "compile_fork_osr=true"]

MODES: dict[str, list[str]] = {
    "background": [],
    "deterministic-eager": ["--compile-deterministic", "--jit=eager", *EVERY_MODULE],
    "two-processes-eager-gc-stress": ["--compile-threads=2", "--jit=eager", "--gc-stress", "--gc-verify",
                                    *EVERY_MODULE],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core", "classes"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage6_concurrency", case)
