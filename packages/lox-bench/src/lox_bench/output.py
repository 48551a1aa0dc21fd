"""Checking a benchmark's standard output against its .expected lines and reading its timing line."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether the output matched, the in-program seconds (None when no timing line), and why not."""

    ok: bool
    program_seconds: float | None
    message: str = ""


def parse_timing(line: str) -> float | None:
    """The seconds on a timing line (a finite, non-negative float as Lox or Python prints it), else None."""
    try:
        value = float(line.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a one-line message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_output(stdout: str, expected: Sequence[str]) -> Verdict:
    """Compare ``stdout`` with the ``expected`` lines; the one extra last line, if any, is the timing.

    A program may print exactly the expected lines (no timing line: in-program
    time is unknown) or the expected lines plus one last line holding its
    timed section in seconds. Anything else is a mismatch.
    """
    lines = stdout.splitlines()
    program: float | None = None
    if len(lines) == len(expected) + 1:
        program = parse_timing(lines[-1])
        if program is None:
            return Verdict(False, None, f"last line is not a timing: {_shorten(lines[-1])!r}")
        lines = lines[:-1]
    for number, (want, got) in enumerate(zip(expected, lines), start=1):
        if want != got:
            return Verdict(
                False, None, f"line {number}: expected {_shorten(want)!r}, got {_shorten(got)!r}"
            )
    if len(lines) < len(expected):
        return Verdict(
            False,
            None,
            f"only {len(lines)} line(s) of output, expected {len(expected)} (+ timing); "
            f"missing {_shorten(expected[len(lines)])!r}",
        )
    if len(lines) > len(expected):
        return Verdict(
            False,
            None,
            f"{len(lines)} lines of output, expected {len(expected)} (+ timing); "
            f"extra {_shorten(lines[len(expected)])!r}",
        )
    return Verdict(True, program)
