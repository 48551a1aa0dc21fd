"""What tier 2 compiled, seen from an in-process test: the site of every instruction it emitted."""

from __future__ import annotations

from typing import Any, Protocol


class Patcher(Protocol):
    """What the test needs of pytest's ``monkeypatch`` fixture."""

    def setattr(self, target: object, name: str, value: object) -> None:
        """Replace ``target.name`` with ``value`` until the test ends."""


def record_sites(monkeypatch: Patcher, operations: type, *fields: str) -> set[tuple[Any, ...]]:
    """From now on, every site handed to ``operations.enter_site`` (stage 0's ``Operations``: every emitter
    family's) adds ``(site.f for f in fields)`` to the returned set (stage 3's sites: ``"op", "how"`` is
    the opcode and its plan)."""
    seen: set[tuple[Any, ...]] = set()
    enter_site = operations.enter_site      # type: ignore[attr-defined]

    def recording(ops: object, site: object) -> None:
        seen.add(tuple(getattr(site, name) for name in fields))
        enter_site(ops, site)
    monkeypatch.setattr(operations, "enter_site", recording)
    return seen
