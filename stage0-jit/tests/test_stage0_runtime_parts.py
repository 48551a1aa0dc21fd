"""frames.py, settings.py, stats.py, observations.py and the runtime's Python side (printing, errors, traces)."""

from __future__ import annotations

import io

import pytest

from stage0_jit import values
from stage0_jit.errors import LINE_FROM_FRAME, MESSAGES, ErrorCode, LoxRuntimeError
from stage0_jit.frames import HEADER_WORDS, RECORD_WORDS, FrameStack
from stage0_jit.layout import GLOBAL, WORD
from stage0_jit.observations import ArgumentObservations
from stage0_jit.runtime import NATIVES, TRACE_KEEP_INNER, TRACE_KEEP_OUTER, Runtime
from stage0_jit.settings import Settings
from stage0_jit.stats import Stats


# ---------------------------------------------------------------- frames
def test_frame_stack_layout() -> None:
    frames = FrameStack(10)
    assert frames.capacity == 10
    assert frames.depth == 0
    assert frames.words[1] == 10
    assert frames.depth_address == frames.base
    assert frames.records_address == frames.base + HEADER_WORDS * WORD
    assert frames.size >= (HEADER_WORDS + RECORD_WORDS * 11) * WORD


def test_frame_push_record_set_line() -> None:
    frames = FrameStack(4)
    assert frames.push(0xAAA, 3) == 0
    assert frames.push(0xBBB) == 1
    assert frames.depth == 2
    assert frames.record(0) == (0xAAA, 3)
    assert frames.record(1) == (0xBBB, 0)
    frames.set_line(1, 42)
    assert frames.record(1) == (0xBBB, 42)
    # The record sits where compiled code computes it: records_address + depth * RECORD_WORDS words.
    assert frames.load(frames.records_address + RECORD_WORDS * WORD + WORD) == 42
    frames.depth = 1
    assert frames.load(frames.depth_address) == 1


# ---------------------------------------------------------------- settings
def test_settings_defaults() -> None:
    s = Settings()
    assert s.max_call_depth >= 10_000
    assert s.opt_level == 2
    assert s.observe_arguments is True


def test_set_from_text_parses_by_type() -> None:
    s = Settings()
    s.set_from_text("max_call_depth=500")
    assert s.max_call_depth == 500
    for text, expected in (("false", False), ("1", True), ("no", False), ("on", True), ("YES", True)):
        s.set_from_text(f"observe_arguments={text}")
        assert s.observe_arguments is expected


@pytest.mark.parametrize("assignment", ["nosuch=1", "opt_level", "=3", "opt_level=two", "heap_reserve_mb=1.5"])
def test_set_from_text_rejects_bad_input(assignment: str) -> None:
    with pytest.raises(ValueError):
        Settings().set_from_text(assignment)


def test_describe_lists_every_setting_with_a_reason() -> None:
    s = Settings(opt_level=1)
    described = s.describe()
    assert [name for name, _, _ in described] == ["max_call_depth", "heap_reserve_mb", "opt_level",
                                                  "max_optimised_size", "observe_arguments"]
    assert ("opt_level", 1) in [(name, value) for name, value, _ in described]
    assert all(len(why) > 20 for _, _, why in described)


# ---------------------------------------------------------------- stats and observations
def test_stats_report() -> None:
    stats = Stats()
    stats.add("b.count")
    stats.add("a.count", 5)
    stats.add("b.count", 2)
    stats.add_time("t.total_s", 0.0015)
    stats.section("empty", [])
    stats.section("things", ["  one"])
    lines = stats.report().splitlines()
    assert lines[0] == "== stats =="
    assert lines[1].split() == ["a.count", "5"]
    assert lines[2].split() == ["b.count", "3"]
    assert lines[3].split() == ["t.total_s", "1.500", "ms"]
    assert lines[4:] == ["== empty ==", "  (none)", "== things ==", "  one"]


def test_observation_tables() -> None:
    table = ArgumentObservations(capacity_words=8)
    assert table.table_for("nullary", 0) == 0
    first = table.table_for("f", 2)
    assert first == table.base
    second = table.table_for("g", 1)
    assert second == table.base + 4 * WORD
    assert table.table_for("too_big", 2) == 0     # only 2 words left: no table, no observations
    table.words[0] = 3        # f arg 0: 3 integers
    table.words[3] = 2        # f arg 1: 2 non-integers
    assert table.report() == ["  f arg 0: 3 integer, 0 non-integer numbers",
                              "  f arg 1: 0 integer, 2 non-integer numbers"]


# ---------------------------------------------------------------- the runtime's Python side
@pytest.fixture
def runtime() -> Runtime:
    return Runtime(Settings(heap_reserve_mb=16, max_call_depth=1000), stdout=io.BytesIO())


