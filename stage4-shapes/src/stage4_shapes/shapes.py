"""Hidden classes: every instance points to a shape; adding a field follows (or makes) a transition to the next.

Instances of one class that get the same fields in the same order share a
shape, so "where is field ``x``" is a question about the shape, answered
once, not about each instance: that is what lets an inline cache key on the
shape alone (``caches.py``). Shapes form a tree per class:

    Point{}  --x-->  Point{x}  --y-->  Point{x,y}
                  \\--y-->  Point{y}  --x-->  Point{y,x}

Each class starts at a *root* shape. A shape also says how many of its
fields live inside the instance (its inline slots); the rest live in an
overflow store. The first instances of a class are made with generous inline
room; once ``slack_tracking_instances`` have been made, the class learns how
many fields its instances actually get and every shape of its tree keeps
only that many inline slots (V8's slack tracking): later instances are
exactly that big, so a two-field ``Point`` costs 32 bytes, not 80. Nothing
moves, because no instance has a field past the learned count yet.

Growth is bounded: an instance that would get more than ``max_shape_fields``
fields, or a class whose tree would exceed ``max_shapes_per_class`` shapes,
goes to *dictionary mode* instead: one shape per class marked "dictionary",
fields in a (name, value) table of the instance's own. Caches never cache a
dictionary shape.

The Python :class:`Shape` mirrors a native SHAPE object (``objects.py``),
which compiled code reads: class, parent, the field added, counts.
"""

from __future__ import annotations

from stage0_jit import values
from stage0_jit.heap import Heap

from .objects import SHAPE, ClassInfo, Pairs, instance_header

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .vm import ShapesVM


class Shape:
    """One hidden class (mirrors its native SHAPE object)."""

    __slots__ = ("id", "address", "klass", "parent", "name", "fields", "inline_capacity", "dictionary",
                 "transitions", "header", "description")

    id: int
    address: int
    klass: ClassInfo
    parent: Shape | None
    name: str | None                  # the field this shape added to its parent's
    fields: dict[str, int]            # every field -> its index
    inline_capacity: int
    dictionary: bool
    transitions: dict[str, Shape]

    header: int                       # the header word its instances carry (set on creation)
    description: str                  # ``Point{x,y}`` (``Point{dictionary}`` in dictionary mode)

    def __init__(self, id: int, address: int, klass: ClassInfo, parent: Shape | None, name: str | None,
                 fields: dict[str, int], inline_capacity: int, dictionary: bool = False) -> None:
        self.id = id
        self.address = address
        self.klass = klass
        self.parent = parent
        self.name = name
        self.fields = fields
        self.inline_capacity = inline_capacity
        self.dictionary = dictionary
        self.transitions: dict[str, Shape] = {}
        self.header = instance_header(address)
        described = "dictionary" if dictionary else ",".join(fields)
        self.description = f"{klass.name}{{{described}}}"

    def describe(self) -> str:
        """``Point{x,y}`` (``Point{dictionary}`` in dictionary mode)."""
        return self.description


