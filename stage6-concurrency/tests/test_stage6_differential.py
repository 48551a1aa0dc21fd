"""Differential testing with background compilation: random programs (with classes) must behave the same
with compiles in process, in one compile process at a time installed whenever ready (with a low threshold and
every module forked, so much gets compiled mid-run), and two at a time, and as the oracle says.

The number of examples is ``$LOX_DIFF_EXAMPLES`` (default 10): run
``LOX_DIFF_EXAMPLES=500 pytest stage6-concurrency/tests/test_stage6_differential.py`` for a long hunt.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from lox_testing.programs import differential_check, lox_programs  # noqa: E402
from stage6_helpers import EVERY_MODULE, VM, lox_env  # noqa: E402

EXAMPLES = int(os.environ.get("LOX_DIFF_EXAMPLES", "10"))

MODES: dict[str, tuple[str, ...]] = {
    "in-process": ("--compile-threads=0", "--threshold=3"),
    "background": ("--threshold=3", *EVERY_MODULE),
    "background-again": ("--threshold=3", *EVERY_MODULE),
    "two-processes": ("--threshold=3", *EVERY_MODULE, "--compile-threads=2"),
}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lox_programs(classes=True, allow_errors=True))
def test_background_compilation_agrees(source: str) -> None:
    """One random program prints the same in every mode and in the oracle."""
    differential_check(VM, source, MODES, env=lox_env(), allowed_exits=(0, 70))
