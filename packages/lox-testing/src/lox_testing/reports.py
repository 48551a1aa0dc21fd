"""Reading what a VM run printed to standard error: ``--stats`` counters and sections, ``--trace`` lines."""

from __future__ import annotations

import re


def stats_counter(stderr: str, name: str) -> int:
    """The value of one ``--stats`` counter (0 when it is not printed: counters appear once counted)."""
    match = re.search(rf"^{re.escape(name)}\s+(\d+)$", stderr, re.MULTILINE)
    assert "== stats ==" in stderr, f"no --stats report in:\n{stderr}"
    return int(match.group(1)) if match else 0


def section(stderr: str, title: str) -> list[str]:
    """The lines of one ``--stats`` section (up to the next ``==`` heading)."""
    lines = stderr.splitlines()
    start = lines.index(f"== {title} ==") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


def trace_lines(stderr: str, kind: str) -> list[str]:
    """The ``[kind] ...`` lines of a ``--trace`` run, without the prefix."""
    prefix = f"[{kind}] "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]


# ---------------------------------------------------------------- one site's figures (stage 3 on)
def line_of(source: str, marker: str) -> int:
    """The 1-based line of the one source line ending in ``// marker`` (how a test names a site)."""
    found = [n for n, text in enumerate(source.splitlines(), 1) if text.rstrip().endswith(f"// {marker}")]
    assert len(found) == 1, f"{marker!r} on lines {found}"
    return found[0]


def guard_points(stderr: str, function: str, line: int, operation: str) -> list[str]:
    """The ``--dump=deopt`` points of one site: ``deopt #N: f line L bytecode B OP: guard '...'``."""
    pattern = re.compile(rf"\s+deopt #\d+: {re.escape(function)} line {line} bytecode \d+ {operation}: guard ")
    return [text.strip() for text in stderr.splitlines() if pattern.match(text)]


def deopts_at(stderr: str, function: str, line: int, operation: str) -> list[str]:
    """The ``--trace=deopt`` headlines of deopts at one site."""
    pattern = re.compile(rf"{re.escape(function)} line {line} bytecode \d+ {operation}: guard ")
    return [text for text in trace_lines(stderr, "deopt") if pattern.match(text)]


def misses_at(stderr: str, function: str, line: int, operation: str) -> int:
    """Guard misses ``--stats`` counted at one site (0 when it has no miss counter)."""
    total = 0
    for text in section(stderr, "guard misses per site (guarded sites in compiled code)"):
        match = re.match(rf"\s+{re.escape(function)} line {line} {operation}: (\d+) misses", text)
        if match:
            total += int(match.group(1))
    return total


def compiled(stderr: str, function: str) -> bool:
    """``--stats`` says ``function`` ended with compiled code installed."""
    return any(re.match(rf"\s+{re.escape(function)}: .*, compiled", text)
               for text in section(stderr, "tiers (function: calls, back-edges, state)"))


def assert_fast(stderr: str, function: str, line: int, operation: str, guard: str, trusts: str = "") -> None:
    """The site was compiled as ``guard`` in front of its fast path (trusting ``trusts``, when given), never
    left it, never missed. Reads a run with ``--stats --trace=deopt --dump=deopt``."""
    points = guard_points(stderr, function, line, operation)
    assert points, f"no compiled guard at {function} line {line} {operation}:\n{stderr}"
    expected = f"guard '{guard}', trusts {trusts}" if trusts else f"guard '{guard}'"
    assert all(expected in p for p in points), points
    assert deopts_at(stderr, function, line, operation) == [], stderr
    # nor anywhere else in its function: a deopt earlier in the activation would leave the site uncompiled
    assert [t for t in trace_lines(stderr, "deopt") if t.startswith(f"{function} line ")] == [], stderr
    assert misses_at(stderr, function, line, operation) == 0, stderr
    assert compiled(stderr, function), stderr


def assert_no_deopt_or_miss(stderr: str) -> None:
    """No deopt and no guard miss anywhere in the run (``--stats --trace=deopt``)."""
    assert stats_counter(stderr, "deopt.total") == 0, stderr
    assert section(stderr, "deopts (function: count, guard)") == ["  (none)"], stderr
    assert section(stderr, "guard misses per site (guarded sites in compiled code)") == ["  (none)"], stderr
    assert trace_lines(stderr, "deopt") == []
