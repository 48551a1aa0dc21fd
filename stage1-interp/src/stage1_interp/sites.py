"""A site: one bytecode instruction of the function being compiled, as the operation emitters see it.

Tier 2 emits an instruction by calling one emitter (``Operations.add``,
``get_property``, ...) with IR values; what the emitter may know about the
instruction beyond those values is its *site*. Stage 1's site says where it
is (function, offset, line, its names); each later stage adds what it learned
about the same instruction, so every emitter receives one object:

========  ==============================  ==========================================
stage     class                           adds
========  ==============================  ==========================================
1         ``Site`` (here)                 function, offset, opcode, operand, line
2         ``stage2_ic.sites.CachedSite``  the inline cache and its guarded cases
3         ``stage3_deopt.sites.           the analysis's plan, the operand types,
          SpeculativeSite``               and the deopt exit a failed guard takes
========  ==============================  ==========================================

The compiler makes one per instruction, of the class the VM's ``site_type``
hook names, and hands it to ``Operations.enter_site`` before emitting the
instruction.
"""

from __future__ import annotations

from .bytecode import Op

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from .bytecode_jit import BytecodeFunctionCompiler
    from .functions import FunctionRecord


class Site:
    """Instruction ``offset`` of the function ``compiler`` is compiling."""

    __slots__ = ("compiler", "offset", "op", "arg", "line")

    compiler: "BytecodeFunctionCompiler"
    offset: int
    op: Op
    arg: int
    line: int

    def __init__(self, compiler: "BytecodeFunctionCompiler", offset: int) -> None:
        chunk = compiler.code.chunk
        self.compiler = compiler
        self.offset = offset
        self.op = Op(chunk.ops[offset])
        self.arg = chunk.args[offset]
        self.line = chunk.lines[offset]

    @property
    def record(self) -> "FunctionRecord":
        """The function the instruction belongs to."""
        return self.compiler.record

    def name(self, index: int) -> str:
        """Name ``index`` of the function's chunk (a property, method, class or global name)."""
        return self.compiler.code.chunk.names[index]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.record.name} {self.offset} {self.op.name}>"
