"""Tier 2: bytecode to LLVM IR, through stage 0's frame skeleton and operation emitters.

Each bytecode instruction becomes the same IR stage 0 emits for that
operation (the emitters are shared, so both tiers behave identically). The
operand stack and the frame slots become allocas: the stack height at every
instruction is known statically (``stack_depths``), so stack slot *k* is
simply alloca *k*, and LLVM's SROA/mem2reg turns all of them into registers.
Jump targets start basic blocks.
"""

from __future__ import annotations

from llvmlite import ir

from stage0_jit.codegen import NativeFrame
from stage0_jit.emitters import Operations
from stage0_jit.irmodule import ModuleContext
from stage0_jit.irvalues import FALSE, I64, NIL, TRUE, address_of, box_address, const
from stage0_jit.layout import CELL

from .bytecode import Op, invoke_argc, invoke_name, reachable_from, stack_depths, successors
from .functions import FunctionRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .sites import Site
    from .vm import TieredVM

_ARITHMETIC = {Op.ADD: "+", Op.SUBTRACT: "-", Op.MULTIPLY: "*", Op.DIVIDE: "/"}
_COMPARISON = {Op.LESS: "<", Op.LESS_EQUAL: "<=", Op.GREATER: ">", Op.GREATER_EQUAL: ">="}


