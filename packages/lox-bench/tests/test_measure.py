"""Tests for running one child process: exit status, output, its own peak memory, timeouts."""

from __future__ import annotations

import sys

from lox_bench.measure import run_process


def test_output_and_exit_status() -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    outcome = run_process([sys.executable, "-c", code])
    assert outcome.exit_code == 3
    assert outcome.stdout == "out\n"
    assert outcome.stderr == "err\n"
    assert not outcome.timed_out
    assert outcome.wall_seconds > 0


def test_peak_memory_is_the_childs_own() -> None:
    code = "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    big = run_process([sys.executable, "-c", code])
    assert big.exit_code == 0
    assert big.peak_kb > 150 * 1024
    # A large runner must not inflate a small child's figure (exec folds the
    # spawning process's resident size into the child's ru_maxrss).
    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_process([sys.executable, "-c", "pass"])
    del ballast
    assert small.exit_code == 0
    assert 0 < small.peak_kb < 100 * 1024


def test_missing_program() -> None:
    outcome = run_process(["/nonexistent/program"])
    assert outcome.exit_code == 127
    assert "cannot start" in outcome.stderr


def test_timeout_kills_the_child() -> None:
    outcome = run_process([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    assert outcome.timed_out
    assert outcome.exit_code != 0


def test_signal_exit_code() -> None:
    outcome = run_process([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])
    assert outcome.exit_code == -15
