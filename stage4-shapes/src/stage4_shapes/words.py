"""Stage 4's objects word by word: where each word of a class, instance, bound method or pairs table is in the heap.

Python sees the heap as one view of 64-bit words (``Heap.words``), indexed
from the start of its region, so the object at ``address`` starts at word
``(address - base) >> 3``. :meth:`ObjectWords.at` is the one place that
arithmetic is written. The other methods take the word index it returns
(a pairs table, its address), so an operation that reads several words of
one object computes the index once: the interpreter's property hooks
(``model.py``) ask for it, then read the header and an inline slot from
:attr:`ObjectWords.view` themselves at the offsets below. Which word of an
object holds what comes from the layouts in ``objects.py``.
"""

from __future__ import annotations

from stage0_jit import values
from stage0_jit.heap import Heap
from stage0_jit.layout import HEADER_KIND_MASK, WORD

from .objects import BOUND_METHOD, CLASS, FIELDS, INSTANCE, INSTANCE_FIELDS, PAIRS

ADDRESS_MASK = values.ADDRESS_MASK
NIL = values.NIL
# Word offsets from an object's first word (its header, offset 0).
INLINE = INSTANCE_FIELDS                    # an instance's inline slot 0
OVERFLOW = INSTANCE.index("overflow")       # an instance's overflow store (in dictionary mode, its pairs table)
FIELDS_TAIL = FIELDS.tail_offset // WORD    # an overflow store's slot 0
PAIRS_TAIL = PAIRS.tail_offset // WORD      # a pairs table's first name; each value is the word after its name
RECEIVER = BOUND_METHOD.index("receiver")
METHOD = BOUND_METHOD.index("method")
CARD_WORDS_SHIFT = Heap.CARD_SHIFT - 3      # word index -> card index
CLASS_ID = CLASS.index("id")


class ObjectWords:
    """Reads and writes the words of stage 4's objects (see the module docstring)."""

    __slots__ = ("view", "base", "cards")

    def __init__(self, heap: Heap) -> None:
        self.view = heap.words
        self.base = heap.base
        # Every setter below marks the card of the object it writes (the heap's write barrier; word index
        # ``at`` is in card ``at >> CARD_WORDS_SHIFT``). Initialising a new object needs no mark.
        self.cards = heap.cards

    def at(self, pointer: int) -> int:
        """The word index of the object ``pointer`` points to (a Lox object value or a bare address)."""
        return (pointer & ADDRESS_MASK) - self.base >> 3

    # ------------------------------------------------------------ any object
    def header(self, at: int) -> int:
        """The object's header word (an instance's holds its shape)."""
        return self.view[at]

    def set_header(self, at: int, header: int) -> None:
        """Give an instance another shape's header."""
        self.view[at] = header

    def kind(self, at: int) -> int:
        """The object's kind (its header's low byte)."""
        return self.view[at] & HEADER_KIND_MASK

    def class_id(self, at: int) -> int:
        """A class's index in the object model's list of classes."""
        return self.view[at + CLASS_ID]

    # ------------------------------------------------------------ instances
    def init_instance(self, at: int, header: int, inline: int) -> None:
        """A new instance: its shape's header, no overflow store and ``inline`` slots of nil."""
        view = self.view
        view[at] = header
        view[at + OVERFLOW] = 0
        for k in range(at + INLINE, at + INLINE + inline):
            view[k] = NIL

    def field(self, at: int, index: int, inline: int) -> int:
        """Field ``index`` of an instance whose shape has ``inline`` inline slots."""
        view = self.view
        if index < inline:
            return view[at + INLINE + index]
        return view[self.at(view[at + OVERFLOW]) + FIELDS_TAIL + index - inline]

    def set_field(self, at: int, index: int, inline: int, value: int) -> None:
        """Write field ``index`` (its slot exists: inline, or in an overflow store big enough)."""
        view = self.view
        if index < inline:
            view[at + INLINE + index] = value
            self.cards[at >> CARD_WORDS_SHIFT] = 1
        else:
            store = self.at(view[at + OVERFLOW])
            view[store + FIELDS_TAIL + index - inline] = value
            self.cards[store >> CARD_WORDS_SHIFT] = 1

    def overflow(self, at: int) -> int:
        """The address of an instance's overflow store (0: none yet), in dictionary mode of its pairs table."""
        return self.view[at + OVERFLOW]

    def set_overflow(self, at: int, address: int) -> None:
        """Point an instance at its new overflow store or pairs table."""
        self.view[at + OVERFLOW] = address
        self.cards[at >> CARD_WORDS_SHIFT] = 1

    # ------------------------------------------------------------ pairs tables and bound methods
    def pair_value(self, table: int, pair: int) -> int:
        """The value of pair number ``pair`` of the pairs table at address ``table``."""
        return self.view[self.at(table) + PAIRS_TAIL + 2 * pair + 1]

    def set_pair_value(self, table: int, pair: int, value: int) -> None:
        """Overwrite the value of pair number ``pair`` of the pairs table at address ``table``."""
        at = self.at(table)
        self.view[at + PAIRS_TAIL + 2 * pair + 1] = value
        self.cards[at >> CARD_WORDS_SHIFT] = 1

    def init_bound(self, at: int, receiver: int, method: int) -> None:
        """A new bound method's receiver and method."""
        self.view[at + RECEIVER] = receiver
        self.view[at + METHOD] = method

    def bound_parts(self, at: int) -> tuple[int, int]:
        """(method closure, receiver) of a bound method."""
        view = self.view
        return view[at + METHOD], view[at + RECEIVER]