def test_natives_are_predefined_globals(runtime: Runtime) -> None:
    assert [n.name for n in NATIVES] == ["clock", "getc", "chr", "exit", "print_error"]
    for native in NATIVES:
        cell = runtime.global_cell(native.name)
        assert runtime.format_bytes(runtime.heap.field(cell, GLOBAL, "value")) == b"<native fn>"


def test_format_bytes(runtime: Runtime) -> None:
    fmt = runtime.format_bytes
    assert fmt(values.NIL) == b"nil"
    assert fmt(values.TRUE) == b"true"
    assert fmt(values.FALSE) == b"false"
    assert fmt(values.number(-0.0)) == b"-0"
    assert fmt(runtime.heap.new_string(bytes(range(256)))) == bytes(range(256))
    function = runtime.new_function("fib", 1, 0)
    assert fmt(runtime.heap.new_closure(function, [])) == b"<fn fib>"
    script = runtime.new_function("script", 0, 0)
    assert fmt(runtime.heap.new_closure(script, [])) == b"<script>"


def test_constant_strings_and_global_cells_are_interned(runtime: Runtime) -> None:
    assert runtime.constant_string("k") == runtime.constant_string("k")
    assert runtime.constant_string("k") != runtime.constant_string("j")
    assert runtime.global_cell("x") == runtime.global_cell("x")
    assert runtime.heap.field(runtime.global_cell("x"), GLOBAL, "value") == values.UNDEFINED


def test_print_value_writes_bytes(runtime: Runtime) -> None:
    runtime.print_value(values.number(2.5))
    runtime.print_value(runtime.heap.new_string(b"\xff\x00"))
    assert isinstance(runtime.out, io.BytesIO)
    assert runtime.out.getvalue() == b"2.5\n\xff\x00\n"


def test_error_messages(runtime: Runtime) -> None:
    assert runtime.error_message(ErrorCode.WRONG_ARITY, 2, 1) == "Expected 2 arguments but got 1."
    assert runtime.error_message(ErrorCode.UNDEFINED_VARIABLE, runtime.global_cell("zork"), 0) == \
        "Undefined variable 'zork'."
    assert set(MESSAGES) == set(ErrorCode)


def _push(runtime: Runtime, name: str, line: int) -> None:
    function = runtime.new_function(name, 0, 0)
    runtime.frames.push(runtime.heap.new_closure(function, []), line)


def test_stack_trace_innermost_first(runtime: Runtime) -> None:
    _push(runtime, "script", 9)
    _push(runtime, "outer", 4)
    _push(runtime, "inner", 2)
    assert runtime.stack_trace(LINE_FROM_FRAME) == ["[line 2] in inner()", "[line 4] in outer()",
                                                    "[line 9] in script"]
    assert runtime.stack_trace(7)[0] == "[line 7] in inner()"


def test_deep_stack_trace_is_elided_in_the_middle(runtime: Runtime) -> None:
    _push(runtime, "script", 1)
    for depth in range(1, 100):
        _push(runtime, "f", depth)
    trace = runtime.stack_trace(LINE_FROM_FRAME)
    assert len(trace) == TRACE_KEEP_INNER + TRACE_KEEP_OUTER + 1
    assert trace[0] == "[line 99] in f()"
    assert trace[TRACE_KEEP_INNER] == f"[... {100 - TRACE_KEEP_INNER - TRACE_KEEP_OUTER} more frames ...]"
    assert trace[-1] == "[line 1] in script"


def test_raise_error_keeps_the_first_error(runtime: Runtime) -> None:
    _push(runtime, "script", 3)
    assert runtime.raise_error(ErrorCode.STACK_OVERFLOW, 3) == values.ERROR
    runtime.raise_error(ErrorCode.NOT_CALLABLE, 3)
    error = runtime.take_error()
    assert isinstance(error, LoxRuntimeError)
    assert error.report() == "Stack overflow.\n[line 3] in script\n"
    assert runtime.pending_error is None


def test_take_error_reraises_a_python_failure(runtime: Runtime) -> None:
    runtime.pending_exception = KeyError("boom")
    with pytest.raises(KeyError):
        runtime.take_error()


def test_call_native_checks_arity_and_arguments(runtime: Runtime) -> None:
    _push(runtime, "script", 5)
    chr_native = runtime.heap.field(runtime.global_cell("chr"), GLOBAL, "value")
    result = runtime.call_native(chr_native, [values.number(65.0)], 5)
    assert runtime.format_bytes(result) == b"A"
    assert runtime.call_native(chr_native, [], 5) == values.ERROR
    assert runtime.take_error().message == "Expected 1 arguments but got 0."
    assert runtime.call_native(chr_native, [values.number(1.5)], 5) == values.ERROR
    assert runtime.take_error().message == "Argument to chr() must be an integer from 0 to 255."
    assert runtime.call_slow(values.number(1.0), [], 5) == values.ERROR
    assert runtime.take_error().message == "Can only call functions and classes."
