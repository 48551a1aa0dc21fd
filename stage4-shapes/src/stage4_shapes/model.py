"""The object model at run time: classes, instances, fields, methods, bound methods and super, for every tier.

:class:`ObjectModel` is the interpreter's ``vm.objects`` hook (stage 1's
``ObjectModel`` protocol): property get and set, ``invoke``, calling classes
and bound methods, and the class opcodes. Each cached operation first asks
its site's shape cache (``caches.py``; skipped under ``--ic=off``), and on a
miss does the full lookup (the shape's field map, then the class's methods),
records what it found as the site's new case, and answers. The same lookups
serve compiled code's slow paths (``runtime.py``). The objects' words are
read and written through :class:`~stage4_shapes.words.ObjectWords`
(``self.words``), which turns an address into a word index once per
operation.

Errors are clox's: ``Only instances have properties.`` / ``fields.`` /
``methods.``, ``Undefined property 'x'.``, ``Superclass must be a class.``;
they raise :class:`~stage1_interp.interpreter.Unwind` after recording the
error, like the interpreter's own.
"""

from __future__ import annotations

from collections.abc import Hashable

from stage0_jit import values
from stage0_jit.errors import ErrorCode
from stage0_jit.layout import CLOSURE, FUNCTION, HEADER_KIND_MASK, WORD
from stage1_interp.bytecode import Op
from stage1_interp.functions import FunctionRecord
from stage1_interp.interpreter import NO_CALL, NO_RECEIVER, Unwind

from .caches import ClassTarget, FieldHit, MethodHit, ShapeCache, StoreHit, SuperHit
from .objects import BOUND_METHOD, CLASS, FIELDS, INSTANCE, ClassInfo, ObjectKind, Pairs, overflow_capacity
from .shapes import Shape, ShapeTable
from .words import CARD_WORDS_SHIFT, INLINE, ObjectWords

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .vm import ShapesVM

OBJ_TAG = values.OBJ_TAG
ADDRESS_MASK = values.ADDRESS_MASK
NIL = values.NIL
INSTANCE_KIND = int(ObjectKind.INSTANCE)
CLASS_KIND = int(ObjectKind.CLASS)
BOUND_KIND = int(ObjectKind.BOUND_METHOD)


