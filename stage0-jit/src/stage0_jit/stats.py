"""Counters and timers reported by ``--stats`` at exit (to standard error)."""

from __future__ import annotations

from collections import defaultdict


class Stats:
    """Named counters (ints) and timers (seconds), printed sorted by name."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = defaultdict(int)
        self.timers: dict[str, float] = defaultdict(float)
        self.sections: list[tuple[str, list[str]]] = []

    def add(self, name: str, amount: int = 1) -> None:
        """Increase counter ``name``."""
        self.counters[name] += amount

    def add_time(self, name: str, seconds: float) -> None:
        """Add seconds to timer ``name``."""
        self.timers[name] += seconds

    def section(self, title: str, lines: list[str]) -> None:
        """Attach a free-form section (e.g. type observations) to the report."""
        self.sections.append((title, lines))

    def report(self) -> str:
        """The whole report as text."""
        out = ["== stats =="]
        for name in sorted(self.counters):
            out.append(f"{name:<32} {self.counters[name]}")
        for name in sorted(self.timers):
            out.append(f"{name:<32} {self.timers[name] * 1000:.3f} ms")
        for title, lines in self.sections:
            out.append(f"== {title} ==")
            out.extend(lines or ["  (none)"])
        return "\n".join(out) + "\n"
