"""One LLVM module under construction: the runtime symbols it imports and the native helpers it carries.

The helpers (allocation, string concatenation, equality, argument
observation) are written in IR and added to every module as ``internal``
functions, so O2 inlines them into the fast paths and compiled code never
calls Python for them. Python callbacks (print, errors, slow calls) are
declared here and resolved by the JIT's symbol table (``import_symbol``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cached_property

from llvmlite import ir

from .errors import ErrorCode
from .irvalues import (DOUBLE, I1, I8P, I32, I64, I64P, address_of, box_address, const,
                       is_kind, is_number, load_word, pointer, to_double)
from .layout import STRING, WORD, Kind
from .runtime import Runtime

_module_numbers = itertools.count()


def number_modules_from(start: int) -> None:
    """Number the modules made from now on from ``start`` (stage 6's compile processes each take their own
    range, so the symbols of modules made in different processes never clash when linked here)."""
    global _module_numbers
    _module_numbers = itertools.count(start)


class ModuleContext:
    """An ``ir.Module`` plus the declarations and helpers every function in it uses."""

    def __init__(self, runtime: Runtime, triple: str, data_layout: str,
                 shared: dict[str, int] | None = None) -> None:
        self.runtime = runtime
        # Out-of-line helpers already compiled into an earlier module, by name -> address (see ``shared_helper``).
        self.shared = shared if shared is not None else {}
        self.imports: dict[str, int] = {}        # shared helpers this module calls but does not define
        self.defines: list[str] = []              # shared helpers this module defines (and exports)
        self.number = next(_module_numbers)
        self.module = ir.Module(name=f"lox{self.number}")
        self.module.triple = triple
        self.module.data_layout = data_layout
        # Lox functions defined in this module, by prototype address: a call that
        # knows its callee (stage 2) can call these directly, and LLVM may inline them.
        self.known_functions: dict[int, ir.Function] = {}
        m = self.module
        # Python callbacks (slow paths), imported by name through the JIT's symbol table.
        self.print = ir.Function(m, ir.FunctionType(ir.VoidType(), [I64]), "lox_print")
        self.runtime_error = ir.Function(m, ir.FunctionType(I64, [I64, I64, I64, I64]), "lox_runtime_error")
        self.call_slow = ir.Function(m, ir.FunctionType(I64, [I64, I64P, I64, I64]), "lox_call_slow")
        # libc, resolved from the process.
        self.memcmp = ir.Function(m, ir.FunctionType(I32, [I8P, I8P, I64]), "memcmp")
        self.memcpy = m.declare_intrinsic("llvm.memcpy", [I8P, I8P, I64])
        self.floor = m.declare_intrinsic("llvm.floor", [DOUBLE])
        self.fabs = m.declare_intrinsic("llvm.fabs", [DOUBLE])
        self.alloc = self._build_alloc()

    @cached_property
    def concat_or_error(self) -> ir.Function:
        """``lox_concat_or_error`` (a shared helper)."""
        return self.shared_helper("lox_concat_or_error", I64, [I64, I64, I64], self._build_concat_or_error)

    @cached_property
    def equal(self) -> ir.Function:
        """``lox_equal`` (a shared helper)."""
        return self.shared_helper("lox_equal", I1, [I64, I64], self._build_equal)

    @cached_property
    def observe(self) -> ir.Function:
        """``lox_observe`` (inlined where it is used: internal to each module)."""
        return self._build_observe()

    def shared_helper(self, name: str, ret: ir.Type, args: list[ir.Type],
                      build: Callable[[ir.Function, ir.IRBuilder], None]) -> ir.Function:
        """An out-of-line helper compiled once per VM: the first module that needs it defines and exports it
        (``build`` fills its body); later modules only declare it and import its address. Each module used
        to carry its own copy of every helper, which cost more to optimise and compile than a small
        function's own code."""
        function, builder = self.begin_shared(name, ir.FunctionType(ret, args))
        if builder is not None:
            build(function, builder)
        return function

    def declare(self, name: str, signature: ir.FunctionType) -> ir.Function:
        """The runtime function ``name`` (a callback or an imported symbol), declared once per module."""
        existing = self.module.globals.get(name)
        if isinstance(existing, ir.Function):
            return existing
        return ir.Function(self.module, signature, name)

    def begin_shared(self, name: str, signature: ir.FunctionType) -> tuple[ir.Function, ir.IRBuilder | None]:
        """The shared helper ``name`` in this module: (function, a builder for its body when this module is
        the one that defines it, else None: it is declared here, or defined already)."""
        existing = self.module.globals.get(name)
        if isinstance(existing, ir.Function):
            return existing, None
        function = ir.Function(self.module, signature, name)
        address = self.shared.get(name)
        if address is not None:
            self.imports[name] = address
            return function, None
        function.attributes.add("noinline")
        self.defines.append(name)
        return function, ir.IRBuilder(function.append_basic_block("entry"))

    def is_kind(self, b: ir.IRBuilder, v: ir.Value, kind: int) -> ir.Value:
        """i1: ``v`` is an object of ``kind`` (see ``irvalues.is_kind``)."""
        return is_kind(b, v, kind, self.runtime.heap.zero_address)

    def barrier(self, b: ir.IRBuilder, address: ir.Value) -> None:
        """The write barrier after a store into the object at ``address``: mark its card (see ``heap.py``),
        when the heap has a collector that reads the cards (stage 5); nothing before that."""
        heap = self.runtime.heap
        if heap.barrier:
            # The heap starts on a page, so (address - base) >> shift == (address >> shift) - (base >> shift):
            # one shift and one add.
            card = b.add(b.lshr(address, const(heap.CARD_SHIFT)),
                         const(heap.cards_address - (heap.base >> heap.CARD_SHIFT)))
            b.store(ir.Constant(ir.IntType(8), 1), b.inttoptr(card, I8P))

    def symbol(self, name: str) -> str:
        """A module-unique LLVM symbol name for a Lox function."""
        clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        return f"lox{self.number}_{clean}"

    def _helper(self, name: str, ret: ir.Type, args: list[ir.Type], inline: bool = True
                ) -> tuple[ir.Function, ir.IRBuilder]:
        """A new internal function; ``inline=False`` keeps slow paths out of the callers' code."""
        function = ir.Function(self.module, ir.FunctionType(ret, args), f"{name}")
        function.linkage = "internal"
        if not inline:
            function.attributes.add("noinline")
        builder = ir.IRBuilder(function.append_basic_block("entry"))
        return function, builder

    def _build_alloc(self) -> ir.Function:
        """``i64 lox_alloc(size, kind)``: bump the heap pointer; 0 when the heap is full (stage 5: the
        runtime's slow path when the current free run is used up)."""
        heap = self.runtime.heap
        f, b = self._helper("lox_alloc", I64, [I64, I64])
        size, kind = f.args
        top_ptr = pointer(b, const(heap.top_address))
        top = b.load(top_ptr)
        new_top = b.add(top, size)
        full = b.icmp_unsigned(">", new_top, load_word(b, const(heap.limit_address)))
        if heap.slow_allocation:     # stage 5: large objects go to their own lines, through the slow path
            full = b.or_(full, b.icmp_unsigned(">=", size, const(heap.large_object)))
        with b.if_then(full, likely=False):
            if heap.slow_allocation:
                # Stage 5: the run is used up; the runtime finds the next one (0 only when out of memory).
                slow = self.declare("lox_alloc_slow", ir.FunctionType(I64, [I64, I64]))
                b.ret(b.call(slow, [size, kind]))
            else:
                b.ret(const(0))
        b.store(new_top, top_ptr)
        b.store(kind, pointer(b, top))
        b.ret(top)
        return f

    def _build_concat_or_error(self, f: ir.Function, b: ir.IRBuilder) -> None:
        """``i64 lox_concat_or_error(a, b, line)``: two strings concatenated, else the '+' error."""
        x, y, line = f.args
        strings = b.and_(self.is_kind(b, x, Kind.STRING), self.is_kind(b, y, Kind.STRING))
        with b.if_then(b.not_(strings), likely=False):
            b.ret(b.call(self.runtime_error, [
                const(ErrorCode.OPERANDS_MUST_BE_NUMBERS_OR_STRINGS), line, const(0), const(0)]))
        xa, ya = address_of(b, x), address_of(b, y)
        length_offset = STRING.offset("length")
        xl = load_word(b, xa, length_offset)
        yl = load_word(b, ya, length_offset)
        total = b.add(xl, yl)
        size = b.and_(b.add(total, const(STRING.tail_offset + WORD - 1)), const(~(WORD - 1)))
        address = b.call(self.alloc, [size, const(int(Kind.STRING))])
        with b.if_then(b.icmp_unsigned("==", address, const(0)), likely=False):
            b.ret(b.call(self.runtime_error, [const(ErrorCode.OUT_OF_MEMORY), line, const(0), const(0)]))
        b.store(total, pointer(b, address, length_offset))
        tail = STRING.tail_offset
        dest = b.inttoptr(b.add(address, const(tail)), I8P)
        b.call(self.memcpy, [dest, b.inttoptr(b.add(xa, const(tail)), I8P), xl, ir.Constant(I1, 0)])
        dest2 = b.inttoptr(b.add(b.add(address, const(tail)), xl), I8P)
        b.call(self.memcpy, [dest2, b.inttoptr(b.add(ya, const(tail)), I8P), yl, ir.Constant(I1, 0)])
        b.ret(box_address(b, address))

    def _build_equal(self, f: ir.Function, b: ir.IRBuilder) -> None:
        """``i1 lox_equal(a, b)``: Lox ``==`` (IEEE for numbers, content for strings, identity otherwise)."""
        x, y = f.args
        with b.if_then(b.and_(is_number(b, x), is_number(b, y))):
            b.ret(b.fcmp_ordered("==", to_double(b, x), to_double(b, y)))
        with b.if_then(b.icmp_unsigned("==", x, y)):
            b.ret(ir.Constant(I1, 1))
        strings = b.and_(self.is_kind(b, x, Kind.STRING), self.is_kind(b, y, Kind.STRING))
        with b.if_then(b.not_(strings)):
            b.ret(ir.Constant(I1, 0))
        xa, ya = address_of(b, x), address_of(b, y)
        length_offset = STRING.offset("length")
        xl = load_word(b, xa, length_offset)
        with b.if_then(b.icmp_unsigned("!=", xl, load_word(b, ya, length_offset))):
            b.ret(ir.Constant(I1, 0))
        tail = STRING.tail_offset
        same = b.call(self.memcmp, [b.inttoptr(b.add(xa, const(tail)), I8P),
                                    b.inttoptr(b.add(ya, const(tail)), I8P), xl])
        b.ret(b.icmp_signed("==", same, ir.Constant(I32, 0)))

    def _build_observe(self) -> ir.Function:
        """``void lox_observe(table, index, v)``: count whether a number argument is an integer."""
        f, b = self._helper("lox_observe", ir.VoidType(), [I64, I64, I64])
        table, index, v = f.args
        with b.if_then(b.not_(is_number(b, v))):
            b.ret_void()
        x = to_double(b, v)
        integral = b.and_(b.fcmp_ordered("==", b.call(self.floor, [x]), x),
                          b.fcmp_ordered("<", b.call(self.fabs, [x]), ir.Constant(DOUBLE, 2.0 ** 53)))
        slot = b.add(b.shl(index, const(1)), b.zext(b.not_(integral), I64))
        counter = b.inttoptr(b.add(table, b.shl(slot, const(3))), I64P)
        b.store(b.add(b.load(counter), const(1)), counter)
        b.ret_void()
        return f