class ObjectModel:
    """Classes and instances for one VM (see the module docstring)."""

    def __init__(self, vm: "ShapesVM") -> None:
        self.vm = vm
        self.runtime = vm.runtime
        self.heap = vm.runtime.heap
        self.words = ObjectWords(self.heap)                     # reads and writes the objects' words
        self.shapes = ShapeTable(vm)
        self.pairs = Pairs(self.heap)
        self.classes: dict[int, ClassInfo] = {}                 # by id (a collector may forget dead ones)
        self.classes_made = 0
        self.dictionary_index: dict[int, dict[str, int]] = {}   # dictionary-mode instance -> name -> pair
        self.names: dict[int, str] = {}                         # interned name string -> its text
        self.ic = vm.settings.ic                                # caches answer in the interpreter too

    # ------------------------------------------------------------ small facts
    def kind(self, v: int) -> int:
        """The object kind of ``v`` (0 for a non-object)."""
        if (v & OBJ_TAG) != OBJ_TAG:
            return 0
        words = self.words
        return words.kind(words.at(v))

    def class_of(self, v: int) -> ClassInfo:
        """The class record of a class value."""
        words = self.words
        return self.classes[words.class_id(words.at(v))]

    def shape_of(self, address: int) -> Shape:
        """The shape of the instance at ``address``."""
        words = self.words
        return self.shapes.by_header[words.header(words.at(address))]

    def name_text(self, name: int) -> str:
        """The text of an interned name string."""
        text = self.names.get(name)
        if text is None:
            text = self.heap.string_bytes(name & ADDRESS_MASK).decode("latin-1")
            self.names[name] = text
        return text

    def fail(self, code: ErrorCode, line: int, a: int = 0, b: int = 0) -> Unwind:
        """Record a runtime error; returns the exception that unwinds the interpreter."""
        self.runtime.raise_error(code, line, a, b)
        return Unwind()

    def undefined(self, name: str, line: int) -> Unwind:
        """``Undefined property 'name'.``."""
        return self.fail(ErrorCode.UNDEFINED_PROPERTY, line, self.runtime.constant_string(name))

    # ------------------------------------------------------------ objects
    def new_class(self, name: str) -> int:
        """A new class with no methods; returns its value."""
        heap = self.heap
        address = heap.allocate(CLASS)
        klass = ClassInfo(self.classes_made, name, address)
        self.classes[klass.id] = klass
        self.classes_made += 1
        heap.set_field(address, CLASS, "name", self.runtime.constant_string(name))
        heap.set_field(address, CLASS, "id", klass.id)
        heap.set_field(address, CLASS, "methods", self.pairs.new(4))
        heap.set_field(address, CLASS, "initializer", NIL)
        klass.root = self.shapes.root(klass, self.vm.settings.inline_slots_while_tracking)
        heap.set_field(address, CLASS, "root_shape", klass.root.address)
        return klass.value

    def add_method(self, klass: ClassInfo, name: str, closure: int) -> None:
        """Define (or, copying down from a superclass, inherit) a method."""
        klass.methods[name] = closure
        heap = self.heap
        table = self.pairs.put(heap.field(klass.address, CLASS, "methods"), self.runtime.constant_string(name), closure)
        heap.set_field(klass.address, CLASS, "methods", table)
        if name == "init":
            klass.initializer = closure
            heap.set_field(klass.address, CLASS, "initializer", closure)

    def new_instance(self, klass: ClassInfo) -> int:
        """A fresh instance at the class's root shape; slack tracking learns from the first ones."""
        root = klass.root
        assert root is not None
        heap = self.heap
        address = heap.allocate(INSTANCE, WORD * root.inline_capacity)
        words = self.words
        words.init_instance(words.at(address), root.header, root.inline_capacity)
        klass.instances += 1
        if klass.instances == self.vm.settings.slack_tracking_instances:
            self.shapes.learn_slack(klass)
        return values.obj(address)

    def new_bound(self, receiver: int, method: int) -> int:
        """A bound method."""
        address = self.heap.allocate(BOUND_METHOD)
        words = self.words
        words.init_bound(words.at(address), receiver, method)
        return values.obj(address)

    def bound_parts(self, bound: int) -> tuple[int, int]:
        """(method closure, receiver) of a bound method."""
        words = self.words
        return words.bound_parts(words.at(bound))

    def prototype_of(self, closure: int) -> int:
        """The FUNCTION object of a closure."""
        return int(self.heap.field(closure & ADDRESS_MASK, CLOSURE, "function"))

    # ------------------------------------------------------------ fields
    def grow_overflow(self, address: int, old: Shape, new: Shape) -> None:
        """Give the instance the overflow store ``new`` needs (copying what ``old``'s held)."""
        before = overflow_capacity(len(old.fields) - old.inline_capacity)
        after = overflow_capacity(len(new.fields) - new.inline_capacity)
        if after <= before:
            return
        heap = self.heap
        fresh = heap.allocate(FIELDS, WORD * after)
        heap.set_field(fresh, FIELDS, "capacity", after)
        words = self.words
        at = words.at(address)
        overflow = words.overflow(at)
        for k in range(after):
            heap.set_tail_word(fresh, FIELDS, k, heap.tail_word(overflow, FIELDS, k) if k < before else NIL)
        words.set_overflow(at, fresh)

    def to_dictionary(self, address: int, shape: Shape, dictionary: Shape) -> None:
        """Move an instance's fields into a (name, value) table of its own and give it the dictionary shape."""
        words = self.words
        at = words.at(address)
        table = self.pairs.new(max(8, 2 * len(shape.fields)))
        index: dict[str, int] = {}
        for name, i in shape.fields.items():
            table = self.pairs.append(table, self.runtime.constant_string(name),
                                      words.field(at, i, shape.inline_capacity))
            index[name] = len(index)
        words.set_overflow(at, table)
        words.set_header(at, dictionary.header)
        self.dictionary_index[address] = index
        self.shapes.dictionary_instances += 1

    def dictionary_get(self, address: int, name: str) -> int | None:
        """A dictionary-mode instance's field, if it has it."""
        pair = self.dictionary_index[address].get(name)
        if pair is None:
            return None
        words = self.words
        return words.pair_value(words.overflow(words.at(address)), pair)

    def dictionary_set(self, address: int, name: str, value: int) -> None:
        """Set a dictionary-mode instance's field (adding it if new)."""
        words = self.words
        at = words.at(address)
        index = self.dictionary_index[address]
        table = words.overflow(at)
        pair = index.get(name)
        if pair is not None:
            words.set_pair_value(table, pair, value)
            return
        index[name] = len(index)
        words.set_overflow(at, self.pairs.append(table, self.runtime.constant_string(name), value))

    # ------------------------------------------------------------ the lookups (no cache)
    def instance(self, obj: int, error: ErrorCode, line: int) -> tuple[int, Shape]:
        """The word index and the shape of the instance ``obj``; raises ``error`` when it is not an instance."""
        if (obj & OBJ_TAG) == OBJ_TAG:
            words = self.words
            at = words.at(obj)
            header = words.header(at)
            if header & HEADER_KIND_MASK == INSTANCE_KIND:
                return at, self.shapes.by_header[header]
        raise self.fail(error, line)

    def find(self, obj: int, name: str, line: int, error: ErrorCode) -> tuple[bool, int, Hashable | None]:
        """The lookup ``obj.name`` and ``obj.name(...)`` share: (whether it is a field, the field's value or the
        method's closure, the case a cache may keep: None for a dictionary-mode instance). ``error`` is raised
        when ``obj`` is not an instance."""
        at, shape = self.instance(obj, error, line)
        if shape.dictionary:
            value = self.dictionary_get(obj & ADDRESS_MASK, name)
            if value is not None:
                return True, value, None
        else:
            index = shape.fields.get(name)
            if index is not None:
                return (True, self.words.field(at, index, shape.inline_capacity),
                        FieldHit(shape.header, index, shape.inline_capacity, shape.describe()))
        method = shape.klass.methods.get(name)
        if method is None:
            raise self.undefined(name, line)
        hit = None if shape.dictionary else MethodHit(shape.header, method, self.prototype_of(method),
                                                      shape.describe(), name)
        return False, method, hit

    def get(self, obj: int, name: str, line: int) -> tuple[int, Hashable | None]:
        """``obj.name``: its value (a method comes bound), and the case a cache may keep (None: not cacheable)."""
        is_field, found, hit = self.find(obj, name, line, ErrorCode.NO_PROPERTIES)
        return (found if is_field else self.new_bound(obj, found)), hit

    def set(self, obj: int, name: str, value: int, line: int) -> Hashable | None:
        """``obj.name = value``; returns the case a cache may keep (None: not cacheable)."""
        at, shape = self.instance(obj, ErrorCode.NO_FIELDS, line)
        address = obj & ADDRESS_MASK
        if shape.dictionary:
            self.dictionary_set(address, name, value)
            return None
        words = self.words
        index = shape.fields.get(name)
        if index is not None:
            words.set_field(at, index, shape.inline_capacity, value)
            return StoreHit(shape.header, shape.header, index, shape.inline_capacity, False,
                            shape.describe(), shape.describe())
        new = self.shapes.add_field(shape, name)
        if new.dictionary:
            self.to_dictionary(address, shape, new)
            self.dictionary_set(address, name, value)
            return None
        grows = overflow_capacity(len(new.fields) - new.inline_capacity) > \
            overflow_capacity(len(shape.fields) - shape.inline_capacity)
        if grows:
            self.grow_overflow(address, shape, new)
        index = new.fields[name]
        words.set_field(at, index, new.inline_capacity, value)
        words.set_header(at, new.header)
        return StoreHit(shape.header, new.header, index, new.inline_capacity, grows, shape.describe(), new.describe())

    def find_invoked(self, receiver: int, name: str, line: int) -> tuple[int, int, Hashable | None]:
        """``receiver.name(...)``: (callee, receiver or NO_RECEIVER for a field's value, cacheable case)."""
        is_field, found, hit = self.find(receiver, name, line, ErrorCode.NO_METHODS)
        return found, (NO_RECEIVER if is_field else receiver), hit

    def super_method(self, superclass: int, name: str, line: int) -> tuple[int, SuperHit]:
        """``super.name``: the superclass's method (methods were copied down, so it is in its table)."""
        method = self.class_of(superclass).methods.get(name)
        if method is None:
            raise self.undefined(name, line)
        return method, SuperHit(superclass, method, self.prototype_of(method), name)

    def inherit(self, klass: int, superclass: int, line: int) -> None:
        """Copy the superclass's methods down into the (new, still empty) class."""
        if self.kind(superclass) != CLASS_KIND:
            raise self.fail(ErrorCode.SUPERCLASS_NOT_CLASS, line)
        sub = self.class_of(klass)
        for name, closure in self.class_of(superclass).methods.items():
            self.add_method(sub, name, closure)

    # ------------------------------------------------------------ caches
    def site(self, record: FunctionRecord, offset: int) -> ShapeCache | None:
        """The site's cache, once its function runs often enough to record feedback (else None)."""
        cache = record.feedback.get(offset)
        if isinstance(cache, ShapeCache):
            return cache
        vm = self.vm
        # Caches start where feedback recording does (a function's feedback_after-th run); without tiering
        # (--jit=off) nothing counts runs, and the interpreter's own caches start at once.
        if vm.tiering_enabled and (not record.compilable or record.calls + record.back_edges < vm.feedback_after):
            return None
        chunk = record.code.chunk
        op, arg = chunk.ops[offset], chunk.args[offset]
        name = chunk.names[arg >> 8 if op in (Op.INVOKE, Op.SUPER_INVOKE) else arg]
        cache = ShapeCache(record.name, offset, chunk.lines[offset], f"{Op(op).name} '{name}'")
        record.feedback[offset] = cache
        return cache

    def note(self, cache: ShapeCache | None, key: int, case: Hashable | None) -> None:
        """Record a case learned on a miss (its state may move up the ladder; megamorphic keeps nothing)."""
        if cache is None or case is None:
            return
        self.vm.feedback.note(cache, case)
        if case in cache.cases:
            cache.by_key[key] = (case, cache.cases.index(case))

    # ------------------------------------------------------------ the interpreter's hooks
    def get_property(self, record: FunctionRecord, offset: int, obj: int, name: int, line: int) -> int:
        """``obj.name`` in the interpreter: the cached case for the instance's shape, else the lookup.
        (The cached path is written out, as in ``set_property`` and ``invoke``: it runs for every property read
        the interpreter does. ``words.at`` gives the instance's word index once; the header and an inline slot
        are then read from the word view directly.)"""
        cache = record.feedback.get(offset)
        if cache is not None and self.ic and (obj & OBJ_TAG) == OBJ_TAG:
            words = self.words
            view = words.view
            at = words.at(obj)
            entry = cache.by_key.get(view[at])
            if entry is not None:
                hit, index = entry
                cache.counts[index] += 1
                if type(hit) is FieldHit:
                    if hit.index < hit.inline:
                        return view[at + INLINE + hit.index]
                    return words.field(at, hit.index, hit.inline)
                return self.new_bound(obj, hit.closure)
        text = record.code.chunk.names[name]
        value, case = self.get(obj, text, line)
        self.note(self.site(record, offset), self.key(obj), case)
        return value

    def set_property(self, record: FunctionRecord, offset: int, obj: int, name: int, value: int, line: int) -> None:
        """``obj.name = value`` in the interpreter: a cached store or transition, else the lookup."""
        cache = record.feedback.get(offset)
        if cache is not None and self.ic and (obj & OBJ_TAG) == OBJ_TAG:
            words = self.words
            view = words.view
            at = words.at(obj)
            entry = cache.by_key.get(view[at])
            if entry is not None and not entry[0].grows:
                hit, index = entry
                cache.counts[index] += 1
                if hit.index < hit.inline:
                    view[at + INLINE + hit.index] = value
                    words.cards[at >> CARD_WORDS_SHIFT] = 1      # the write barrier (see words.py)
                else:
                    words.set_field(at, hit.index, hit.inline, value)
                view[at] = hit.new_header
                return
        key = self.key(obj)
        case = self.set(obj, record.code.chunk.names[name], value, line)
        self.note(self.site(record, offset), key, case)

    def key(self, obj: int) -> int:
        """An instance's header word (its shape), the key of property caches; 0 for anything else."""
        if (obj & OBJ_TAG) != OBJ_TAG:
            return 0
        words = self.words
        header = words.header(words.at(obj))
        return header if header & HEADER_KIND_MASK == INSTANCE_KIND else 0

    def invoke(self, record: FunctionRecord, offset: int, op: int, operand: int, stack: list[int],
               line: int) -> tuple[int, int]:
        """INVOKE and SUPER_INVOKE: the callee and the receiver it runs with."""
        argc = operand & 0xFF
        text = record.code.chunk.names[operand >> 8]
        if op == Op.SUPER_INVOKE:
            superclass = stack.pop()
            this = stack[-1 - argc]
            cache = record.feedback.get(offset)
            if isinstance(cache, ShapeCache) and self.ic:
                hit = cache.hit(superclass)
                if isinstance(hit, SuperHit):
                    return hit.closure, this
            method, case = self.super_method(superclass, text, line)
            self.note(self.site(record, offset), superclass, case)
            return method, this
        receiver = stack[-1 - argc]
        cache = record.feedback.get(offset)
        if cache is not None and self.ic and (receiver & OBJ_TAG) == OBJ_TAG:
            words = self.words
            at = words.at(receiver)
            entry = cache.by_key.get(words.view[at])
            if entry is not None:
                hit, index = entry
                cache.counts[index] += 1
                if type(hit) is MethodHit:
                    return hit.closure, receiver
                return words.field(at, hit.index, hit.inline), NO_RECEIVER
        key = self.key(receiver)
        callee, bound_to, found = self.find_invoked(receiver, text, line)
        self.note(self.site(record, offset), key, found)
        return callee, bound_to

    def resolve(self, callee: int, receiver: int, argc: int, line: int) -> tuple[int, int]:
        """A bound method runs its method on its receiver; a class makes an instance and runs ``init``."""
        if (callee & OBJ_TAG) != OBJ_TAG:
            return callee, receiver
        words = self.words
        at = words.at(callee)
        kind = words.kind(at)
        if kind == BOUND_KIND:
            return words.bound_parts(at)
        if kind == CLASS_KIND:
            klass = self.classes[words.class_id(at)]
            instance = self.new_instance(klass)
            if klass.initializer is not None:
                return klass.initializer, instance
            if argc != 0:
                raise self.fail(ErrorCode.WRONG_ARITY, line, 0, argc)
            return NO_CALL, instance
        return callee, receiver

    def class_op(self, record: FunctionRecord, offset: int, op: int, operand: int, stack: list[int],
                 line: int) -> None:
        """CLASS, INHERIT, METHOD and GET_SUPER on the interpreter's operand stack."""
        names = record.code.chunk.names
        if op == Op.CLASS:
            stack.append(self.new_class(names[operand]))
        elif op == Op.INHERIT:
            superclass = stack.pop()
            self.inherit(stack[-1], superclass, line)
        elif op == Op.METHOD:
            closure = stack.pop()
            self.add_method(self.class_of(stack[-1]), names[operand], closure)
        elif op == Op.GET_SUPER:
            superclass = stack.pop()
            method, case = self.super_method(superclass, names[operand], line)
            self.note(self.site(record, offset), superclass, case)
            stack[-1] = self.new_bound(stack[-1], method)
        else:
            raise AssertionError(f"not a class opcode: {op}")

    def class_target(self, callee: int) -> ClassTarget | None:
        """The call-site case for calling a class value (None: not a class)."""
        if self.kind(callee) != CLASS_KIND:
            return None
        klass = self.class_of(callee)
        init = klass.initializer
        prototype = self.prototype_of(init) if init is not None else 0
        arity = int(self.heap.field(prototype, FUNCTION, "arity")) if prototype else 0
        return ClassTarget(callee, init or 0, prototype, arity, klass.name)