class BytecodeFunctionCompiler(NativeFrame):
    """Compiles one function's bytecode into an LLVM function with the standard Lox signature."""

    def __init__(self, ctx: ModuleContext, ops: Operations, vm: "TieredVM", record: FunctionRecord,
                 symbol: str, parameters: int | None = None) -> None:
        # ``parameters``: native parameters after the closure (default: the function's arity; stage 3's
        # OSR entries take none and load the frame from a buffer instead).
        super().__init__(ctx, ops, symbol, record.code.native_arity if parameters is None else parameters,
                         record.code.line, record.prototype)
        self.vm = vm
        self.record = record
        self.code = record.code
        # Filled by allocate_frame/emit_body; read by stage 3's deopt exits.
        self.slots: list[ir.Value] = []
        self.stack: list[ir.Value] = []
        self.depths: list[int] = []
        self.blocks: dict[int, ir.Block] = {}
        self.offset = 0
        self.site_type = vm.site_type()     # what each instruction's site holds (one per later stage)

    def compile(self) -> None:
        """Emit the whole function: the standard prologue, then the body from instruction 0."""
        self.open_frame()
        self.allocate_frame()
        b = self.state.builder
        arguments = self.arguments
        if self.code.is_method:     # a method's slot 0 is its receiver, passed after the closure
            b.store(arguments[0], self.slots[0])
            arguments = arguments[1:]
        else:
            b.store(self.state.closure, self.slots[0])
        for i, arg in enumerate(arguments):
            b.store(arg, self.slots[1 + i])
        for slot in self.slots[1 + self.code.arity:]:
            b.store(NIL, slot)
        self.emit_body(0)
        self.close_frame()

    def allocate_frame(self) -> None:
        """One alloca per frame slot and per operand-stack entry (LLVM promotes them to registers)."""
        eb = self.state.entry_builder
        self.slots = [eb.alloca(I64, name=f"slot{i}") for i in range(self.code.slot_count)]
        self.stack = [eb.alloca(I64, name=f"stack{i}") for i in range(self.code.max_stack)]

    def emit_body(self, start: int) -> None:
        """Emit every instruction reachable from ``start`` (0, or a loop header for stage 3's OSR entry),
        branching there from the current block."""
        f = self.state
        b = f.builder
        chunk = self.code.chunk
        slots, stack = self.slots, self.stack
        depths = stack_depths(chunk)
        self.depths = depths
        reachable = reachable_from(chunk, start)
        leaders = {start}
        for i in range(len(chunk)):
            op = chunk.ops[i]
            if op in (Op.JUMP, Op.JUMP_IF_FALSE, Op.LOOP, Op.RETURN):
                leaders.update(successors(chunk, i))
                leaders.add(i + 1)
        blocks = {i: self.function.append_basic_block(f"bc{i:04d}") for i in sorted(leaders)
                  if i < len(chunk) and reachable[i]}
        self.blocks = blocks
        b.branch(blocks[start])

        def top(sp: int) -> ir.Value:
            return b.load(stack[sp - 1])

        for i in range(len(chunk)):
            if not reachable[i]:
                continue
            if i in blocks:
                if not b.block.is_terminated:
                    b.branch(blocks[i])
                b.position_at_end(blocks[i])
            if depths[i] < 0:
                if not b.block.is_terminated:
                    b.unreachable()
                continue
            if b.block.is_terminated:
                b.position_at_end(self.function.append_basic_block("dead"))
            sp = depths[i]
            self.offset = i
            site = self.site_type(self, i)
            if not self.enter(site):
                continue
            op, arg, line = site.op, site.arg, site.line
            if op == Op.CONSTANT:
                b.store(self.constant(arg), stack[sp])
            elif op == Op.NIL:
                b.store(NIL, stack[sp])
            elif op == Op.TRUE:
                b.store(TRUE, stack[sp])
            elif op == Op.FALSE:
                b.store(FALSE, stack[sp])
            elif op == Op.POP:
                pass
            elif op == Op.GET_LOCAL:
                b.store(b.load(slots[arg]), stack[sp])
            elif op == Op.SET_LOCAL:
                b.store(top(sp), slots[arg])
            elif op == Op.GET_CELL:
                # A captured local's slot holds its cell as an object value, as in the interpreter.
                cell = address_of(b, b.load(slots[arg]))
                b.store(self.ops.load_field(f, cell, CELL.offset("value")), stack[sp])
            elif op == Op.SET_CELL:
                self.ops.store_field(f, address_of(b, b.load(slots[arg])), CELL.offset("value"), top(sp))
            elif op == Op.MAKE_CELL:
                b.store(box_address(b, self.ops.new_cell(f, b.load(slots[arg]), line)), slots[arg])
            elif op == Op.GET_UPVALUE:
                cell = self.ops.closure_cell(f, arg)
                b.store(self.ops.load_field(f, cell, CELL.offset("value")), stack[sp])
            elif op == Op.SET_UPVALUE:
                self.ops.store_field(f, self.ops.closure_cell(f, arg), CELL.offset("value"), top(sp))
            elif op == Op.GET_GLOBAL:
                b.store(self.ops.get_global(f, self.record.global_cells[arg], line), stack[sp])
            elif op == Op.SET_GLOBAL:
                self.ops.set_global(f, self.record.global_cells[arg], top(sp), line)
            elif op == Op.DEFINE_GLOBAL:
                self.ops.define_global(f, self.record.global_cells[arg], top(sp))
            elif op == Op.GET_PROPERTY:
                name = chunk.names[arg]
                b.store(self.ops.get_property(f, top(sp), name, line), stack[sp - 1])
            elif op == Op.SET_PROPERTY:
                name = chunk.names[arg]
                obj = b.load(stack[sp - 2])
                b.store(self.ops.set_property(f, obj, name, top(sp), line), stack[sp - 2])
            elif op in (Op.EQUAL, Op.NOT_EQUAL):
                result = self.ops.equal(f, b.load(stack[sp - 2]), top(sp), negate=op == Op.NOT_EQUAL)
                b.store(result, stack[sp - 2])
            elif op in _COMPARISON:
                result = self.ops.compare(f, _COMPARISON[op], b.load(stack[sp - 2]), top(sp), line)
                b.store(result, stack[sp - 2])
            elif op in _ARITHMETIC:
                result = self.ops.arithmetic(f, _ARITHMETIC[op], b.load(stack[sp - 2]), top(sp), line)
                b.store(result, stack[sp - 2])
            elif op == Op.NOT:
                b.store(self.ops.not_(f, top(sp)), stack[sp - 1])
            elif op == Op.NEGATE:
                b.store(self.ops.negate(f, top(sp), line), stack[sp - 1])
            elif op == Op.PRINT:
                self.ops.print_value(f, top(sp), line)
            elif op in (Op.JUMP, Op.LOOP):
                b.branch(blocks[arg])
            elif op == Op.JUMP_IF_FALSE:
                b.cbranch(self.ops.truthy(f, top(sp)), blocks[i + 1], blocks[arg])
            elif op == Op.CALL:
                callee = b.load(stack[sp - arg - 1])
                arguments = [b.load(stack[sp - arg + k]) for k in range(arg)]
                b.store(self.ops.call(f, callee, arguments, line), stack[sp - arg - 1])
            elif op == Op.INVOKE:
                argc = invoke_argc(arg)
                receiver = b.load(stack[sp - argc - 1])
                arguments = [b.load(stack[sp - argc + k]) for k in range(argc)]
                result = self.ops.invoke(f, receiver, chunk.names[invoke_name(arg)], arguments, line)
                b.store(result, stack[sp - argc - 1])
            elif op in (Op.CLASS, Op.INHERIT, Op.METHOD, Op.GET_SUPER, Op.SUPER_INVOKE):
                # Stage 4's class operations: the emitters see the operand stack directly.
                self.ops.class_op(f, op, arg, stack, sp, line)
            elif op == Op.CLOSURE:
                b.store(self.closure(arg, slots, line), stack[sp])
            elif op == Op.RETURN:
                self.emit_return(top(sp))
            else:
                raise AssertionError(f"no IR for {op.name}")

    def enter(self, site: Site) -> bool:
        """Hook: instruction ``site`` is emitted next, unless this returns False (stage 3 leaves for the
        interpreter there instead)."""
        self.ops.enter_site(site)
        return True

    def constant(self, index: int) -> ir.Value:
        """A constant of the chunk as an i64 word (strings are heap objects made at load time)."""
        return const(self.record.constants[index])

    def closure(self, index: int, slots: list[ir.Value], line: int) -> ir.Value:
        """Create a closure of nested function ``index`` capturing this frame's cells."""
        f = self.state
        nested = self.code.functions[index]
        prototype = self.vm.record_for(nested).prototype
        cells = []
        for upvalue in nested.upvalues:
            if upvalue.is_local:
                cells.append(address_of(f.builder, f.builder.load(slots[upvalue.index])))
            else:
                cells.append(self.ops.closure_cell(f, upvalue.index))
        return self.ops.new_closure(f, prototype, cells, line)

