"""What tier 2 compiled, seen from an in-process test: the site of every instruction it emitted."""

from __future__ import annotations

from typing import Any, Protocol


class Patcher(Protocol):
    """What the test needs of pytest's ``monkeypatch`` fixture."""

    def setattr(self, target: object, name: str, value: object) -> None:
        """Replace ``target.name`` with ``value`` until the test ends."""


def record_sites(monkeypatch: Patcher, vm_class: type, *fields: str) -> set[tuple[Any, ...]]:
    """From now on, every site the VM class's ``new_site`` hook makes adds ``(site.f for f in fields)`` to
    the returned set (stage 3's sites: ``"op", "how"`` is the opcode and its plan)."""
    seen: set[tuple[Any, ...]] = set()
    new_site = vm_class.new_site      # type: ignore[attr-defined]

    def recording(vm: object, compiler: object, offset: int) -> object:
        site = new_site(vm, compiler, offset)
        seen.add(tuple(getattr(site, name) for name in fields))
        return site
    monkeypatch.setattr(vm_class, "new_site", recording)
    return seen
