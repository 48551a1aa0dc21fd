"""Every heap object kind and its memory layout, declared once for all tiers.

An object is a run of 8-byte words. Word 0 is the header (its low byte is the
kind). Each kind lists its fixed fields in order and what each word holds, so
that the interpreter, the code generator and (later) a collector all read the
same facts: ``value`` words hold Lox values (a collector traces them),
``pointer`` words hold raw addresses of heap objects (traced too), ``raw``
words hold plain integers (never traced). A kind may end in a variable tail of
values (closure cells) or bytes (string characters); its length is read from
the object (``tail_count``: a field of the object, or, for an instance, a
field of the shape its header points to), so a collector can size and trace
any object from this table alone.
"""

from __future__ import annotations

import enum

WORD = 8


class Kind(enum.IntEnum):
    """The object kinds; the number is the header's low byte."""

    STRING = 1
    FUNCTION = 2
    CLOSURE = 3
    CELL = 4
    NATIVE = 5
    GLOBAL = 6


class Holds(enum.Enum):
    """What one word of an object holds."""

    RAW = "raw"
    VALUE = "value"
    POINTER = "pointer"


class Layout:
    """One kind's fields (name, what it holds) after the header, and its tail."""

    __slots__ = ("kind", "fields", "tail", "doc", "tail_count", "tail_scale", "_indices")

    def __init__(self, kind: int, fields: tuple[tuple[str, Holds], ...], tail: Holds | None = None,
                 doc: str = "", tail_count: str | None = None, tail_scale: int = 1) -> None:
        self.kind = kind          # a Kind here; later stages register kinds of their own (see ``register``)
        self.fields = fields
        self.tail = tail          # None: no tail; RAW: bytes; VALUE/POINTER: words
        self.doc = doc
        # Where the tail's length is: a field name, or "shape.FIELD" (a field of the object whose address
        # is the header's bits above the kind byte: an instance's shape). Length x scale = bytes or words.
        self.tail_count = tail_count
        self.tail_scale = tail_scale
        # Field name -> word index, computed once: the interpreter reads fields on every call.
        self._indices = {name: i + 1 for i, (name, _) in enumerate(fields)}

    def __repr__(self) -> str:
        return f"Layout(kind={self.kind}, fields={self.fields}, tail={self.tail})"

    def index(self, field: str) -> int:
        """Word index of ``field`` (the header is word 0)."""
        try:
            return self._indices[field]
        except KeyError:
            raise KeyError(f"kind {self.kind} has no field {field!r}") from None

    def offset(self, field: str) -> int:
        """Byte offset of ``field`` from the object's start (the header is word 0)."""
        return self.index(field) * WORD

    @property
    def fixed_size(self) -> int:
        """Bytes before the tail (header included)."""
        return (len(self.fields) + 1) * WORD

    @property
    def tail_offset(self) -> int:
        """Byte offset where the tail starts."""
        return self.fixed_size


LAYOUTS: dict[int, Layout] = {
    layout.kind: layout
    for layout in (
        Layout(Kind.STRING, (("length", Holds.RAW),), Holds.RAW,
               "immutable bytes; equality is by content", tail_count="length"),
        Layout(Kind.FUNCTION,
               (("arity", Holds.RAW), ("name", Holds.VALUE), ("entry", Holds.RAW),
                ("id", Holds.RAW), ("upvalue_count", Holds.RAW), ("observations", Holds.RAW)),
               None,
               "a compiled function prototype: callers jump through its entry slot"),
        Layout(Kind.CLOSURE, (("function", Holds.POINTER), ("cell_count", Holds.RAW)), Holds.POINTER,
               "a function plus the cells of the variables it captured", tail_count="cell_count"),
        Layout(Kind.CELL, (("value", Holds.VALUE),), None,
               "a captured variable: closures share the cell, not a copy"),
        Layout(Kind.NATIVE, (("id", Holds.RAW), ("arity", Holds.RAW)), None,
               "a built-in function implemented by the runtime"),
        Layout(Kind.GLOBAL, (("value", Holds.VALUE), ("name", Holds.VALUE)), None,
               "a late-bound global variable's cell; UNDEFINED until defined"),
    )
}

HEADER_KIND_MASK = 0xFF


def register(layout: Layout) -> Layout:
    """Add a later stage's object kind (stage 4: classes, instances...) to the one table of layouts."""
    existing = LAYOUTS.get(layout.kind)
    assert existing is None or existing == layout, f"kind {layout.kind} is already {existing}"
    assert 0 < layout.kind <= HEADER_KIND_MASK
    LAYOUTS[layout.kind] = layout
    return layout

STRING = LAYOUTS[Kind.STRING]
FUNCTION = LAYOUTS[Kind.FUNCTION]
CLOSURE = LAYOUTS[Kind.CLOSURE]
CELL = LAYOUTS[Kind.CELL]
NATIVE = LAYOUTS[Kind.NATIVE]
GLOBAL = LAYOUTS[Kind.GLOBAL]


def round_up(size: int) -> int:
    """Round a byte size up to whole words (every object starts word-aligned)."""
    return (size + WORD - 1) & ~(WORD - 1)
