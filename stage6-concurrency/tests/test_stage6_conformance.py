"""Stage 6 runs the whole corpus with compiles in forked processes: as users get it (big modules forked,
code installed whenever it is ready; small modules and OSR entries compiled on the main thread), and with
every module and OSR entry forked however small: deterministic (each compile finishes and is installed
before the program goes on) with every function compiled at once; two processes at a time under the
collector's stress mode and verifier; and, installed whenever ready, with every guard failing once
(``--deopt-stress``) on code compiled in a process. (``--compile-threads=0`` is stage 5's path, which stage
5's tests run in every mode.)"""

from __future__ import annotations

import pytest

from lox_testing import Case, corpus_cases, run_case
from stage6_helpers import EVERY_MODULE

MODES: dict[str, list[str]] = {
    "background": ["--compile-threads=1"],
    "deterministic-eager": ["--compile-deterministic", "--jit=eager", *EVERY_MODULE],
    "two-processes-eager-gc-stress": ["--jit=eager", "--gc-stress", "--gc-verify", *EVERY_MODULE,
                                      "--compile-threads=2"],
    "threshold3-deopt-stress": ["--threshold=3", "--deopt-stress", *EVERY_MODULE],
}


@pytest.mark.parametrize("case", corpus_cases(groups=["core", "classes"], modes=MODES), ids=str)
def test_corpus(case: Case) -> None:
    """One corpus program in one mode matches its expectation comments."""
    run_case("stage6_concurrency", case)
