"""The native heap: one reserved memory region that Python and compiled code both allocate in.

The region is reserved with ``mmap`` (pages cost nothing until touched). Its
first two words are the allocation pointer and the limit; compiled code bumps
the same pointer inline, so allocation never calls into Python. Python reads
and writes objects through a ``memoryview`` of 64-bit words, indexed by
``(address - base) // 8``. In stages 0-4 nothing is ever freed (stage 5 adds a
collector under this same interface).

Two facts every tier already keeps for stage 5's collector: the **safepoint
word** (nonzero when the collector asks the program to stop at its next call
or loop back-edge; always 0 before stage 5; on a shared page of its own, which
stage 6's compile processes set too) and the **card table** (one byte
per 512-byte card of the heap, set to 1 by every store into an object that
starts in that card, so a collection of young objects finds the old objects
that were written since the last one). Before stage 5 nothing reads the cards.
"""

from __future__ import annotations

import ctypes
import mmap

from . import values
from .layout import (CELL, CLOSURE, FUNCTION, GLOBAL, HEADER_KIND_MASK, NATIVE, STRING,
                     WORD, Kind, Layout, round_up)

MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
_STRING_LENGTH = STRING.index("length")   # word index of a string's length
_KIND_OF: list[int] = [Kind(k) if k in Kind._value2member_map_ else k for k in range(HEADER_KIND_MASK + 1)]
_STRING_CHARS = STRING.tail_offset         # byte offset of its characters


class OutOfMemory(Exception):
    """The heap's reserved region is full."""


class NativeRegion:
    """A block of native memory reserved with mmap and viewed as 64-bit words from Python."""

    def __init__(self, size: int, shared: bool = False) -> None:
        flags = (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE) | mmap.MAP_ANONYMOUS | MAP_NORESERVE
        self._map = mmap.mmap(-1, size, flags=flags)
        self.size = size
        self.base = ctypes.addressof(ctypes.c_char.from_buffer(self._map))
        self.bytes = memoryview(self._map)
        self.words = self.bytes.cast("Q")

    def load(self, address: int) -> int:
        """The word at ``address``."""
        return self.words[(address - self.base) >> 3]

    def store(self, address: int, word: int) -> None:
        """Write the word at ``address``."""
        self.words[(address - self.base) >> 3] = word


