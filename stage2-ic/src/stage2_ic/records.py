"""Value records: slotted classes compared, hashed and printed by their fields, without importing ``dataclasses``.

A dataclass writes its methods with ``exec`` when its module is imported, and
``dataclasses`` brings ``inspect``, ``ast`` and ``dis``: milliseconds a cold
start or a first compile would pay. The records of the later stages (inline
cache cases, guard operands, side tables, plans) declare ``__slots__`` and an
``__init__`` and take the rest from here.
"""

from __future__ import annotations


class Record:
    """Equal to a record of the same class with equal fields (so, as an ``eq`` dataclass, unhashable), and
    printed as ``Name(field=value, ...)``; the fields are the ``__slots__``, in order. (Defining ``__eq__``
    alone leaves ``__hash__`` None: Python's rule, which makes a mutable record unhashable.)"""

    __slots__: tuple[str, ...] = ()

    def fields(self) -> tuple[object, ...]:
        """The record's field values, in declaration order."""
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with equal fields."""
        if other.__class__ is self.__class__:
            assert isinstance(other, Record)
            return self.fields() == other.fields()
        return NotImplemented

    def __repr__(self) -> str:
        """``Name(field=value, ...)``."""
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.__slots__, self.fields()))
        return f"{type(self).__qualname__}({shown})"


class FrozenRecord(Record):
    """A record never changed once made (by convention), hashed by its fields, as a frozen dataclass."""

    __slots__ = ()

    def __hash__(self) -> int:
        """The hash of the fields."""
        return hash(self.fields())
