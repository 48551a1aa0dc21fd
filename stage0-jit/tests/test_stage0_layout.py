"""layout.py: every object kind's words, declared once (the facts codegen, interpreter and collector share)."""

from __future__ import annotations

import pytest

from stage0_jit.layout import (CELL, CLOSURE, FUNCTION, GLOBAL, HEADER_KIND_MASK, LAYOUTS, NATIVE, STRING, WORD,
                               Holds, Kind, Layout, round_up)


def test_every_kind_has_a_layout_and_a_nonzero_header_byte() -> None:
    assert set(LAYOUTS) == set(Kind)
    for kind, layout in LAYOUTS.items():
        assert layout.kind is kind
        assert 0 < int(kind) <= HEADER_KIND_MASK     # 0 is the heap's always-zero word: no object has it
        assert layout.doc


@pytest.mark.parametrize(("layout", "offsets", "fixed_size", "tail"), [
    (STRING, {"length": 8}, 16, Holds.RAW),
    (FUNCTION, {"arity": 8, "name": 16, "entry": 24, "id": 32, "upvalue_count": 40, "observations": 48}, 56, None),
    (CLOSURE, {"function": 8, "cell_count": 16}, 24, Holds.POINTER),
    (CELL, {"value": 8}, 16, None),
    (NATIVE, {"id": 8, "arity": 16}, 24, None),
    (GLOBAL, {"value": 8, "name": 16}, 24, None),
])
def test_offsets_and_sizes(layout: Layout, offsets: dict[str, int], fixed_size: int, tail: Holds | None) -> None:
    assert [name for name, _ in layout.fields] == list(offsets)
    for name, offset in offsets.items():
        assert layout.offset(name) == offset
        assert layout.index(name) == offset // WORD
    assert layout.fixed_size == fixed_size
    assert layout.tail_offset == fixed_size
    assert layout.tail == tail


def test_what_each_word_holds() -> None:
    holds = {(layout.kind, name): what for layout in LAYOUTS.values() for name, what in layout.fields}
    assert holds[(Kind.FUNCTION, "name")] is Holds.VALUE
    assert holds[(Kind.FUNCTION, "entry")] is Holds.RAW
    assert holds[(Kind.CLOSURE, "function")] is Holds.POINTER
    assert holds[(Kind.CELL, "value")] is Holds.VALUE
    assert holds[(Kind.GLOBAL, "value")] is Holds.VALUE
    assert holds[(Kind.GLOBAL, "name")] is Holds.VALUE
    assert holds[(Kind.STRING, "length")] is Holds.RAW


def test_unknown_field_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no field"):
        CELL.offset("nope")
    with pytest.raises(KeyError):
        FUNCTION.index("value")


@pytest.mark.parametrize(("size", "rounded"), [(0, 0), (1, 8), (7, 8), (8, 8), (9, 16), (16, 16), (17, 24)])
def test_round_up_to_words(size: int, rounded: int) -> None:
    assert round_up(size) == rounded
