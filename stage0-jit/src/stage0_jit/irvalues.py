"""IR building blocks for NaN-boxed values: types, constants, tests and conversions.

Shared by the operation emitters and the IR runtime helpers so both speak
the one value representation of ``values.py``.
"""

from __future__ import annotations

from llvmlite import ir

from . import values
from .layout import HEADER_KIND_MASK

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
DOUBLE = ir.DoubleType()
I64P = I64.as_pointer()
I8P = I8.as_pointer()


def const(n: int) -> ir.Constant:
    """An i64 constant (unsigned words are wrapped to signed)."""
    return ir.Constant(I64, values.to_signed(n))


NIL = const(values.NIL)
TRUE = const(values.TRUE)
FALSE = const(values.FALSE)
UNDEFINED = const(values.UNDEFINED)
ERROR = const(values.ERROR)


def pointer(b: ir.IRBuilder, address: ir.Value, byte_offset: int = 0) -> ir.Value:
    """An ``i64*`` to the word at ``address + byte_offset`` (folded when the address is a constant)."""
    if isinstance(address, ir.Constant):
        return ir.Constant(I64, address.constant + byte_offset).inttoptr(I64P)
    if byte_offset:
        address = b.add(address, const(byte_offset))
    return b.inttoptr(address, I64P)


def load_word(b: ir.IRBuilder, address: ir.Value, byte_offset: int = 0) -> ir.Value:
    """Load the word at ``address + byte_offset``."""
    return b.load(pointer(b, address, byte_offset))


def is_number(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """i1: ``v`` is a double."""
    return b.icmp_unsigned("!=", b.and_(v, const(values.QNAN)), const(values.QNAN))


def both_numbers(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """i1: both are doubles (one test: a word is a number unless all its quiet-NaN bits are set)."""
    return b.and_(is_number(b, x), is_number(b, y))


def is_obj(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """i1: ``v`` is a heap object."""
    return b.icmp_unsigned("==", b.and_(v, const(values.OBJ_TAG)), const(values.OBJ_TAG))


def address_of(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """The address inside an object value."""
    return b.and_(v, const(values.ADDRESS_MASK))


def box_address(b: ir.IRBuilder, address: ir.Value) -> ir.Value:
    """An object value from an address."""
    return b.or_(address, const(values.OBJ_TAG))


def kind_of(b: ir.IRBuilder, address: ir.Value) -> ir.Value:
    """The kind byte (as i64) of the object at ``address``."""
    return b.and_(load_word(b, address), const(HEADER_KIND_MASK))


def is_kind(b: ir.IRBuilder, v: ir.Value, kind: int, zero_address: int) -> ir.Value:
    """i1: ``v`` is an object of ``kind``.

    Branch-free: a non-object reads the heap's always-zero word instead of a
    header, and no kind is 0, so the compare fails without dereferencing ``v``.
    """
    header_address = b.select(is_obj(b, v), address_of(b, v), const(zero_address))
    return b.icmp_unsigned("==", kind_of(b, header_address), const(int(kind)))


def to_double(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """Reinterpret a number value as a double."""
    return b.bitcast(v, DOUBLE)


def from_double(b: ir.IRBuilder, d: ir.Value) -> ir.Value:
    """Box a double."""
    return b.bitcast(d, I64)


def from_bool(b: ir.IRBuilder, c: ir.Value) -> ir.Value:
    """``true``/``false`` from an i1 (FALSE + 1 is TRUE)."""
    return b.add(FALSE, b.zext(c, I64))


def is_falsey(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """i1: ``v`` is ``nil`` or ``false``."""
    return b.or_(b.icmp_unsigned("==", v, NIL), b.icmp_unsigned("==", v, FALSE))


#: The double instruction of each arithmetic operator.
_ARITHMETIC = {"+": "fadd", "-": "fsub", "*": "fmul", "/": "fdiv"}
# clox compiles ``a <= b`` as ``!(a > b)`` and ``a >= b`` as ``!(a < b)``, so with a NaN operand those
# two are true: the unordered comparisons give exactly that.
_COMPARISON = {"<": ("ordered", "<"), ">": ("ordered", ">"), "<=": ("unordered", "<="), ">=": ("unordered", ">=")}


def number_arithmetic(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x op y`` (``+ - * /``) on two values known to be numbers: one double instruction, boxed."""
    result: ir.Value = getattr(b, _ARITHMETIC[op])(to_double(b, x), to_double(b, y))
    return from_double(b, result)


def number_compare(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x op y`` (``< <= > >=``) on two values known to be numbers, as clox answers it (NaN included)."""
    ordering, predicate = _COMPARISON[op]
    compare = b.fcmp_ordered if ordering == "ordered" else b.fcmp_unordered
    return from_bool(b, compare(predicate, to_double(b, x), to_double(b, y)))
