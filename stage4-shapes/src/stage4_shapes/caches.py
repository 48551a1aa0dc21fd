"""Shape-keyed inline caches: what a property, method, super or class-call site learned, keyed by shape or class.

They are stage 2's :class:`~stage2_ic.feedback.InlineCache` (the same
uninitialised / monomorphic / polymorphic / megamorphic ladder, the same
``--trace=ic`` lines and ``--stats`` counters) whose cases are the hits
below, plus a dictionary from the key (an instance's header word, which
names its shape, or a class) to the hit, so the interpreter answers a
cached access with one dictionary lookup and compiled code with one compare.

A case is what the site should do for that key, worked out once on a miss:

- :class:`FieldHit`: the field is slot ``index`` (inline if below the
  shape's inline capacity, else in the overflow store);
- :class:`MethodHit`: the name is a method of the shape's class (no field
  shadows it in that shape): bind it, or call it with the receiver;
- :class:`StoreHit`: a store into slot ``index``; when ``new_header``
  differs it also moves the instance to the next shape (a cached transition),
  ``grows`` when the overflow store must be made bigger first;
- :class:`SuperHit`: ``super.name`` from that superclass is this closure;
- :class:`ClassTarget`: calling this class runs this initializer.
"""

from __future__ import annotations

from collections.abc import Hashable

from stage2_ic.feedback import Case, InlineCache

NOT_INSTANCE = "not an instance"

# The cases below are values (stage 2's Case): equal when of the same class with equal fields, hashed by
# their fields, shown by ``repr`` as ``FieldHit(header=..., ...)``.


class FieldHit(Case):
    """A field read (or a field's value invoked) on instances of one shape."""

    __slots__ = ("header", "index", "inline", "shape")
    HEADERS = ("header",)

    header: int
    index: int
    inline: int          # the shape's inline capacity
    shape: str           # for traces: ``Point{x,y}``

    def __init__(self, header: int, index: int, inline: int, shape: str) -> None:
        self.header = header
        self.index = index
        self.inline = inline
        self.shape = shape

    def __str__(self) -> str:
        where = f"inline slot {self.index}" if self.index < self.inline else f"overflow {self.index - self.inline}"
        return f"{self.shape}: field {where}"


class MethodHit(Case):
    """A method found on the shape's class."""

    __slots__ = ("header", "closure", "prototype", "shape", "name")
    OBJECTS = ("closure", "prototype")
    HEADERS = ("header",)

    header: int
    closure: int
    prototype: int
    shape: str
    name: str

    def __init__(self, header: int, closure: int, prototype: int, shape: str, name: str) -> None:
        self.header = header
        self.closure = closure
        self.prototype = prototype
        self.shape = shape
        self.name = name

    def __str__(self) -> str:
        return f"{self.shape}: method {self.name}"


class StoreHit(Case):
    """A field store, with the transition it makes (``new_header == header``: the field existed)."""

    __slots__ = ("header", "new_header", "index", "inline", "grows", "shape", "new_shape")
    HEADERS = ("header", "new_header")

    header: int
    new_header: int
    index: int
    inline: int
    grows: bool
    shape: str
    new_shape: str

    def __init__(self, header: int, new_header: int, index: int, inline: int, grows: bool, shape: str,
                 new_shape: str) -> None:
        self.header = header
        self.new_header = new_header
        self.index = index
        self.inline = inline
        self.grows = grows
        self.shape = shape
        self.new_shape = new_shape

    def __str__(self) -> str:
        if self.header == self.new_header:
            return f"{self.shape}: store field {self.index}"
        return f"{self.shape} -> {self.new_shape}: add field {self.index}" + (" (grow overflow)" if self.grows else "")


class SuperHit(Case):
    """``super.name`` on one superclass."""

    __slots__ = ("superclass", "closure", "prototype", "name")
    OBJECTS = ("superclass", "closure", "prototype")

    superclass: int
    closure: int
    prototype: int
    name: str

    def __init__(self, superclass: int, closure: int, prototype: int, name: str) -> None:
        self.superclass = superclass
        self.closure = closure
        self.prototype = prototype
        self.name = name

    def __str__(self) -> str:
        return f"super.{self.name}"


class ClassTarget(Case):
    """A call site that calls a class: the instance's initializer (0: none) and its arity."""

    __slots__ = ("klass", "initializer", "prototype", "arity", "name")
    OBJECTS = ("klass", "initializer", "prototype")

    klass: int
    initializer: int
    prototype: int
    arity: int
    name: str

    def __init__(self, klass: int, initializer: int, prototype: int, arity: int, name: str) -> None:
        self.klass = klass
        self.initializer = initializer
        self.prototype = prototype
        self.arity = arity
        self.name = name

    def __str__(self) -> str:
        return f"class {self.name}"


class ShapeCache(InlineCache):
    """An inline cache whose cases are keyed (by header word or class) for a one-lookup hit."""

    __slots__ = ("by_key",)

    by_key: dict[int, tuple[Hashable, int]]   # key -> (case, its index)

    def __init__(self, function: str, offset: int, line: int, operation: str) -> None:
        super().__init__(function, offset, line, operation)
        self.by_key = {}

    def hit(self, key: int) -> Hashable | None:
        """The cached case for ``key``, if any (counted as seen once more)."""
        entry = self.by_key.get(key)
        if entry is None:
            return None
        self.counts[entry[1]] += 1
        return entry[0]
