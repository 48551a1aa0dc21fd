"""Deopt side tables in-process: FrameMap.rebuild from a DeoptBuffer, and the text --dump=deopt prints."""

from __future__ import annotations

import pytest

from stage0_jit import values
from stage1_interp.bytecode import Chunk, FunctionCode
from stage1_interp.functions import FunctionRecord
from stage2_ic.feedback import CallTarget
from stage2_ic.guards import GuardKind, Operand
from stage3_deopt.sidetables import (CodeVersion, DeoptBuffer, DeoptPoint, FrameMap, Guard, Stored, SideTables,
                                     ValueLocation, show_case)

CLOSURE = values.OBJ_TAG | 0x7F00_0000_1000
STRING = values.OBJ_TAG | 0x7F00_0000_2000
CELL_ADDRESS = 0x7F00_0000_3000           # a cell's raw address (not a Lox value)
NUMBERS = ("number", "number")


def function_record(name: str) -> FunctionRecord:
    """A record for a function called ``name`` (``script`` is the top level); only its name is used here."""
    return FunctionRecord(FunctionCode(name, 1, Chunk(), 4, []), 0, [], [])


def loc(place: str, index: int, how: Stored, word: int) -> ValueLocation:
    return ValueLocation(place, index, how, word)


# slot 0 = closure (boxed), slot 1 = string (boxed), slot 2 = double, slot 3 = cell, slot 4 = constant 7,
# slot 5 dead; stack 0 = number (boxed), stack 1 = constant nil.
FRAME = FrameMap("f", 3, 12, 5, slot_count=6, stack_depth=2, locations=(
    loc("slot", 0, Stored.BOXED, 1),
    loc("slot", 1, Stored.BOXED, 2),
    loc("slot", 2, Stored.DOUBLE, 3),
    loc("slot", 3, Stored.CELL, 4),
    loc("slot", 4, Stored.CONSTANT, values.number(7.0)),
    loc("stack", 0, Stored.BOXED, 5),
    loc("stack", 1, Stored.CONSTANT, values.NIL),
))


def filled_buffer(words: list[int]) -> DeoptBuffer:
    buffer = DeoptBuffer(capacity_words=16)
    for n, word in enumerate(words):
        buffer.words[n] = word
    return buffer


# ---------------------------------------------------------------- FrameMap.rebuild
def test_rebuild_reads_each_value_from_where_the_map_says() -> None:
    buffer = filled_buffer([CLOSURE, CLOSURE, STRING, values.number(2.5), CELL_ADDRESS, values.number(-1.0)])
    closure, slots, stack = FRAME.rebuild(buffer)
    assert closure == CLOSURE                                   # word 0 is the running closure
    assert slots == [CLOSURE, STRING, values.number(2.5), CELL_ADDRESS, values.number(7.0), values.NIL]
    assert stack == [values.number(-1.0), values.NIL]


def test_rebuild_gives_dead_slots_nil_whatever_the_buffer_holds() -> None:
    frame = FrameMap("g", 0, 4, 1, slot_count=4, stack_depth=0, locations=(loc("slot", 2, Stored.BOXED, 1),))
    buffer = filled_buffer([CLOSURE, STRING, values.TRUE, values.TRUE, values.TRUE])
    closure, slots, stack = frame.rebuild(buffer)
    assert closure == CLOSURE
    assert slots == [values.NIL, values.NIL, STRING, values.NIL]
    assert stack == []


def test_rebuild_of_a_number_that_is_not_a_double_fails_loudly() -> None:
    buffer = filled_buffer([CLOSURE, CLOSURE, STRING, STRING, CELL_ADDRESS, values.number(1.0)])
    with pytest.raises(AssertionError, match=r"f bytecode 12: slot 2 = buffer\[3\] \(double\)"):
        FRAME.rebuild(buffer)


@pytest.mark.parametrize("x", [0.0, -0.0, 1e300, float("inf"), float("nan")])
def test_rebuild_keeps_a_doubles_bits(x: float) -> None:
    frame = FrameMap("h", 0, 0, 1, slot_count=2, stack_depth=0, locations=(loc("slot", 1, Stored.DOUBLE, 1),))
    _, slots, _ = frame.rebuild(filled_buffer([CLOSURE, values.number(x)]))
    assert slots[1] == values.number(x)


def test_stored_counts_the_closure_and_every_value_not_a_constant() -> None:
    assert FRAME.stored == 1 + 5
    assert FrameMap("e", 0, 0, 1, 1, 0, ()).stored == 1


# ---------------------------------------------------------------- text
def test_value_locations_describe_themselves() -> None:
    assert loc("slot", 2, Stored.DOUBLE, 3).describe() == "slot 2 = buffer[3] (double)"
    assert loc("stack", 0, Stored.BOXED, 7).describe() == "stack 0 = buffer[7] (boxed)"
    assert loc("slot", 1, Stored.CELL, 2).describe() == "slot 1 = buffer[2] (cell)"
    assert loc("stack", 1, Stored.CONSTANT, values.number(1.0)).describe() == "stack 1 = constant 1"
    assert loc("slot", 4, Stored.CONSTANT, values.number(2.5)).describe() == "slot 4 = constant 2.5"
    assert loc("slot", 4, Stored.CONSTANT, values.NIL).describe() == "slot 4 = constant nil"
    assert loc("slot", 4, Stored.CONSTANT, values.TRUE).describe() == "slot 4 = constant true"
    assert loc("slot", 4, Stored.CONSTANT, values.FALSE).describe() == "slot 4 = constant false"
    assert loc("slot", 4, Stored.CONSTANT, STRING).describe() == f"slot 4 = constant object {STRING:#x}"


