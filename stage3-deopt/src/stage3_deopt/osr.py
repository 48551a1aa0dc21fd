"""On-stack replacement: a hot loop's interpreter activation continues in compiled code from the loop header.

Stages 1-2 used compiled code from a function's *next* call, so a loop at
the top level, or in a ``main()`` called once, stayed interpreted to the
end. Here, when the interpreter takes a back-edge of a hot function
(``Interpreter`` calls ``vm.osr``, which is :meth:`OSR.__call__`), it:

1. compiles, if it has none yet, an OSR entry for that loop header
   (``bytecode_jit.OSREntryCompiler``), together with the function's normal
   entry and any warm functions, in one module;
2. writes the activation's live slots and operand stack into the OSR buffer,
   word for word as the entry's :class:`~stage3_deopt.sidetables.FrameMap`
   says;
3. calls the entry, which takes over the frame record and runs the rest of
   the activation (the hot inner loop, the outer loops around it, whatever
   follows them), and returns the activation's result for the interpreter
   to hand to its caller.

If a guard fails in there, the deopt exit sends the rest of the activation
back to the interpreter (``deopt.py``) and the OSR entry still returns the
final result: the interpreter that handed over never sees the difference.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from stage0_jit import values
from stage1_interp.functions import FunctionRecord
from stage1_interp.tiering import CompileJob, Tiering

from stage2_ic.records import Record

from .sidetables import CodeVersion, DeoptBuffer, FrameMap, Stored

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from stage0_jit.emitters import Operations
    from stage0_jit.irmodule import ModuleContext
    from stage1_interp.bytecode_jit import BytecodeFunctionCompiler
    from stage1_interp.vm import TieredVM

    from .bytecode_jit import OSREntryCompiler
    from .vm import DeoptVM

OSR_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)


class OSREntry(Record):
    """An installed entry at one loop header: its code, what it loads from the buffer, how to call it."""

    __slots__ = ("version", "frame", "speculated", "call")

    version: CodeVersion
    frame: FrameMap
    speculated: int
    call: Callable[[int], int]

    def __init__(self, version: CodeVersion, frame: FrameMap, speculated: int, call: Callable[[int], int]) -> None:
        self.version = version
        self.frame = frame
        self.speculated = speculated
        self.call = call


class OSRJob(CompileJob):
    """Compile an entry at ``header`` for the activation whose values are ``slots`` and ``stack`` now."""

    def __init__(self, record: FunctionRecord, header: int, slots: list[int], stack: list[int],
                 version: CodeVersion) -> None:
        super().__init__(record)
        self.header = header
        self.slots = list(slots)
        self.stack = list(stack)
        self.version = version
        self.built: "OSREntryCompiler | None" = None

    @property
    def title(self) -> str:
        """``main (OSR at bytecode 12)``."""
        return f"{self.record.name} (OSR at bytecode {self.header})"

    def symbol_name(self) -> str:
        """The entry's LLVM symbol stem."""
        return f"{self.record.prototype:x}_{self.record.code.name}_osr{self.header}"

    def compiler(self, ctx: "ModuleContext", ops: "Operations", vm: "TieredVM",
                 symbol: str) -> "BytecodeFunctionCompiler":
        """An OSR entry compiler (not a normal entry: nothing calls it but the interpreter)."""
        from .vm import DeoptVM
        assert isinstance(vm, DeoptVM)
        self.built = vm.compiler_classes()[1](ctx, ops, vm, self.record, symbol, self.version, self.header,
                                              self.slots, self.stack)
        return self.built

    def install(self, tiering: Tiering, address: int, seconds: float) -> None:
        """Record the entry so the interpreter finds it at this loop header."""
        assert self.built is not None
        self.install_entry(tiering, address, self.built.entry_map, len(self.built.speculated))

    def install_entry(self, tiering: Tiering, address: int, entry_map: FrameMap, speculated: int) -> None:
        """Install the entry's code given what its compiler made (stage 6 gets these from the process that
        compiled it)."""
        from .vm import DeoptVM
        vm = tiering.vm
        assert isinstance(vm, DeoptVM)
        self.version.address = address
        vm.deopt.tables.osr_maps.append((self.version, entry_map))
        vm.osr_entries.install(self.record, self.header, OSREntry(self.version, entry_map, speculated,
                                                                  OSR_ENTRY(address)))
        vm.dump_side_tables(self.version)


class OSR:
    """The interpreter's OSR hook and the installed entries, by (function, loop header)."""

    def __init__(self, vm: "DeoptVM") -> None:
        self.vm = vm
        self.buffer = DeoptBuffer()
        self.entries: dict[tuple[int, int], OSREntry] = {}

    def install(self, record: FunctionRecord, header: int, entry: OSREntry) -> None:
        """Make ``entry`` the one the interpreter enters at ``header``."""
        vm = self.vm
        self.entries[(vm.index_of(record), header)] = entry
        vm.stats.add("osr.compiled")
        vm.trace("osr", f"{record.name}: OSR entry at bytecode {header} (line {entry.frame.line}) installed: "
                        f"it loads {entry.frame.stored - 1} values from the OSR buffer, "
                        f"{sum(1 for v in entry.frame.locations if v.how is Stored.CONSTANT)} constants, "
                        f"{entry.speculated} speculated numbers checked on entry")

    def discard(self, record: FunctionRecord) -> None:
        """Forget every entry of ``record`` (its code was discarded after a deopt)."""
        index = self.vm.index_of(record)
        for key in [k for k in self.entries if k[0] == index]:
            del self.entries[key]

    def __call__(self, record: FunctionRecord, closure_address: int, header: int, slots: list[int],
                 stack: list[int], depth: int) -> int | None:
        """A hot back-edge: enter compiled code at ``header`` (compiling the entry first if need be);
        returns the activation's result or ERROR, or None to go on interpreting."""
        vm = self.vm
        if vm.settings.jit == "off" or len(slots) + len(stack) + 1 > self.buffer.capacity:
            return None
        entry = self.entries.get((vm.index_of(record), header))
        if entry is None or not entry.version.valid:
            vm.tiering.request_osr(record, header, slots, stack)
            entry = self.entries.get((vm.index_of(record), header))
            if entry is None:
                return None
        words = self.buffer.words
        words[0] = values.OBJ_TAG | closure_address
        for v in entry.frame.locations:
            if v.how is not Stored.CONSTANT:
                words[v.word] = (slots if v.place == "slot" else stack)[v.index]
        vm.stats.add("osr.entered")
        vm.trace("osr", f"{record.name} enters compiled code at bytecode {header} (line {entry.frame.line}), "
                        f"carrying {entry.frame.stored - 1} values in")
        vm.timeline.instant(f"OSR enter: {record.name} bytecode {header}", "osr",
                            {"values": entry.frame.stored - 1})
        return values.to_unsigned(entry.call(values.to_signed(values.OBJ_TAG | closure_address)))
