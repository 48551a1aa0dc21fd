"""What the native tracer reads, as data: the context's words and each kind's descriptor row.

Kept apart from ``tracer.py`` (which builds the IR) so that the heap and the
collector can use these facts without importing LLVM: a program that never
collects never loads it.

The **descriptor** of a kind is one row of words made from the one layout
table every tier reads (``stage0_jit.layout.LAYOUTS``, with stage 4's kinds
registered): valid, fixed words, which of them hold values, which hold
addresses, what the tail holds, where its length is (a field of the object,
or of the object its header points to: an instance's shape), the length's
scale, and which word of the header's object is its id (for the census).

The **context** is a small native array of words shared by the collector,
the verifier and the census (see ``tracer.py`` for what each word means).
"""

from __future__ import annotations

from stage0_jit.layout import HEADER_KIND_MASK, LAYOUTS, Holds, Layout

GRANULE_SHIFT = 3          # mark bytes: one per word (objects start on any word, so a byte names one start)
LINE_SHIFT = 8             # lines of 256 bytes: the unit of reuse
DESCRIPTOR_WORDS = 16
KINDS = HEADER_KIND_MASK + 1

# Context words (see the module docstring).
(MARKS, LINES, STACK, SP, CAPACITY, CHECK, MISSING, FIRST_BAD, OBJECTS, BYTES, BAD_KINDS, CENSUS, BY_ID, IDS,
 HEAP_BASE, HEAP_SIZE, TABLE, CARDS) = range(18)
CONTEXT_WORDS = 24

# Descriptor words, per kind.
D_VALID, D_FIXED, D_VALUE_MASK, D_POINTER_MASK, D_TAIL, D_COUNT, D_VIA_HEADER, D_SCALE, D_HEADER_ID = range(9)
TAIL_NONE, TAIL_BYTES, TAIL_VALUES, TAIL_POINTERS = range(4)
_TAIL = {None: TAIL_NONE, Holds.RAW: TAIL_BYTES, Holds.VALUE: TAIL_VALUES, Holds.POINTER: TAIL_POINTERS}


def describe(layout: Layout) -> list[int]:
    """The descriptor words of one kind: valid, fixed words, which hold values, which hold addresses, what
    the tail holds, where its count is, whether that is in the object the header points to, the count's
    scale, and the word of that object holding its id (0: none). Padded to ``DESCRIPTOR_WORDS``."""
    value_mask = pointer_mask = 0
    for i, (_, holds) in enumerate(layout.fields, start=1):
        if holds is Holds.VALUE:
            value_mask |= 1 << i
        elif holds is Holds.POINTER:
            pointer_mask |= 1 << i
    count = via_header = header_id = 0
    if layout.tail is not None:
        assert layout.tail_count is not None, f"kind {layout.kind}: a tail needs tail_count"
        if layout.tail_count.startswith("shape."):
            # The count is a field of the object the header points to (an instance's shape).
            shape_layout = next(t for t in LAYOUTS.values() if t is not layout and
                                any(name == layout.tail_count[6:] for name, _ in t.fields))
            count, via_header = shape_layout.index(layout.tail_count[6:]), 1
            header_id = shape_layout.index("id") if any(name == "id" for name, _ in shape_layout.fields) else 0
        else:
            count = layout.index(layout.tail_count)
    assert len(layout.fields) < 63
    words = [1, len(layout.fields) + 1, value_mask, pointer_mask, _TAIL[layout.tail], count, via_header,
             layout.tail_scale, header_id]
    return words + [0] * (DESCRIPTOR_WORDS - len(words))


def descriptors() -> list[int]:
    """The whole table, ``KINDS`` x ``DESCRIPTOR_WORDS`` words (unknown kinds all zero: not valid)."""
    table = [0] * (KINDS * DESCRIPTOR_WORDS)
    for kind, layout in LAYOUTS.items():
        table[kind * DESCRIPTOR_WORDS:(kind + 1) * DESCRIPTOR_WORDS] = describe(layout)
    return table
