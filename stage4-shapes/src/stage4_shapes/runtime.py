"""Stage 0's runtime plus classes: printing them, calling them from slow paths, and compiled code's object callbacks.

Compiled code handles cached property accesses, method calls and
instantiations natively (``emitters.py``); what it cannot (an uncached or
megamorphic site before the native lookup, dictionary-mode instances,
class declarations, errors) comes here through the callbacks at the bottom,
which use the same :class:`~stage4_shapes.model.ObjectModel` lookups as the
interpreter, so both tiers answer alike.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from stage0_jit import values
from stage0_jit.errors import ErrorCode
from stage0_jit.heap import NativeRegion
from stage0_jit.layout import FUNCTION
from stage0_jit.runtime import Runtime
from stage0_jit.settings import Settings
from stage1_interp.bytecode import Op
from stage1_interp.interpreter import NO_CALL, NO_RECEIVER, Unwind

from .objects import ObjectKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from .model import ObjectModel

#: Entries of the megamorphic stub cache (a power of two; 4 words each: 128 KiB).
STUB_CACHE_ENTRIES = 4096

PROPERTY_GET_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)
PROPERTY_SET_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                     ctypes.c_int64)
INVOKE_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                               ctypes.c_int64, ctypes.c_int64)
CLASS_OP_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                                 ctypes.c_int64)


class ObjectRuntime(Runtime):
    """The runtime with classes (``objects`` is set by the VM once its object model exists)."""

    def __init__(self, settings: Settings, stdout: BinaryIO | None = None, stdin: BinaryIO | None = None) -> None:
        super().__init__(settings, stdout, stdin)
        self.objects: ObjectModel | None = None
        # The megamorphic stub cache (``lookup.py``): entries of (header, key, answer, unused).
        self.stub_cache_entries = STUB_CACHE_ENTRIES
        self.stub_cache = NativeRegion(STUB_CACHE_ENTRIES * 4 * 8)
        self._object_callbacks = ObjectCallbacks(self)

    @property
    def model(self) -> "ObjectModel":
        """The object model (always there once the VM is built)."""
        assert self.objects is not None
        return self.objects

    # ------------------------------------------------------------ printing
    def format_other(self, v: int) -> bytes:
        """A class prints its name, an instance ``NAME instance``, a bound method ``<fn NAME>``."""
        model = self.model
        kind = model.kind(v)
        if kind == ObjectKind.CLASS:
            return model.class_of(v).name.encode("latin-1")
        if kind == ObjectKind.INSTANCE:
            return model.shape_of(v & values.ADDRESS_MASK).klass.name.encode("latin-1") + b" instance"
        if kind == ObjectKind.BOUND_METHOD:
            method, _ = model.bound_parts(v)
            return self.format_function(self.function_of(method))
        return super().format_other(v)

    # ------------------------------------------------------------ calls from slow paths
    def call_slow(self, callee: int, args: list[int], line: int) -> int:
        """Stage 0's slow call plus classes (make an instance, run ``init``) and bound methods."""
        model = self.model
        kind = model.kind(callee)
        if kind != ObjectKind.CLASS and kind != ObjectKind.BOUND_METHOD:
            return super().call_slow(callee, args, line)
        try:
            method, receiver = model.resolve(callee, NO_RECEIVER, len(args), line)
        except Unwind:
            return values.ERROR
        if method == NO_CALL:
            return receiver
        return self.call_method(method, receiver, args, line)

    def call_method(self, closure: int, receiver: int, args: list[int], line: int) -> int:
        """Run a method closure on ``receiver`` through its entry slot (after the arity check)."""
        function = self.function_of(closure)
        arity = self.heap.field(function, FUNCTION, "arity")
        if arity != len(args):
            return self.raise_error(ErrorCode.WRONG_ARITY, line, arity, len(args))
        signature = ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * (len(args) + 2)))
        entry = signature(self.heap.field(function, FUNCTION, "entry"))
        return values.to_unsigned(entry(values.to_signed(closure), values.to_signed(receiver),
                                        *[values.to_signed(a) for a in args]))

    def call_resolved(self, callee: int, receiver: int, args: list[int], line: int) -> int:
        """Call what an invoke found: a method on its receiver, or a field's value like any callee."""
        if receiver == NO_RECEIVER:
            return self.call_slow(callee, args, line)
        return self.call_method(callee, receiver, args, line)


class ObjectCallbacks:
    """The Python functions compiled code calls for objects (registered in the runtime's callback table)."""

    def __init__(self, runtime: ObjectRuntime) -> None:
        rt = runtime
        self.runtime = rt

        def guarded(work: Callable[[], int]) -> int:
            try:
                return values.to_signed(work())
            except Unwind:
                return values.to_signed(values.ERROR)
            except BaseException as exc:     # noqa: BLE001 - must not cross into native code
                rt.pending_exception = rt.pending_exception or exc
                return values.to_signed(values.ERROR)

        def get_property(obj: int, name: int, line: int) -> int:
            model = rt.model
            return guarded(lambda: model.get(values.to_unsigned(obj), model.name_text(values.to_unsigned(name)),
                                             line)[0])

        def set_property(obj: int, name: int, value: int, line: int) -> int:
            model = rt.model

            def work() -> int:
                model.set(values.to_unsigned(obj), model.name_text(values.to_unsigned(name)),
                          values.to_unsigned(value), line)
                return values.to_unsigned(value)
            return guarded(work)

        def invoke(receiver: int, superclass: int, name: int, argv: int | None, argc: int, line: int) -> int:
            model = rt.model

            def work() -> int:
                args = [values.to_unsigned(w) for w in (ctypes.c_int64 * argc).from_address(argv or 0)] \
                    if argc else []
                text = model.name_text(values.to_unsigned(name))
                this = values.to_unsigned(receiver)
                if superclass:
                    method, _ = model.super_method(values.to_unsigned(superclass), text, line)
                    return rt.call_method(method, this, args, line)
                callee, bound_to, _ = model.find_invoked(this, text, line)
                return rt.call_resolved(callee, bound_to, args, line)
            return guarded(work)

        def class_op(op: int, a: int, b: int, name: int, line: int) -> int:
            model = rt.model

            def work() -> int:
                x, y = values.to_unsigned(a), values.to_unsigned(b)
                text = model.name_text(values.to_unsigned(name)) if name else ""
                if op == Op.CLASS:
                    return model.new_class(text)
                if op == Op.INHERIT:
                    model.inherit(x, y, line)
                    return x
                if op == Op.METHOD:
                    model.add_method(model.class_of(x), text, y)
                    return x
                if op == Op.GET_SUPER:
                    method, _ = model.super_method(y, text, line)
                    return model.new_bound(x, method)
                raise AssertionError(f"not a class opcode: {op}")
            return guarded(work)

        self.get_property = PROPERTY_GET_TYPE(get_property)
        self.set_property = PROPERTY_SET_TYPE(set_property)
        self.invoke = INVOKE_TYPE(invoke)
        self.class_op = CLASS_OP_TYPE(class_op)
        for symbol, function in (("lox_get_property", self.get_property), ("lox_set_property", self.set_property),
                                 ("lox_invoke", self.invoke), ("lox_class_op", self.class_op)):
            rt.callbacks.add(symbol, function)

