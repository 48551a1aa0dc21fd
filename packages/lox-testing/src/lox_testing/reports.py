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