class Heap(NativeRegion):
    """Lox's heap of objects; see ``layout.py`` for what each object holds."""

    TOP = 0      # word index of the allocation pointer
    LIMIT = 1    # word index of the end of the region
    ZERO = 2     # a word that is always 0: a header no object has (see irvalues.is_kind)
    SAFEPOINT = 3    # in ``flags``: nonzero means stop at the next safepoint (stage 5's collector asks)
    START = 4 * WORD
    CARD_SHIFT = 9   # a card is 512 bytes
    barrier = False  # whether compiled code marks cards on its stores (stage 5's heap: True)
    slow_allocation = False   # whether compiled code calls lox_alloc_slow when the run is used up (stage 5)
    large_object = 1 << 62    # objects this big take the slow path even when the run has room (stage 5)

    def __init__(self, reserve: int) -> None:
        super().__init__(reserve)
        self.words[self.TOP] = self.base + self.START
        self.words[self.LIMIT] = self.base + reserve
        self.top_address = self.base + self.TOP * WORD
        self.limit_address = self.base + self.LIMIT * WORD
        self.zero_address = self.base + self.ZERO * WORD
        # The safepoint word has a page of its own, mapped shared, so that it stays one word in memory across
        # a fork: a stage 6 compile process sets it to make the VM stop and take the code it sent.
        self.flag_region = NativeRegion(mmap.PAGESIZE, shared=True)
        self.flags = self.flag_region.words
        self.safepoint_address = self.flag_region.base + self.SAFEPOINT * WORD
        # One byte per card, reserved like the heap (pages cost nothing until a store touches them).
        self.card_region = NativeRegion(max(reserve >> self.CARD_SHIFT, mmap.PAGESIZE))
        self.cards = self.card_region.bytes
        self.cards_address = self.card_region.base

    # ------------------------------------------------------------ allocation
    def allocate(self, layout: Layout, tail_bytes: int = 0) -> int:
        """Allocate one object of ``layout`` with ``tail_bytes`` of tail; returns its address."""
        size = round_up(layout.fixed_size + tail_bytes)
        top = self.words[self.TOP]
        if top + size > self.words[self.LIMIT]:
            raise OutOfMemory()
        self.words[self.TOP] = top + size
        self.words[(top - self.base) >> 3] = int(layout.kind)
        return top

    @property
    def bytes_allocated(self) -> int:
        """Bytes handed out so far."""
        return int(self.words[self.TOP]) - self.base - self.START

    def keep(self, value: int) -> int:
        """Keep the object ``value`` (an object value or an address) alive and in place for as long as the
        VM runs, because Python or compiled code holds its address (literals, names, the closure a call
        site always calls); returns ``value``. Nothing is ever freed before stage 5, whose heap records it."""
        return value

    # ------------------------------------------------------------ fields
    def kind(self, address: int) -> int:
        """The kind of the object at ``address`` (a ``Kind`` member for stage 0's kinds, an int for later ones)."""
        return _KIND_OF[self.words[(address - self.base) >> 3] & HEADER_KIND_MASK]

    def field(self, address: int, layout: Layout, name: str) -> int:
        """Read a fixed field."""
        return self.words[((address - self.base) >> 3) + layout.index(name)]

    def set_field(self, address: int, layout: Layout, name: str, word: int) -> None:
        """Write a fixed field: the one place Python stores into heap objects (marking the object's card,
        the write barrier a collector reads; see the module docstring)."""
        self.words[((address - self.base) >> 3) + layout.index(name)] = word
        self.cards[(address - self.base) >> self.CARD_SHIFT] = 1

    def tail_word(self, address: int, layout: Layout, i: int) -> int:
        """Read word ``i`` of a word tail."""
        return self.words[((address - self.base + layout.tail_offset) >> 3) + i]

    def set_tail_word(self, address: int, layout: Layout, i: int, word: int) -> None:
        """Write word ``i`` of a word tail (marking the object's card)."""
        self.words[((address - self.base + layout.tail_offset) >> 3) + i] = word
        self.cards[(address - self.base) >> self.CARD_SHIFT] = 1

    # ------------------------------------------------------------ strings
    def new_string(self, data: bytes) -> int:
        """Allocate a string holding ``data``; returns the Lox value."""
        address = self.allocate(STRING, len(data))
        self.set_field(address, STRING, "length", len(data))
        start = address - self.base + STRING.tail_offset
        self.bytes[start:start + len(data)] = data
        return values.obj(address)

    def string_bytes(self, address: int) -> bytes:
        """The bytes of the string at ``address``."""
        offset = address - self.base
        length = self.words[(offset >> 3) + _STRING_LENGTH]
        start = offset + _STRING_CHARS
        return bytes(self.bytes[start:start + length])

    def is_kind(self, value: int, kind: Kind) -> bool:
        """True when ``value`` is an object of ``kind`` (the header compared as a plain int: no enum made)."""
        return values.is_obj(value) and \
            self.words[(values.address_of(value) - self.base) >> 3] & HEADER_KIND_MASK == kind

    # ------------------------------------------------------------ other kinds
    def new_function(self, name: int, arity: int, function_id: int, upvalue_count: int,
                     observations: int) -> int:
        """Allocate a function prototype (entry slot empty until code is installed); returns its address."""
        address = self.allocate(FUNCTION)
        for field, word in (("arity", arity), ("name", name), ("entry", 0), ("id", function_id),
                            ("upvalue_count", upvalue_count), ("observations", observations)):
            self.set_field(address, FUNCTION, field, word)
        return address

    def new_closure(self, function: int, cells: list[int]) -> int:
        """Allocate a closure of prototype ``function`` over ``cells`` (addresses); returns the value."""
        address = self.allocate(CLOSURE, len(cells) * WORD)
        self.set_field(address, CLOSURE, "function", function)
        self.set_field(address, CLOSURE, "cell_count", len(cells))
        for i, cell in enumerate(cells):
            self.set_tail_word(address, CLOSURE, i, cell)
        return values.obj(address)

    def new_cell(self, value: int) -> int:
        """Allocate a cell holding ``value``; returns its address."""
        address = self.allocate(CELL)
        self.set_field(address, CELL, "value", value)
        return address

    def new_native(self, native_id: int, arity: int) -> int:
        """Allocate a native-function object; returns the value."""
        address = self.allocate(NATIVE)
        self.set_field(address, NATIVE, "id", native_id)
        self.set_field(address, NATIVE, "arity", arity)
        return values.obj(address)

    def new_global(self, name: int) -> int:
        """Allocate an undefined global cell named by the string value ``name``; returns its address."""
        address = self.allocate(GLOBAL)
        self.set_field(address, GLOBAL, "value", values.UNDEFINED)
        self.set_field(address, GLOBAL, "name", name)
        return address
