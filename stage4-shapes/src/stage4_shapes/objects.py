"""The object kinds classes bring (class, instance, bound method, shape, pairs), declared once, native like the rest.

They join stage 0's table of layouts (``stage0_jit.layout.register``), so
the interpreter, compiled code and (later) the collector read the same
facts. The one unusual word is an instance's header: besides its kind byte
it carries its **shape**'s address (``shape << 8 | INSTANCE``). Compiled
code tests "is an instance *and* has shape S" with one load and one compare
of that word, and a non-object reads the heap's always-zero word instead
(see ``irvalues.is_kind``), which matches no shape.

=============  ===============================================================
kind           words after the header
=============  ===============================================================
CLASS          name, id (index of its :class:`ClassInfo`), methods (a PAIRS
               table name -> closure), initializer (closure or nil), root shape
INSTANCE       overflow (a FIELDS object for fields past the inline slots, or
               0; in dictionary mode a PAIRS table name -> value), then the
               inline field slots
BOUND_METHOD   receiver, method (a closure)
SHAPE          class, parent, name (the field this shape added; nil for a
               root), index (that field's number), field count, inline
               capacity, id, dictionary flag, transitions (a PAIRS table
               name -> child shape)
FIELDS         capacity, then field values
PAIRS          count, capacity, then (name, value) pairs: a small table the
               native generic lookup scans (names are interned strings, so
               they compare by address)
=============  ===============================================================
"""

from __future__ import annotations

import enum

from stage0_jit import values
from stage0_jit.heap import Heap
from stage0_jit.layout import WORD, Holds, Layout, register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .shapes import Shape


class ObjectKind(enum.IntEnum):
    """Stage 4's object kinds (header byte values after stage 0's)."""

    CLASS = 7
    INSTANCE = 8
    BOUND_METHOD = 9
    SHAPE = 10
    FIELDS = 11
    PAIRS = 12


CLASS = register(Layout(ObjectKind.CLASS, (("name", Holds.VALUE), ("id", Holds.RAW), ("methods", Holds.POINTER),
                                           ("initializer", Holds.VALUE), ("root_shape", Holds.POINTER)), None,
                        "a class: its methods (copied down from the superclass) never change after creation"))
INSTANCE = register(Layout(ObjectKind.INSTANCE, (("overflow", Holds.POINTER),), Holds.VALUE,
                           "an instance: header = shape << 8 | kind; inline field slots in the tail",
                           tail_count="shape.inline_capacity"))
BOUND_METHOD = register(Layout(ObjectKind.BOUND_METHOD, (("receiver", Holds.VALUE), ("method", Holds.VALUE)),
                               None, "a method closure bound to its receiver"))
SHAPE = register(Layout(ObjectKind.SHAPE, (("class", Holds.POINTER), ("parent", Holds.POINTER),
                                           ("name", Holds.VALUE), ("index", Holds.RAW),
                                           ("field_count", Holds.RAW), ("inline_capacity", Holds.RAW),
                                           ("id", Holds.RAW), ("dictionary", Holds.RAW),
                                           ("transitions", Holds.POINTER)), None,
                        "a hidden class: which fields an instance has and where each lives"))
FIELDS = register(Layout(ObjectKind.FIELDS, (("capacity", Holds.RAW),), Holds.VALUE,
                         "an instance's fields beyond its inline slots", tail_count="capacity"))
PAIRS = register(Layout(ObjectKind.PAIRS, (("count", Holds.RAW), ("capacity", Holds.RAW)), Holds.VALUE,
                        "(name, value) pairs: a method table, a shape's transitions, a dictionary-mode instance",
                        tail_count="capacity", tail_scale=2))

INSTANCE_FIELDS = INSTANCE.tail_offset // WORD      # word index of inline slot 0
SHAPE_SHIFT = 8


def instance_header(shape_address: int) -> int:
    """The header word of an instance of the shape at ``shape_address``."""
    return shape_address << SHAPE_SHIFT | ObjectKind.INSTANCE


