"""values.py: the NaN-boxed word every tier shares, and how numbers print."""

from __future__ import annotations

import ctypes
import math
import struct

import pytest
from hypothesis import given, strategies as st

from stage0_jit import values

SINGLETONS = [values.NIL, values.TRUE, values.FALSE, values.UNDEFINED, values.ERROR]


def bits(x: float) -> int:
    return int.from_bytes(struct.pack("<d", x), "little")


@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, -1.0, 0.5, 1 / 3, math.pi, 1e308, -1e308, 5e-324,
                               2.0 ** 53, 2.0 ** 53 + 2, math.inf, -math.inf])
def test_number_round_trip_keeps_every_bit(x: float) -> None:
    word = values.number(x)
    assert values.is_number(word)
    assert not values.is_obj(word)
    back = values.as_number(word)
    assert bits(back) == bits(x)


def test_negative_zero_keeps_its_sign() -> None:
    word = values.number(-0.0)
    assert word == values.SIGN_BIT
    assert math.copysign(1.0, values.as_number(word)) == -1.0
    assert values.number(0.0) == 0


@pytest.mark.parametrize("nan", [math.nan, -math.nan, struct.unpack("<d", struct.pack("<Q", 0x7FF0_0000_0000_0001))[0]])
def test_nans_are_numbers(nan: float) -> None:
    word = values.number(nan)
    assert values.is_number(word)
    assert not values.is_obj(word)
    assert math.isnan(values.as_number(word))
    assert word not in SINGLETONS


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_double_boxes_as_a_number(x: float) -> None:
    word = values.number(x)
    assert 0 <= word < 1 << 64
    assert values.is_number(word)
    assert not values.is_obj(word)
    assert not values.is_falsey(word)
    back = values.as_number(word)
    if math.isnan(x):
        assert math.isnan(back)
    else:
        assert bits(back) == bits(x)


@pytest.mark.parametrize("word", SINGLETONS)
def test_singletons_are_neither_numbers_nor_objects(word: int) -> None:
    assert not values.is_number(word)
    assert not values.is_obj(word)


def test_singletons_are_distinct_and_false_plus_one_is_true() -> None:
    assert len(set(SINGLETONS)) == len(SINGLETONS)
    assert values.FALSE + 1 == values.TRUE      # the compiled code's from_bool relies on it


@given(st.integers(min_value=8, max_value=values.ADDRESS_MASK).map(lambda a: a & ~7))
def test_object_boxing_round_trips_48_bit_addresses(address: int) -> None:
    word = values.obj(address)
    assert values.is_obj(word)
    assert not values.is_number(word)
    assert values.address_of(word) == address
    assert word not in SINGLETONS


def test_booleans_and_falsiness() -> None:
    assert values.boolean(True) == values.TRUE
    assert values.boolean(False) == values.FALSE
    assert values.is_falsey(values.NIL)
    assert values.is_falsey(values.FALSE)
    assert not values.is_falsey(values.TRUE)
    assert not values.is_falsey(values.number(0.0))
    assert not values.is_falsey(values.obj(0x1000))


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_signed_unsigned_round_trip(word: int) -> None:
    signed = values.to_signed(word)
    assert -(1 << 63) <= signed < 1 << 63
    assert ctypes.c_int64(signed).value == signed
    assert ctypes.c_uint64(signed).value == word
    assert values.to_unsigned(signed) == word


@pytest.mark.parametrize(("x", "text"), [
    (0.0, "0"), (-0.0, "-0"), (1.0, "1"), (-1.0, "-1"), (0.5, "0.5"), (1 / 3, "0.333333"),
    (2 / 3, "0.666667"), (100000.0, "100000"), (123456.0, "123456"), (1e6, "1e+06"),
    (1234567.0, "1.23457e+06"), (4.99995e9, "4.99995e+09"), (0.0001, "0.0001"), (1e-5, "1e-05"),
    (1e15, "1e+15"), (2.0 ** 53, "9.0072e+15"), (1e308, "1e+308"), (5e-324, "4.94066e-324"),
    (math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "nan"), (-math.nan, "nan"), (12.5, "12.5"),
    (-0.000001, "-1e-06"), (999999.5, "1e+06"),
])
def test_format_number_is_c_percent_g(x: float, text: str) -> None:
    assert values.format_number(x) == text


def _c_format(x: float) -> str:
    libc = ctypes.CDLL(None)
    buffer = ctypes.create_string_buffer(64)
    libc.snprintf(buffer, 64, b"%g", ctypes.c_double(x))
    return buffer.value.decode()


@given(st.floats(allow_nan=False))
def test_format_number_matches_the_c_library(x: float) -> None:
    assert values.format_number(x) == _c_format(x)


def test_every_nan_prints_nan() -> None:
    for pattern in (0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF0_0000_0000_0001, 0xFFFF_0000_0000_0000):
        x = struct.unpack("<d", struct.pack("<Q", pattern))[0]
        assert values.format_number(x) == "nan"
