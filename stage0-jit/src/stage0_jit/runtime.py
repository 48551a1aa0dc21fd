"""The runtime every tier shares: heap, globals, frames, natives, printing and runtime errors.

Compiled code reaches Python only through the callbacks at the bottom of this
file (printing, raising an error, calling a native): slow paths by design.
Everything on a fast path (arithmetic, locals, globals, calls, allocation)
reads and writes native memory directly.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from collections.abc import Callable

from . import values
from .errors import LINE_FROM_FRAME, MESSAGES, ErrorCode, LoxRuntimeError
from .frames import FrameStack
from .heap import Heap, NativeRegion, OutOfMemory
from .layout import CLOSURE, FUNCTION, GLOBAL, NATIVE, Kind
from .observations import ArgumentObservations
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO


TRACE_KEEP_INNER = 32     # frames printed from the innermost end of a very deep trace
TRACE_KEEP_OUTER = 8      # ... and from the outermost end


class NativeError(Exception):
    """Raised by a native function to report a runtime error with its own message."""


class Native:
    """A built-in function: name, arity and its Python implementation."""

    __slots__ = ("name", "arity", "function", "doc")

    def __init__(self, name: str, arity: int, function: Callable[[Runtime, list[int]], int], doc: str) -> None:
        self.name = name
        self.arity = arity
        self.function = function
        self.doc = doc


def _clock(rt: "Runtime", args: list[int]) -> int:
    return values.number(time.perf_counter())


def _getc(rt: "Runtime", args: list[int]) -> int:
    rt.flush()
    data = rt.stdin.read(1)
    return values.number(float(data[0]) if data else -1.0)


def _chr(rt: "Runtime", args: list[int]) -> int:
    v = args[0]
    if not values.is_number(v):
        raise NativeError("Argument to chr() must be a number.")
    code = values.as_number(v)
    if not (0 <= code < 256) or code != int(code):
        raise NativeError("Argument to chr() must be an integer from 0 to 255.")
    return rt.character(int(code))


def _exit(rt: "Runtime", args: list[int]) -> int:
    v = args[0]
    if not values.is_number(v):
        raise NativeError("Argument to exit() must be a number.")
    rt.flush()
    sys.stderr.flush()
    os._exit(exit_status(values.as_number(v)))


def exit_status(x: float) -> int:
    """The status ``exit(x)`` ends with, as clox's ``exit((int)x)`` on x86-64: truncated toward zero, and a
    number that is not a 32-bit int (nan, infinities, huge values) converts to INT_MIN, status 0."""
    if x != x or not -2.0 ** 31 < x < 2.0 ** 31:
        return 0
    return int(x) & 0xFF


def _print_error(rt: "Runtime", args: list[int]) -> int:
    rt.flush()
    sys.stderr.buffer.write(rt.format_bytes(args[0]) + b"\n")
    sys.stderr.flush()
    return values.NIL


#: The index of ``chr`` in NATIVES (compiled code may run it natively: see ``Runtime.character_table``).
CHR = 2

NATIVES: tuple[Native, ...] = (
    Native("clock", 0, _clock, "seconds as a number (wall clock, monotonic: time.perf_counter)"),
    Native("getc", 0, _getc, "next byte of standard input as a number, -1 at end of input"),
    Native("chr", 1, _chr, "one-character string whose code is n (0-255)"),
    Native("exit", 1, _exit, "flush standard output and end the process with status n"),
    Native("print_error", 1, _print_error, "write a value and a newline to standard error"),
)


class FunctionInfo:
    """What the runtime knows of one function prototype (indexed by its ``id`` field)."""

    __slots__ = ("name", "arity", "address")

    def __init__(self, name: str, arity: int, address: int) -> None:
        self.name = name        # "script" for the top level
        self.arity = arity
        self.address = address  # the FUNCTION object


class Runtime:
    """Heap, frames, globals, natives and the Python side of compiled code's slow paths."""

    def __init__(self, settings: Settings, stdout: BinaryIO | None = None,
                 stdin: BinaryIO | None = None) -> None:
        self.settings = settings
        self.heap = self.make_heap()
        self.frames = FrameStack(settings.max_call_depth)
        self.observations = ArgumentObservations()
        # The program's output gets a buffer of its own (even when Python's stdout is
        # unbuffered); it is flushed before anything else is written or read.
        self.out: BinaryIO = stdout if stdout is not None else open(  # noqa: SIM115 - lives as long as the VM
            sys.stdout.fileno(), "wb", buffering=1 << 16, closefd=False)
        self.stdin: BinaryIO = stdin if stdin is not None else sys.stdin.buffer
        self.globals: dict[str, int] = {}          # name -> GLOBAL cell address
        self.functions: list[FunctionInfo] = []
        self.strings: dict[bytes, int] = {}        # constant pool: one object per literal text
        self.pending_error: LoxRuntimeError | None = None
        self.pending_exception: BaseException | None = None
        self.natives = NATIVES
        self._characters: NativeRegion | None = None
        for native_id, native in enumerate(self.natives):
            self.global_cell_value_set(native.name, self.heap.new_native(native_id, native.arity))
        self.callbacks = Callbacks(self)

    def make_heap(self) -> Heap:
        """Hook: the heap (stage 5's has a collector)."""
        return Heap(self.settings.heap_reserve_mb << 20)

    # ------------------------------------------------------------ objects
    def character(self, code: int) -> int:
        """The one-character string of byte ``code`` (``chr``): 256 strings made once, on first use, and
        kept in a native table compiled code can index (strings compare by content, so sharing is unseen)."""
        return int(self.character_table().words[code])

    def character_table(self) -> NativeRegion:
        """The table of the 256 one-character strings (made on first use)."""
        if self._characters is None:
            table = NativeRegion(256 * 8)
            for code in range(256):
                table.words[code] = self.heap.keep(self.heap.new_string(bytes([code])))
            self._characters = table
        return self._characters

    def constant_string(self, text: str) -> int:
        """The heap string for a literal (one object per distinct text); returns the value."""
        data = text.encode("latin-1")
        value = self.strings.get(data)
        if value is None:
            value = self.heap.keep(self.heap.new_string(data))
            self.strings[data] = value
        return value

    def global_cell(self, name: str) -> int:
        """The cell of global ``name`` (created undefined on first mention); returns its address."""
        address = self.globals.get(name)
        if address is None:
            address = self.heap.new_global(self.constant_string(name))
            self.globals[name] = address
        return address

    def global_cell_value_set(self, name: str, value: int) -> None:
        """Define global ``name`` from Python."""
        self.heap.set_field(self.global_cell(name), GLOBAL, "value", value)

    def new_function(self, name: str, arity: int, upvalue_count: int) -> int:
        """Allocate a function prototype and register it; returns its address."""
        name_value = values.NIL if name == "script" else self.constant_string(name)
        function_id = len(self.functions)
        table = self.observations.table_for(name, arity) if self.settings.observe_arguments else 0
        address = self.heap.new_function(name_value, arity, function_id, upvalue_count, table)
        self.functions.append(FunctionInfo(name, arity, address))
        return address

    def function_of(self, closure: int) -> int:
        """The FUNCTION address of a closure value."""
        return self.heap.field(values.address_of(closure), CLOSURE, "function")

    def function_name(self, function: int) -> str:
        """A function prototype's name, "script" for the top level."""
        name = self.heap.field(function, FUNCTION, "name")
        if name == values.NIL:
            return "script"
        return self.heap.string_bytes(values.address_of(name)).decode("latin-1")

    # ------------------------------------------------------------ printing
    def format_bytes(self, v: int) -> bytes:
        """A value as ``print`` shows it."""
        if values.is_number(v):
            return values.format_number(values.as_number(v)).encode()
        if v == values.NIL:
            return b"nil"
        if v == values.TRUE:
            return b"true"
        if v == values.FALSE:
            return b"false"
        if values.is_obj(v):
            address = values.address_of(v)
            kind = self.heap.kind(address)
            if kind == Kind.STRING:
                return self.heap.string_bytes(address)
            if kind == Kind.CLOSURE:
                function = self.heap.field(address, CLOSURE, "function")
                return self.format_function(function)
            if kind == Kind.FUNCTION:
                return self.format_function(address)
            if kind == Kind.NATIVE:
                return b"<native fn>"
        return self.format_other(v)

    def format_function(self, function: int) -> bytes:
        """``<fn name>``, or ``<script>`` for the top level."""
        name = self.function_name(function)
        return b"<script>" if name == "script" else b"<fn " + name.encode("latin-1") + b">"

    def format_other(self, v: int) -> bytes:
        """Hook for later stages' object kinds (classes, instances...)."""
        return b"<object>"

    def print_value(self, v: int) -> None:
        """``print v;``."""
        self.out.write(self.format_bytes(v) + b"\n")

    def flush(self) -> None:
        """Flush the program's standard output."""
        try:
            self.out.flush()
        except (BrokenPipeError, ValueError):
            pass

    # ------------------------------------------------------------ errors
    def error_message(self, code: ErrorCode, a: int, b: int, detail: str = "") -> str:
        """The text of a runtime error."""
        template = MESSAGES[code]
        if code == ErrorCode.UNDEFINED_VARIABLE:
            name_value = self.heap.field(a, GLOBAL, "name")
            name = self.heap.string_bytes(values.address_of(name_value)).decode("latin-1")
            return template.format(name=name)
        if code == ErrorCode.UNDEFINED_PROPERTY:
            return template.format(name=self.heap.string_bytes(values.address_of(a)).decode("latin-1"))
        return template.format(a=a, b=b, detail=detail)

    def stack_trace(self, line: int) -> list[str]:
        """Trace lines, innermost first; ``line`` is the innermost frame's (or LINE_FROM_FRAME).

        A very deep stack (unbounded recursion) prints its innermost and
        outermost frames with the middle elided, so the report stays readable.
        """
        lines = []
        depth = self.frames.depth
        keep = TRACE_KEEP_INNER + TRACE_KEEP_OUTER
        for index in range(depth - 1, -1, -1):
            from_top = depth - 1 - index
            if depth > keep and TRACE_KEEP_INNER <= from_top < depth - TRACE_KEEP_OUTER:
                if from_top == TRACE_KEEP_INNER:
                    lines.append(f"[... {depth - keep} more frames ...]")
                continue
            closure, recorded = self.frames.record(index)
            at = line if (index == depth - 1 and line != LINE_FROM_FRAME) else recorded
            name = self.function_name(self.function_of(closure))
            where = "script" if name == "script" else f"{name}()"
            lines.append(f"[line {at}] in {where}")
        return lines

    def raise_error(self, code: ErrorCode, line: int, a: int = 0, b: int = 0, detail: str = "") -> int:
        """Record a runtime error (message and trace, taken now); returns ERROR for the caller to unwind with."""
        if self.pending_error is None:
            self.pending_error = LoxRuntimeError(self.error_message(code, a, b, detail),
                                                 self.stack_trace(line))
        return values.ERROR

    def take_error(self) -> LoxRuntimeError:
        """The error an ERROR result is unwinding with (re-raises a Python failure if that is what happened)."""
        if self.pending_exception is not None:
            exception, self.pending_exception = self.pending_exception, None
            raise exception
        error, self.pending_error = self.pending_error, None
        assert error is not None, "ERROR returned without a recorded error"
        return error

    # ------------------------------------------------------------ calls
    def call_native(self, native: int, args: list[int], line: int) -> int:
        """Call a native object with ``args``; returns its result or ERROR."""
        address = values.address_of(native)
        arity = self.heap.field(address, NATIVE, "arity")
        if len(args) != arity:
            return self.raise_error(ErrorCode.WRONG_ARITY, line, arity, len(args))
        entry = self.natives[self.heap.field(address, NATIVE, "id")]
        try:
            return entry.function(self, args)
        except NativeError as error:
            return self.raise_error(ErrorCode.NATIVE_ARGUMENT, line, detail=str(error))
        except OutOfMemory:
            return self.raise_error(ErrorCode.OUT_OF_MEMORY, line)

    def call_slow(self, callee: int, args: list[int], line: int) -> int:
        """Every call compiled code does not handle inline: natives, wrong arity, non-callables."""
        if values.is_obj(callee):
            address = values.address_of(callee)
            kind = self.heap.kind(address)
            if kind == Kind.NATIVE:
                return self.call_native(callee, args, line)
            if kind == Kind.CLOSURE:
                arity = self.heap.field(self.heap.field(address, CLOSURE, "function"), FUNCTION, "arity")
                if arity != len(args):
                    return self.raise_error(ErrorCode.WRONG_ARITY, line, arity, len(args))
                return self.call_closure(callee, args, line)
        return self.raise_error(ErrorCode.NOT_CALLABLE, line)

    def call_closure(self, closure: int, args: list[int], line: int) -> int:
        """A closure call that reached the slow path with the right arity: jump through its entry slot."""
        function = self.function_of(closure)
        signature = ctypes.CFUNCTYPE(ctypes.c_int64, *([ctypes.c_int64] * (len(args) + 1)))
        entry = signature(self.heap.field(function, FUNCTION, "entry"))
        return values.to_unsigned(entry(values.to_signed(closure), *[values.to_signed(a) for a in args]))