def instance_size(inline_capacity: int) -> int:
    """Bytes of an instance with ``inline_capacity`` inline slots."""
    return INSTANCE.fixed_size + WORD * inline_capacity


def overflow_capacity(fields_past_inline: int) -> int:
    """How many overflow slots an instance has for this many fields past its inline ones: a function of
    the shape alone, so a cached transition knows whether it must grow the store (powers of two, from 4)."""
    if fields_past_inline <= 0:
        return 0
    capacity = 4
    while capacity < fields_past_inline:
        capacity *= 2
    return capacity


class ClassInfo:
    """What the runtime knows of one class (its native object holds the same, for compiled code)."""

    __slots__ = ("id", "name", "address", "methods", "initializer", "root", "instances", "shapes",
                 "dictionary_shape")

    id: int
    name: str
    address: int                      # the CLASS object
    methods: dict[str, int]           # name -> closure value
    initializer: int | None           # the closure of ``init``
    root: Shape | None                # where new instances start
    instances: int                    # created so far (slack tracking learns from the first ones)
    shapes: int                       # shapes in its transition tree
    dictionary_shape: Shape | None

    def __init__(self, id: int, name: str, address: int, methods: dict[str, int] | None = None,
                 initializer: int | None = None, root: Shape | None = None, instances: int = 0,
                 shapes: int = 0, dictionary_shape: Shape | None = None) -> None:
        self.id = id
        self.name = name
        self.address = address
        self.methods = {} if methods is None else methods
        self.initializer = initializer
        self.root = root
        self.instances = instances
        self.shapes = shapes
        self.dictionary_shape = dictionary_shape

    @property
    def value(self) -> int:
        """The class as a Lox value."""
        return values.obj(self.address)


class Pairs:
    """Native (name, value) tables: allocation, lookup and append (growing by reallocation)."""

    def __init__(self, heap: Heap) -> None:
        self.heap = heap

    def new(self, capacity: int) -> int:
        """An empty table with room for ``capacity`` pairs; returns its address."""
        address = self.heap.allocate(PAIRS, 2 * WORD * capacity)
        self.heap.set_field(address, PAIRS, "count", 0)
        self.heap.set_field(address, PAIRS, "capacity", capacity)
        return address

    def items(self, table: int) -> list[tuple[int, int]]:
        """Every (name, value) pair, in order."""
        heap = self.heap
        count = heap.field(table, PAIRS, "count")
        return [(heap.tail_word(table, PAIRS, 2 * i), heap.tail_word(table, PAIRS, 2 * i + 1)) for i in range(count)]

    def put(self, table: int, name: int, value: int) -> int:
        """Set ``name`` to ``value`` (appending, reallocating when full); returns the table's (new) address."""
        heap = self.heap
        count = heap.field(table, PAIRS, "count")
        for i in range(count):
            if heap.tail_word(table, PAIRS, 2 * i) == name:
                heap.set_tail_word(table, PAIRS, 2 * i + 1, value)
                return table
        return self.append(table, name, value)

    def append(self, table: int, name: int, value: int) -> int:
        """Add a pair whose name the table does not have (no scan: a dictionary-mode instance knows its
        names, and scanning made adding its n-th field cost n); returns the table's (new) address."""
        heap = self.heap
        count = heap.field(table, PAIRS, "count")
        capacity = heap.field(table, PAIRS, "capacity")
        if count == capacity:
            bigger = self.new(max(4, capacity * 2))
            for i in range(2 * count):
                heap.set_tail_word(bigger, PAIRS, i, heap.tail_word(table, PAIRS, i))
            heap.set_field(bigger, PAIRS, "count", count)
            table = bigger
        heap.set_tail_word(table, PAIRS, 2 * count, name)
        heap.set_tail_word(table, PAIRS, 2 * count + 1, value)
        heap.set_field(table, PAIRS, "count", count + 1)
        return table