class ShapeTable:
    """Every shape, by header word; makes roots, transitions and dictionary shapes (see the module docstring)."""

    def __init__(self, vm: "ShapesVM") -> None:
        self.vm = vm
        self.heap: Heap = vm.runtime.heap
        self.pairs = Pairs(self.heap)
        self.by_header: dict[int, Shape] = {}
        self.shapes: dict[int, Shape] = {}          # by id (a collector may forget dead ones)
        self.shapes_made = 0
        self.transitions_made = 0
        self.dictionary_instances = 0

    def new_shape(self, klass: ClassInfo, parent: Shape | None, name: str | None, fields: dict[str, int],
                  inline_capacity: int, dictionary: bool = False) -> Shape:
        """Allocate a shape (native and Python) and register it."""
        heap = self.heap
        address = heap.allocate(SHAPE)
        shape = Shape(self.shapes_made, address, klass, parent, name, fields, inline_capacity, dictionary)
        self.shapes_made += 1
        for field_name, word in (("class", klass.address), ("parent", parent.address if parent else 0),
                                 ("name", self.vm.runtime.constant_string(name) if name else values.NIL),
                                 ("index", fields[name] if name else 0), ("field_count", len(fields)),
                                 ("inline_capacity", inline_capacity), ("id", shape.id),
                                 ("dictionary", int(dictionary)), ("transitions", 0)):
            heap.set_field(address, SHAPE, field_name, word)
        self.shapes[shape.id] = shape
        self.by_header[shape.header] = shape
        klass.shapes += 1
        return shape

    def root(self, klass: ClassInfo, inline_capacity: int) -> Shape:
        """A new root shape for ``klass`` (no fields yet)."""
        shape = self.new_shape(klass, None, None, {}, inline_capacity)
        self.vm.trace("shapes", f"new root shape #{shape.id} {shape.describe()} with {inline_capacity} inline slots")
        return shape

    def add_field(self, shape: Shape, name: str) -> Shape:
        """The shape after adding field ``name`` to ``shape``: an existing transition, a new one, or the
        class's dictionary shape when a limit is reached."""
        child = shape.transitions.get(name)
        if child is not None:
            return child
        settings = self.vm.settings
        klass = shape.klass
        if len(shape.fields) >= settings.max_shape_fields or klass.shapes >= settings.max_shapes_per_class:
            why = (f"{len(shape.fields) + 1} fields > max_shape_fields ({settings.max_shape_fields})"
                   if len(shape.fields) >= settings.max_shape_fields else
                   f"class has {klass.shapes} shapes = max_shapes_per_class ({settings.max_shapes_per_class})")
            self.vm.trace("shapes", f"{shape.describe()} + {name}: dictionary mode ({why})")
            return self.dictionary_shape(klass)
        fields = dict(shape.fields)
        fields[name] = len(fields)
        child = self.new_shape(klass, shape, name, fields, shape.inline_capacity)
        shape.transitions[name] = child
        table = self.heap.field(shape.address, SHAPE, "transitions") or self.pairs.new(2)
        table = self.pairs.put(table, self.vm.runtime.constant_string(name), child.address)
        self.heap.set_field(shape.address, SHAPE, "transitions", table)
        self.transitions_made += 1
        self.vm.trace("shapes", f"transition #{shape.id} {shape.describe()} --{name}--> #{child.id} "
                                f"{child.describe()} (field {fields[name]}, "
                                f"{'inline' if fields[name] < child.inline_capacity else 'overflow'})")
        return child

    def dictionary_shape(self, klass: ClassInfo) -> Shape:
        """The one dictionary-mode shape of ``klass``."""
        if klass.dictionary_shape is None:
            klass.dictionary_shape = self.new_shape(klass, None, None, {}, 0, dictionary=True)
        return klass.dictionary_shape

    def learn_slack(self, klass: ClassInfo) -> None:
        """Slack tracking: once the first instances are made, every shape of the class's tree keeps only as
        many inline slots as the most fields any of them has (V8 shrinks its maps' instance size the same
        way). No instance has a field past that many, so every field stays where it is; new instances are
        allocated smaller, and fields past the learned count go to the overflow store."""
        settings = self.vm.settings
        root = klass.root
        assert root is not None
        tree = [root]
        for shape in tree:
            tree.extend(shape.transitions.values())
        used = max(len(shape.fields) for shape in tree)
        capacity = min(used, settings.inline_slots_while_tracking)
        for shape in tree:
            shape.inline_capacity = capacity
            self.heap.set_field(shape.address, SHAPE, "inline_capacity", capacity)
        self.vm.trace("shapes", f"class {klass.name}: slack tracking done after {klass.instances} instances: "
                                f"at most {used} fields, so its {len(tree)} shapes keep {capacity} inline slots "
                                f"(was {settings.inline_slots_while_tracking})")
