"""The one value representation every tier shares: a NaN-boxed 64-bit word.

A Lox value is a 64-bit word. A number is the word's IEEE-754 double bits.
Everything else hides in the payload of a quiet NaN that arithmetic never
produces (clox's scheme): the singletons are small tags, and a heap object is
the sign bit + quiet-NaN bits + its 48-bit address. Python code holds values
as ``int`` (the unsigned word); compiled code as ``i64``.
"""

from __future__ import annotations

import struct

QNAN = 0x7FFC_0000_0000_0000
SIGN_BIT = 0x8000_0000_0000_0000
OBJ_TAG = SIGN_BIT | QNAN
ADDRESS_MASK = 0x0000_FFFF_FFFF_FFFF

NIL = QNAN | 1
FALSE = QNAN | 2
TRUE = QNAN | 3
# Not Lox values: a global cell that was never defined holds UNDEFINED, and a
# function returns ERROR to its caller when a runtime error is unwinding.
UNDEFINED = QNAN | 4
ERROR = QNAN | 5

_DOUBLE = struct.Struct("<d")
_WORD = struct.Struct("<Q")


def number(x: float) -> int:
    """Box a double."""
    return int.from_bytes(_DOUBLE.pack(x), "little")


def as_number(v: int) -> float:
    """Unbox a double (the caller knows ``v`` is a number)."""
    return float(_DOUBLE.unpack(_WORD.pack(v))[0])


def boolean(b: bool) -> int:
    """Box a Python bool."""
    return TRUE if b else FALSE


def obj(address: int) -> int:
    """Box a heap object's address."""
    return OBJ_TAG | address


def address_of(v: int) -> int:
    """The heap address inside an object value."""
    return v & ADDRESS_MASK


def is_number(v: int) -> bool:
    """True when ``v`` is a double (every word whose quiet-NaN bits are not all set)."""
    return (v & QNAN) != QNAN


def is_obj(v: int) -> bool:
    """True when ``v`` points to a heap object."""
    return (v & OBJ_TAG) == OBJ_TAG


def is_falsey(v: int) -> bool:
    """Only ``nil`` and ``false`` are falsey."""
    return v == NIL or v == FALSE


def to_signed(v: int) -> int:
    """The word as a signed int64 (what ctypes ``c_int64`` carries)."""
    return v - (1 << 64) if v >= 1 << 63 else v


def to_unsigned(v: int) -> int:
    """The word as an unsigned int (how Python code holds values)."""
    return v & 0xFFFF_FFFF_FFFF_FFFF


def format_number(x: float) -> str:
    """Print a number as clox does: C's ``%g``; every NaN prints ``nan``."""
    if x != x:
        return "nan"
    return "%g" % x