PRINT_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int64)
ERROR_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                              ctypes.c_int64)
CALL_TYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
                             ctypes.c_int64)


class Callbacks:
    """The Python functions compiled code may call, as C function pointers (kept alive here).

    A callback must never let a Python exception escape into native code
    (ctypes would print and drop it): failures are stored on the runtime and
    turned into an ERROR result, which unwinds the compiled frames.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        rt = runtime

        def lox_print(value: int) -> None:
            try:
                rt.print_value(values.to_unsigned(value))
            except BaseException as exc:     # noqa: BLE001 - must not cross into native code
                rt.pending_exception = rt.pending_exception or exc

        def lox_runtime_error(code: int, line: int, a: int, b: int) -> int:
            try:
                return values.to_signed(rt.raise_error(ErrorCode(code), line, a, b))
            except BaseException as exc:     # noqa: BLE001
                rt.pending_exception = rt.pending_exception or exc
                return values.to_signed(values.ERROR)

        def lox_call_slow(callee: int, argv: int | None, argc: int, line: int) -> int:
            try:
                args = [values.to_unsigned(w) for w in (ctypes.c_int64 * argc).from_address(argv or 0)] \
                    if argc else []
                return values.to_signed(rt.call_slow(values.to_unsigned(callee), args, line))
            except BaseException as exc:     # noqa: BLE001
                rt.pending_exception = rt.pending_exception or exc
                return values.to_signed(values.ERROR)

        self.print = PRINT_TYPE(lox_print)
        self.runtime_error = ERROR_TYPE(lox_runtime_error)
        self.call_slow = CALL_TYPE(lox_call_slow)
        self.extra: dict[str, object] = {}

    def add(self, name: str, function: object) -> None:
        """Register a later stage's callback (a ctypes function object, kept alive here) under ``name``."""
        self.extra[name] = function

    def addresses(self) -> dict[str, int]:
        """Symbol name -> address, for the JIT's symbol table."""
        def address(f: object) -> int:
            return int(ctypes.cast(f, ctypes.c_void_p).value or 0)  # type: ignore[arg-type]
        return {
            "lox_print": address(self.print),
            "lox_runtime_error": address(self.runtime_error),
            "lox_call_slow": address(self.call_slow),
            **{name: address(f) for name, f in self.extra.items()},
        }