def test_a_frame_map_describes_where_to_resume_and_every_value() -> None:
    assert FRAME.describe() == [
        "    resume f at bytecode 12 (line 5), 6 slots, stack depth 2: slot 0 = buffer[1] (boxed), "
        "slot 1 = buffer[2] (boxed), slot 2 = buffer[3] (double), slot 3 = buffer[4] (cell), slot 4 = constant 7, "
        "stack 0 = buffer[5] (boxed), stack 1 = constant nil"]
    assert FrameMap("e", 0, 0, 1, 1, 0, ()).describe() == [
        "    resume e at bytecode 0 (line 1), 1 slots, stack depth 0: nothing live"]


def test_code_versions_are_named_by_their_entry() -> None:
    record = function_record("fib")
    assert CodeVersion(record, None).title == "fib"
    assert CodeVersion(record, 12).title == "fib OSR at bytecode 12"
    assert CodeVersion(function_record("script"), 5).title == "<script> OSR at bytecode 5"
    fresh = CodeVersion(record, None)
    assert fresh.valid and fresh.deopts == 0 and fresh.address == 0


def test_a_deopt_point_describes_its_guard_its_bet_and_its_frame() -> None:
    code = CodeVersion(function_record("f"), None)
    point = DeoptPoint(3, Guard(GuardKind.NUMBERS, trusted=((NUMBERS, 935), (("string", "string"), 2))), "ADD",
                       FRAME, code)
    assert point.describe() == [
        "  deopt #3: f line 5 bytecode 12 ADD: guard 'both numbers', trusts (number, number) x935, "
        "(string, string) x2", *FRAME.describe()]
    inline = DeoptPoint(4, Guard(GuardKind.CALL_TARGET, trusted=((CallTarget(0x1000, "g", 1), 7),)), "CALL", FRAME,
                        code, "fib")
    assert inline.describe()[0] == ("  deopt #4: f line 5 bytecode 12 CALL (inline copy, inlined into fib): "
                                    "guard 'call target', trusts <fn g> x7")
    entry = DeoptPoint(5, Guard(GuardKind.OSR_ENTRY, (Operand("loop value", "slot", 1),)), "GET_LOCAL", FRAME, code)
    assert entry.describe()[0].endswith("guard 'OSR entry: slot 1 a number', trusts no feedback")
    assert point.taken == 0


def test_cases_as_traces_show_them() -> None:
    assert show_case(NUMBERS) == "(number, number)"
    assert show_case(("number",)) == "(number)"
    assert show_case("string") == "string"
    assert show_case(CallTarget(0x1000, "fib", 1)) == "<fn fib>"


def test_side_tables_reserve_a_block_for_points_numbered_elsewhere() -> None:
    tables = SideTables()
    record = function_record("f")
    version = CodeVersion(record, None)
    tables.add(Guard(GuardKind.NUMBERS), "ADD", FRAME, version, None)
    first = tables.reserve(10)
    here = tables.add(Guard(GuardKind.NUMBERS), "LESS", FRAME, version, None)
    elsewhere = SideTables(next_id=first)       # a compile in another process numbers inside the block
    made = [elsewhere.add(Guard(GuardKind.NUMBERS), "SUBTRACT", FRAME, version, None) for _ in range(2)]
    tables.merge(made)
    assert (first, here.id) == (1, 11)
    assert sorted(tables.points) == [0, 1, 2, 11]
    assert tables.points[2].operation == "SUBTRACT"


def test_side_tables_number_points_in_order_and_dump_one_code_version_at_a_time() -> None:
    tables = SideTables()
    record = function_record("f")
    normal, osr, other = CodeVersion(record, None), CodeVersion(record, 9), CodeVersion(function_record("g"), None)
    first = tables.add(Guard(GuardKind.NUMBERS, trusted=((NUMBERS, 3),)), "ADD", FRAME, normal, None)
    second = tables.add(Guard(GuardKind.NEGATED_NUMBER, trusted=((("number",), 1),)), "NEGATE", FRAME, osr, None)
    third = tables.add(Guard(GuardKind.NUMBERS), "LESS", FRAME, normal, "f")
    assert list(tables.points) == [0, 1, 2]
    assert (first.code, second.code, third.code) == (normal, osr, normal)
    assert third.inlined_into == "f"
    entry = FrameMap("f", 3, 9, 4, slot_count=3, stack_depth=0, locations=(loc("slot", 0, Stored.BOXED, 1),
                                                                           loc("slot", 2, Stored.DOUBLE, 2)))
    tables.osr_maps.append((osr, entry))

    normal_dump = tables.dump(normal).splitlines()
    assert normal_dump[0] == "=== deopt: f ==="
    assert [x for x in normal_dump if x.startswith("  deopt #")] == [first.describe()[0], third.describe()[0]]
    assert "OSR entry" not in tables.dump(normal)

    osr_dump = tables.dump(osr).splitlines()
    assert osr_dump[:3] == ["=== deopt: f OSR at bytecode 9 ===", "  OSR entry: loads from the OSR buffer:",
                            "    resume f at bytecode 9 (line 4), 3 slots, stack depth 0: slot 0 = buffer[1] (boxed), "
                            "slot 2 = buffer[2] (double)"]
    assert osr_dump[3:] == second.describe()

    assert tables.dump(other) == "=== deopt: g ===\n  no deopt points (nothing speculated)\n"
    assert tables.dump(normal).endswith("\n")


def test_a_deopt_buffer_is_native_words() -> None:
    buffer = DeoptBuffer(capacity_words=8)
    assert buffer.capacity == 8
    assert buffer.size == 8 * 8
    buffer.words[7] = 2**64 - 1
    assert buffer.load(buffer.base + 7 * 8) == 2**64 - 1
    assert buffer.base % 8 == 0
