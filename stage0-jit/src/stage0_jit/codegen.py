"""AST to LLVM IR: one LLVM function per Lox function, built with llvmlite's IRBuilder.

Every Lox function compiles to ``i64 f(i64 closure, i64 arg1, ..., i64 argN)``
and is called through its prototype's entry slot. Locals live in allocas
(LLVM promotes them to registers); a captured local lives in a heap cell
that closures share. Each function pushes a record on the frame stack and,
before every call, stores its current line there: those are the facts a
stack trace (and, later, deopt and the collector) needs about a frame.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from lox_frontend import nodes

from .emitters import FunctionState, Operations
from .errors import LINE_FROM_FRAME, ErrorCode
from .irmodule import ModuleContext
from .irvalues import ERROR, FALSE, I64, NIL, TRUE, const, pointer
from .layout import CELL, FUNCTION
from .frames import RECORD_WORDS, ROOTS
from . import values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class CompiledFunction:
    """One Lox function in the module: its prototype object and its LLVM symbol."""

    def __init__(self, node: nodes.Function, prototype: int, symbol: str) -> None:
        self.node = node
        self.prototype = prototype
        self.symbol = symbol


class ModulePlan:
    """One module being built: its emitters, the functions to install once linked, how to compile it."""

    def __init__(self, context: ModuleContext, ops: Operations, optimise: bool = True) -> None:
        self.context = context
        self.ops = ops
        self.functions: list[CompiledFunction] = []
        self.optimise = optimise


class NativeFrame:
    """The skeleton every compiled Lox function shares, whatever it is compiled from.

    ``i64 f(i64 closure, i64 arg1, ...)``: the prologue checks the recursion
    limit and pushes a frame record (closure, line); ``unwind`` pops it and
    returns ERROR; :meth:`emit_return` pops it and returns a value. Stage 0
    fills the body from the AST, stage 1 from bytecode.
    """

    def __init__(self, ctx: ModuleContext, ops: Operations, symbol: str, arity: int, line: int,
                 prototype: int) -> None:
        self.ctx = ctx
        self.ops = ops
        self.runtime = ctx.runtime
        self.line = line
        self.prototype_address = prototype
        signature = ir.FunctionType(I64, [I64] * (1 + arity))
        self.function = ir.Function(ctx.module, signature, symbol)
        entry = self.function.append_basic_block("entry")
        entry_builder = ir.IRBuilder(entry)
        self.body_block = self.function.append_basic_block("body")
        builder = ir.IRBuilder(self.body_block)
        unwind = self.function.append_basic_block("unwind")
        frames = self.runtime.frames
        self.depth_pointer = pointer(entry_builder, const(frames.depth_address))
        depth = self.frame_index(entry_builder, entry_builder.load(self.depth_pointer, name="depth"))
        self.frame_record = entry_builder.add(const(frames.records_address),
                                        entry_builder.mul(depth, const(RECORD_WORDS * 8)), name="record")
        self.state = FunctionState(self.function, builder, entry_builder, self.function.args[0], depth,
                                   pointer(entry_builder, self.frame_record, 8), unwind)

    def frame_index(self, builder: ir.IRBuilder, depth: ir.Value) -> ir.Value:
        """Hook: this frame's record index, given the frame stack's depth on entry (a new record on top;
        stage 3's OSR entries take over the record the interpreter pushed, one below)."""
        return depth

    def entry_check(self, builder: ir.IRBuilder) -> ir.IRBuilder:
        """Hook: code run on entry, before the frame record is pushed; returns the builder to go on with
        (stage 3 checks here that this code is still the function's installed code)."""
        return builder

    @property
    def arguments(self) -> list[ir.Value]:
        """The Lox arguments (after the closure)."""
        return list(self.function.args[1:])

    def open_frame(self) -> None:
        """Emit the prologue (overflow check, frame push, argument observations); the body follows."""
        f = self.state
        eb = f.entry_builder
        overflow = self.function.append_basic_block("overflow")
        push = self.function.append_basic_block("push")
        eb.cbranch(eb.icmp_unsigned(">=", f.depth, const(self.runtime.frames.capacity)), overflow, push)
        ob = ir.IRBuilder(overflow)
        ob.call(self.ctx.runtime_error, [const(ErrorCode.STACK_OVERFLOW), const(LINE_FROM_FRAME),
                                         const(0), const(0)])
        ob.ret(ERROR)
        pb = self.entry_check(ir.IRBuilder(push))
        pb.store(pb.add(f.depth, const(1)), self.depth_pointer)
        pb.store(f.closure, pointer(pb, self.frame_record))
        pb.store(const(self.line), f.line_pointer)
        self.frame_roots(pb, pointer(pb, self.frame_record, ROOTS * 8))
        pb.branch(self.body_block)
        ub = ir.IRBuilder(f.unwind)
        ub.store(f.depth, self.depth_pointer)
        ub.ret(ERROR)
        # Allocas go into the entry block, before its branch.
        eb.position_before(eb.block.instructions[-1])
        observations = self.runtime.heap.field(self.prototype_address, FUNCTION, "observations")
        if observations:
            for i, arg in enumerate(self.arguments):
                f.builder.call(self.ctx.observe, [const(observations), const(i), arg])

    def frame_roots(self, builder: ir.IRBuilder, roots_pointer: ir.Value) -> None:
        """Hook: fill the frame record's roots word (0: this frame keeps no root area; stage 5's compiled
        frames store the address of theirs)."""
        builder.store(const(0), roots_pointer)

    def close_frame(self) -> None:
        """Falling off the end returns nil (the current block may be a dead one after a return)."""
        b = self.state.builder
        if not b.block.is_terminated:
            b.store(self.state.depth, self.depth_pointer)
            b.ret(NIL)

    def emit_return(self, value: ir.Value) -> None:
        """Pop the frame record and return; code after it goes to a fresh (dead) block."""
        b = self.state.builder
        b.store(self.state.depth, self.depth_pointer)
        b.ret(value)
        b.position_at_end(self.function.append_basic_block("dead"))


class FunctionCompiler(NativeFrame):
    """Emits one Lox function's body from the AST."""

    def __init__(self, program: "ProgramCompiler", plan: ModulePlan, node: nodes.Function, prototype: int,
                 symbol: str) -> None:
        super().__init__(plan.context, plan.ops, symbol, len(node.params), node.line, prototype)
        self.program = program
        self.node = node
        # slot -> binding currently declared there; binding -> its alloca
        self.slot_binding: dict[int, nodes.Binding] = {}
        self.slots: dict[nodes.Binding, ir.Value] = {}

    def compile(self) -> None:
        """Prologue, parameters, body, epilogue."""
        self.open_frame()
        for param, arg in zip(self.node.params, self.arguments):
            self.declare(param, arg, self.node.line)
        for statement in self.node.body:
            self.statement(statement)
        self.close_frame()

    # ------------------------------------------------------------ variables
    def declare(self, binding: nodes.Binding, value: ir.Value, line: int) -> None:
        """Bring a local into scope holding ``value`` (in a fresh cell when a closure captures it)."""
        slot = self.state.entry_builder.alloca(I64, name=binding.name)
        self.slots[binding] = slot
        self.slot_binding[binding.slot] = binding
        if binding.captured:
            value = self.ops.new_cell(self.state, value, line)
        self.state.builder.store(value, slot)

    def read(self, resolution: nodes.Resolution, line: int) -> ir.Value:
        """The value of a variable."""
        f = self.state
        if isinstance(resolution, nodes.LocalSlot):
            word = f.builder.load(self.slots[resolution.binding])
            if resolution.binding.captured:
                return self.ops.load_field(f, word, CELL.offset("value"))
            return word
        if isinstance(resolution, nodes.UpvalueSlot):
            return self.ops.load_field(f, self.ops.closure_cell(f, resolution.index), CELL.offset("value"))
        return self.ops.get_global(f, self.runtime.global_cell(resolution.name), line)

    def write(self, resolution: nodes.Resolution, value: ir.Value, line: int) -> None:
        """Assign a variable."""
        f = self.state
        if isinstance(resolution, nodes.LocalSlot):
            slot = self.slots[resolution.binding]
            if resolution.binding.captured:
                self.ops.store_field(f, f.builder.load(slot), CELL.offset("value"), value)
            else:
                f.builder.store(value, slot)
        elif isinstance(resolution, nodes.UpvalueSlot):
            self.ops.store_field(f, self.ops.closure_cell(f, resolution.index), CELL.offset("value"), value)
        else:
            self.ops.set_global(f, self.runtime.global_cell(resolution.name), value, line)

    def bind(self, binding: nodes.Binding | None, name: str, value: ir.Value, line: int) -> None:
        """Finish a declaration: a local comes into scope, a global is (re)defined."""
        if binding is None:
            self.ops.define_global(self.state, self.runtime.global_cell(name), value)
        else:
            self.declare(binding, value, line)

    # ------------------------------------------------------------ statements
    def statement(self, s: nodes.Stmt) -> None:
        """Emit one statement."""
        handler: Callable[[Any], None] = getattr(self, "stmt_" + type(s).__name__)
        handler(s)

    def stmt_ExpressionStmt(self, s: nodes.ExpressionStmt) -> None:
        self.expression(s.expression)

    def stmt_Print(self, s: nodes.Print) -> None:
        self.ops.print_value(self.state, self.expression(s.expression), s.line)

    def stmt_Var(self, s: nodes.Var) -> None:
        value = self.expression(s.initializer) if s.initializer is not None else NIL
        self.bind(s.binding, s.name, value, s.line)

    def stmt_Block(self, s: nodes.Block) -> None:
        for statement in s.statements:
            self.statement(statement)

    def stmt_If(self, s: nodes.If) -> None:
        b = self.state.builder
        condition = self.ops.truthy(self.state, self.expression(s.condition))
        then_block = b.append_basic_block("if.then")
        else_block = b.append_basic_block("if.else")
        done = b.append_basic_block("if.done")
        b.cbranch(condition, then_block, else_block)
        b.position_at_end(then_block)
        self.statement(s.then_branch)
        if not b.block.is_terminated:
            b.branch(done)
        b.position_at_end(else_block)
        if s.else_branch is not None:
            self.statement(s.else_branch)
        if not b.block.is_terminated:
            b.branch(done)
        b.position_at_end(done)

    def stmt_While(self, s: nodes.While) -> None:
        b = self.state.builder
        test = b.append_basic_block("while.test")
        body = b.append_basic_block("while.body")
        done = b.append_basic_block("while.done")
        b.branch(test)
        b.position_at_end(test)
        b.cbranch(self.ops.truthy(self.state, self.expression(s.condition)), body, done)
        b.position_at_end(body)
        self.statement(s.body)
        if s.increment is not None:
            self.expression(s.increment)
        if not b.block.is_terminated:
            b.branch(test)
        b.position_at_end(done)

    def stmt_FunctionStmt(self, s: nodes.FunctionStmt) -> None:
        f = self.state
        binding = s.binding
        if binding is not None and binding.captured:
            # The function may capture its own variable: the cell must exist before the closure.
            self.declare(binding, NIL, s.line)
            closure = self.make_closure(s.function)
            self.ops.store_field(f, f.builder.load(self.slots[binding]), CELL.offset("value"), closure)
        else:
            self.bind(binding, s.function.name, self.make_closure(s.function), s.line)

    def stmt_Return(self, s: nodes.Return) -> None:
        self.emit_return(self.expression(s.value) if s.value is not None else NIL)

    def stmt_Class(self, s: nodes.Class) -> None:
        raise NotImplementedError("classes arrive in stage 4")

    def make_closure(self, node: nodes.Function) -> ir.Value:
        """Compile a nested function and emit the creation of its closure here."""
        prototype = self.program.compile_function(node).prototype
        f = self.state
        cells = []
        for upvalue in node.upvalues:
            if upvalue.is_local:
                cells.append(f.builder.load(self.slots[self.slot_binding[upvalue.index]]))
            else:
                cells.append(self.ops.closure_cell(f, upvalue.index))
        return self.ops.new_closure(f, prototype, cells, node.line)

    # ------------------------------------------------------------ expressions
    def expression(self, e: nodes.Expr) -> ir.Value:
        """Emit one expression; returns its value."""
        handler: Callable[[Any], ir.Value] = getattr(self, "expr_" + type(e).__name__)
        return handler(e)

    def expr_Literal(self, e: nodes.Literal) -> ir.Value:
        v = e.value
        if v is None:
            return NIL
        if v is True:
            return TRUE
        if v is False:
            return FALSE
        if isinstance(v, float):
            return const(values.number(v))
        return const(self.runtime.constant_string(v))

    def expr_Grouping(self, e: nodes.Grouping) -> ir.Value:
        return self.expression(e.expression)

    def expr_Unary(self, e: nodes.Unary) -> ir.Value:
        operand = self.expression(e.operand)
        if e.op == "-":
            return self.ops.negate(self.state, operand, e.line)
        return self.ops.not_(self.state, operand)

    def expr_Binary(self, e: nodes.Binary) -> ir.Value:
        x = self.expression(e.left)
        y = self.expression(e.right)
        if e.op in ("==", "!="):
            return self.ops.equal(self.state, x, y, negate=e.op == "!=")
        if e.op in ("<", "<=", ">", ">="):
            return self.ops.compare(self.state, e.op, x, y, e.line)
        return self.ops.arithmetic(self.state, e.op, x, y, e.line)

    def expr_Logical(self, e: nodes.Logical) -> ir.Value:
        b = self.state.builder
        left = self.expression(e.left)
        left_end = b.block
        right_block = b.append_basic_block(f"{e.op}.right")
        done = b.append_basic_block(f"{e.op}.done")
        truthy = self.ops.truthy(self.state, left)
        left_end = b.block
        if e.op == "and":
            b.cbranch(truthy, right_block, done)
        else:
            b.cbranch(truthy, done, right_block)
        b.position_at_end(right_block)
        right = self.expression(e.right)
        right_end = b.block
        b.branch(done)
        return self.ops.join(self.state, done, [(left, left_end), (right, right_end)])

    def expr_Variable(self, e: nodes.Variable) -> ir.Value:
        return self.read(e.resolution, e.line)

    def expr_Assign(self, e: nodes.Assign) -> ir.Value:
        value = self.expression(e.value)
        self.write(e.resolution, value, e.line)
        return value

    def expr_Call(self, e: nodes.Call) -> ir.Value:
        if isinstance(e.callee, nodes.Get):
            # ``a.m(args)`` is one operation (clox's invoke): receiver, arguments, then the lookup.
            receiver = self.expression(e.callee.obj)
            arguments = [self.expression(a) for a in e.arguments]
            return self.ops.invoke(self.state, receiver, e.callee.name, arguments, e.line)
        callee = self.expression(e.callee)
        args = [self.expression(a) for a in e.arguments]
        return self.ops.call(self.state, callee, args, e.line)

    def expr_Get(self, e: nodes.Get) -> ir.Value:
        return self.ops.get_property(self.state, self.expression(e.obj), e.name, e.line)

    def expr_Set(self, e: nodes.Set) -> ir.Value:
        obj = self.expression(e.obj)
        value = self.expression(e.value)
        return self.ops.set_property(self.state, obj, e.name, value, e.line)

    def expr_This(self, e: nodes.This) -> ir.Value:
        raise NotImplementedError("classes arrive in stage 4")

    def expr_Super(self, e: nodes.Super) -> ir.Value:
        raise NotImplementedError("classes arrive in stage 4")


class ProgramCompiler:
    """Compiles a script and every function nested in it: one module, plus one per huge function.

    A function bigger than ``max_optimised_size`` AST nodes (typically a long
    top-level script) gets a module of its own that is compiled without
    optimisation: LLVM's optimiser and instruction selection grow faster than
    linearly with function size, and such code usually runs once.
    """

    operations: type[Operations] = Operations

    def __init__(self, new_module: Callable[[], ModuleContext]) -> None:
        self.new_module = new_module
        self.main = self.new_plan(optimise=True)
        self.plans = [self.main]
        self.script: CompiledFunction | None = None

    def new_plan(self, optimise: bool) -> ModulePlan:
        """A fresh module with its emitters."""
        ctx = self.new_module()
        return ModulePlan(ctx, self.operations(ctx), optimise=optimise)

    def compile_script(self, script: nodes.Function) -> CompiledFunction:
        """Compile the whole program; ``self.plans`` says what to link and install."""
        self.script = self.compile_function(script)
        return self.script

    def compile_function(self, node: nodes.Function) -> CompiledFunction:
        """Compile one function (its nested functions first)."""
        runtime = self.main.context.runtime
        prototype = runtime.new_function(node.name, len(node.params), len(node.upvalues))
        plan = self.main
        if tree_size(node) > runtime.settings.max_optimised_size:
            plan = self.new_plan(optimise=False)
            self.plans.append(plan)
        symbol = plan.context.symbol(f"{prototype:x}_{node.name}")
        FunctionCompiler(self, plan, node, prototype, symbol).compile()
        compiled = CompiledFunction(node, prototype, symbol)
        plan.functions.append(compiled)
        return compiled


def tree_size(function: nodes.Function) -> int:
    """AST nodes in a function's body, not counting nested functions' bodies (an explicit stack: trees can be deep)."""
    count = 0
    stack: list[object] = list(function.body)
    while stack:
        node = stack.pop()
        count += 1
        fields: tuple[str, ...] = getattr(type(node), "__slots__", ())   # nodes are slotted classes
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, list):
                stack.extend(v for v in value if hasattr(v, "line") and not isinstance(v, nodes.Function))
            elif hasattr(value, "line") and not isinstance(value, nodes.Function):
                stack.append(value)
    return count
