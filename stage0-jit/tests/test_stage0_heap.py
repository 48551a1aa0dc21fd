"""heap.py: the native heap Python and compiled code both allocate in (nothing is freed in stage 0)."""

from __future__ import annotations

import os

import pytest

from stage0_jit import values
from stage0_jit.heap import Heap, NativeRegion, OutOfMemory
from stage0_jit.layout import CELL, CLOSURE, FUNCTION, GLOBAL, NATIVE, STRING, WORD, Kind, round_up
from stage0_jit.runtime import Runtime
from stage0_jit.settings import Settings

MB = 1 << 20


@pytest.fixture
def heap() -> Heap:
    return Heap(MB)


def test_region_header_words(heap: Heap) -> None:
    assert heap.load(heap.top_address) == heap.base + Heap.START
    assert heap.load(heap.limit_address) == heap.base + MB
    assert heap.load(heap.zero_address) == 0
    assert heap.bytes_allocated == 0


def test_native_region_load_and_store() -> None:
    region = NativeRegion(4 * WORD)
    region.store(region.base + 8, 0xFFFF_FFFF_FFFF_FFFF)
    assert region.load(region.base + 8) == 0xFFFF_FFFF_FFFF_FFFF
    assert region.words[1] == 0xFFFF_FFFF_FFFF_FFFF
    assert region.load(region.base) == 0


def test_the_safepoint_word_is_shared_across_a_fork(heap: Heap) -> None:
    """The safepoint word is on a shared page (stage 6's compile processes set it); the objects are not."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    assert heap.safepoint_address == heap.flag_region.base + Heap.SAFEPOINT * WORD
    heap.words[5] = 7
    pid = os.fork()
    if pid == 0:                    # the child writes both, then leaves at once
        heap.flags[Heap.SAFEPOINT] = 1
        heap.words[5] = 8
        os._exit(0)
    os.waitpid(pid, 0)
    assert heap.flags[Heap.SAFEPOINT] == 1
    assert heap.flag_region.load(heap.safepoint_address) == 1
    assert heap.words[5] == 7


def test_allocation_bumps_word_aligned(heap: Heap) -> None:
    first = heap.allocate(CELL)
    second = heap.allocate(STRING, 3)
    third = heap.allocate(CLOSURE, 2 * WORD)
    assert first == heap.base + Heap.START
    assert second == first + CELL.fixed_size
    assert third == second + round_up(STRING.fixed_size + 3)
    assert all(address % WORD == 0 for address in (first, second, third))
    assert heap.bytes_allocated == CELL.fixed_size + round_up(STRING.fixed_size + 3) + CLOSURE.fixed_size + 2 * WORD
    assert heap.kind(first) is Kind.CELL
    assert heap.kind(second) is Kind.STRING
    assert heap.kind(third) is Kind.CLOSURE


@pytest.mark.parametrize("data", [b"", b"a", b"hello, world", bytes(range(256)), bytes(range(255, -1, -1)) * 9,
                                  b"\x00" * 17, "caf\u00e9".encode("latin-1")])
def test_strings_round_trip_every_byte(heap: Heap, data: bytes) -> None:
    value = heap.new_string(data)
    assert values.is_obj(value)
    address = values.address_of(value)
    assert heap.kind(address) is Kind.STRING
    assert heap.is_kind(value, Kind.STRING)
    assert heap.field(address, STRING, "length") == len(data)
    assert heap.string_bytes(address) == data


def test_equal_strings_are_separate_objects(heap: Heap) -> None:
    a = heap.new_string(b"same")
    b = heap.new_string(b"same")
    assert a != b
    assert heap.string_bytes(values.address_of(a)) == heap.string_bytes(values.address_of(b))


def test_is_kind_rejects_non_objects_and_other_kinds(heap: Heap) -> None:
    string = heap.new_string(b"s")
    assert not heap.is_kind(string, Kind.CLOSURE)
    for word in (values.NIL, values.TRUE, values.number(3.0), values.number(-0.0)):
        assert not heap.is_kind(word, Kind.STRING)


def test_function_closure_cell_native_global(heap: Heap) -> None:
    name = heap.new_string(b"f")
    function = heap.new_function(name, 2, 7, 1, 0x1234)
    assert heap.kind(function) is Kind.FUNCTION
    assert [heap.field(function, FUNCTION, f) for f in ("arity", "name", "entry", "id", "upvalue_count",
                                                        "observations")] == [2, name, 0, 7, 1, 0x1234]
    cell = heap.new_cell(values.number(1.5))
    assert heap.kind(cell) is Kind.CELL
    assert heap.field(cell, CELL, "value") == values.number(1.5)
    closure = heap.new_closure(function, [cell, cell])
    address = values.address_of(closure)
    assert heap.is_kind(closure, Kind.CLOSURE)
    assert heap.field(address, CLOSURE, "function") == function
    assert heap.field(address, CLOSURE, "cell_count") == 2
    assert [heap.tail_word(address, CLOSURE, i) for i in range(2)] == [cell, cell]
    heap.set_tail_word(address, CLOSURE, 1, 0)
    assert heap.tail_word(address, CLOSURE, 1) == 0
    native = heap.new_native(3, 1)
    assert heap.is_kind(native, Kind.NATIVE)
    assert heap.field(values.address_of(native), NATIVE, "arity") == 1
    global_cell = heap.new_global(name)
    assert heap.field(global_cell, GLOBAL, "value") == values.UNDEFINED
    assert heap.field(global_cell, GLOBAL, "name") == name


def test_out_of_memory_when_the_reserve_is_full() -> None:
    runtime = Runtime(Settings(heap_reserve_mb=1))
    heap = runtime.heap
    before = heap.bytes_allocated
    with pytest.raises(OutOfMemory):
        for _ in range(MB):
            heap.new_string(b"x" * 1000)
    assert heap.bytes_allocated > before
    assert heap.load(heap.top_address) <= heap.load(heap.limit_address)
    top = heap.load(heap.top_address)
    with pytest.raises(OutOfMemory):
        heap.allocate(CELL, MB)          # a failed allocation leaves the heap as it was
    assert heap.load(heap.top_address) == top


def test_one_huge_string_is_out_of_memory_at_once() -> None:
    heap = Runtime(Settings(heap_reserve_mb=1)).heap
    with pytest.raises(OutOfMemory):
        heap.new_string(b"y" * (2 * MB))
    assert heap.new_string(b"still works") != 0


def test_nothing_is_freed(heap: Heap) -> None:
    used = heap.bytes_allocated
    for _ in range(100):
        heap.new_cell(values.NIL)
    assert heap.bytes_allocated == used + 100 * CELL.fixed_size
