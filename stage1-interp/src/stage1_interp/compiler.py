"""AST to bytecode: one :class:`FunctionCode` per Lox function, resolution taken from the shared front end.

Locals are frame slots (slot 0 is the callee, parameters 1..n, as the
resolver numbered them). A captured local's slot holds a *cell* (the same
heap object compiled code uses), made by ``MAKE_CELL`` where the variable
is declared, so closures and every tier share one copy of the variable.
"""

from __future__ import annotations

from lox_frontend import nodes

from .bytecode import Chunk, FunctionCode, Op, invoke_operand, stack_depths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar
    from collections.abc import Callable

    K = TypeVar("K")
    T = TypeVar("T")

_BINARY = {
    "+": Op.ADD, "-": Op.SUBTRACT, "*": Op.MULTIPLY, "/": Op.DIVIDE,
    "==": Op.EQUAL, "!=": Op.NOT_EQUAL, "<": Op.LESS, "<=": Op.LESS_EQUAL,
    ">": Op.GREATER, ">=": Op.GREATER_EQUAL,
}


def _intern(index_of: dict[K, int], pool: list[T], key: K, value: T) -> int:
    """The index of ``value`` in ``pool`` (appended the first time ``key`` is seen)."""
    index = index_of.get(key)
    if index is None:
        index = len(pool)
        pool.append(value)
        index_of[key] = index
    return index


#: The instructions that read and write a variable, by where it lives: a captured local's cell, a local slot, an
#: upvalue, a global.
_LOAD = (Op.GET_CELL, Op.GET_LOCAL, Op.GET_UPVALUE, Op.GET_GLOBAL)
_STORE = (Op.SET_CELL, Op.SET_LOCAL, Op.SET_UPVALUE, Op.SET_GLOBAL)


class FunctionCompiler:
    """Emits the bytecode of one function (nested functions get their own compiler)."""

    def __init__(self, node: nodes.Function) -> None:
        self.node = node
        self.chunk = Chunk()
        self.code = FunctionCode(node.name, len(node.params), self.chunk, max(node.slot_count, 1 + len(node.params)),
                                 list(node.upvalues), line=node.line)
        self._constants: dict[tuple[type, float | str], int] = {}
        self._names: dict[str, int] = {}

    def compile(self) -> FunctionCode:
        """Compile the body; returns the finished code."""
        self.prologue()
        for statement in self.node.body:
            self.statement(statement)
        end_line = self.chunk.lines[-1] if self.chunk.lines else self.node.line
        self.implicit_return(end_line)
        # The interpreter finishes an activation that OSR'd code ran to its end at the last instruction.
        assert self.chunk.ops[-1] == Op.RETURN, f"{self.code.name} does not end with RETURN"
        depths = stack_depths(self.chunk)
        self.code.max_stack = max((d for d in depths if d >= 0), default=0) + 1
        return self.code

    def prologue(self) -> None:
        """Parameters captured by closures move into cells before the body runs."""
        for param in self.node.params:
            if param.captured:
                self.emit(Op.MAKE_CELL, param.slot, self.node.line)

    def implicit_return(self, line: int) -> None:
        """Falling off the end returns nil (stage 4: an initializer returns ``this``)."""
        self.emit(Op.NIL, 0, line)
        self.emit(Op.RETURN, 0, line)

    # ------------------------------------------------------------ helpers
    def emit(self, op: Op, arg: int, line: int) -> int:
        """Append one instruction; returns its index."""
        return self.chunk.emit(op, arg, line)

    def constant(self, value: float | str) -> int:
        """Index of ``value`` in the constant pool (deduplicated)."""
        return _intern(self._constants, self.chunk.constants, (type(value), value), value)

    def name(self, name: str) -> int:
        """Index of a global's name in the name table."""
        return _intern(self._names, self.chunk.names, name, name)

    def jump(self, op: Op, line: int) -> int:
        """Emit a forward jump to patch later."""
        return self.emit(op, -1, line)

    def land(self, jump: int) -> None:
        """Point a forward jump at the next instruction."""
        self.chunk.patch(jump, len(self.chunk))

    # ------------------------------------------------------------ variables
    def load(self, resolution: nodes.Resolution, line: int) -> None:
        """Push a variable's value."""
        self.access(resolution, line, _LOAD)

    def store(self, resolution: nodes.Resolution, line: int) -> None:
        """Assign the top of the stack to a variable (the value stays)."""
        self.access(resolution, line, _STORE)

    def access(self, resolution: nodes.Resolution, line: int, ops: tuple[Op, Op, Op, Op]) -> None:
        """Emit the instruction of ``ops`` (cell, local, upvalue, global) that reaches the variable."""
        cell, local, upvalue, global_ = ops
        if isinstance(resolution, nodes.LocalSlot):
            self.emit(cell if resolution.binding.captured else local, resolution.binding.slot, line)
        elif isinstance(resolution, nodes.UpvalueSlot):
            self.emit(upvalue, resolution.index, line)
        else:
            self.emit(global_, self.name(resolution.name), line)

    def bind(self, binding: nodes.Binding | None, name: str, line: int) -> None:
        """Pop the value on top into a newly declared variable."""
        if binding is None:
            self.emit(Op.DEFINE_GLOBAL, self.name(name), line)
            return
        self.emit(Op.SET_LOCAL, binding.slot, line)
        self.emit(Op.POP, 0, line)
        if binding.captured:
            self.emit(Op.MAKE_CELL, binding.slot, line)

    # ------------------------------------------------------------ statements
    def statement(self, s: nodes.Stmt) -> None:
        """Compile one statement (stack height unchanged)."""
        handler: Callable[[Any], None] = getattr(self, "stmt_" + type(s).__name__)
        handler(s)

    def stmt_ExpressionStmt(self, s: nodes.ExpressionStmt) -> None:
        self.expression(s.expression)
        self.emit(Op.POP, 0, s.line)

    def stmt_Print(self, s: nodes.Print) -> None:
        self.expression(s.expression)
        self.emit(Op.PRINT, 0, s.line)

    def stmt_Var(self, s: nodes.Var) -> None:
        if s.initializer is None:
            self.emit(Op.NIL, 0, s.line)
        else:
            self.expression(s.initializer)
        self.bind(s.binding, s.name, s.line)

    def stmt_Block(self, s: nodes.Block) -> None:
        for statement in s.statements:
            self.statement(statement)

    def stmt_If(self, s: nodes.If) -> None:
        self.expression(s.condition)
        to_else = self.jump(Op.JUMP_IF_FALSE, s.line)
        self.emit(Op.POP, 0, s.line)
        self.statement(s.then_branch)
        to_end = self.jump(Op.JUMP, s.line)
        self.land(to_else)
        self.emit(Op.POP, 0, s.line)
        if s.else_branch is not None:
            self.statement(s.else_branch)
        self.land(to_end)

    def stmt_While(self, s: nodes.While) -> None:
        start = len(self.chunk)
        self.expression(s.condition)
        to_exit = self.jump(Op.JUMP_IF_FALSE, s.line)
        self.emit(Op.POP, 0, s.line)
        self.statement(s.body)
        if s.increment is not None:
            self.expression(s.increment)
            self.emit(Op.POP, 0, s.line)
        self.emit(Op.LOOP, start, s.line)
        self.land(to_exit)
        self.emit(Op.POP, 0, s.line)

    def stmt_FunctionStmt(self, s: nodes.FunctionStmt) -> None:
        binding = s.binding
        if binding is not None and binding.captured:
            # The function may capture its own variable: the cell exists before the closure.
            self.emit(Op.NIL, 0, s.line)
            self.bind(binding, s.function.name, s.line)
            self.closure(s.function)
            self.emit(Op.SET_CELL, binding.slot, s.line)
            self.emit(Op.POP, 0, s.line)
        else:
            self.closure(s.function)
            self.bind(binding, s.function.name, s.line)

    def stmt_Return(self, s: nodes.Return) -> None:
        if s.value is None:
            self.emit(Op.NIL, 0, s.line)
        else:
            self.expression(s.value)
        self.emit(Op.RETURN, 0, s.line)

    def stmt_Class(self, s: nodes.Class) -> None:
        raise NotImplementedError("classes arrive in stage 4")

    def closure(self, node: nodes.Function) -> None:
        """Compile a nested function and push a closure of it."""
        code = type(self)(node).compile()
        self.code.functions.append(code)
        self.emit(Op.CLOSURE, len(self.code.functions) - 1, node.line)

    # ------------------------------------------------------------ expressions
    def expression(self, e: nodes.Expr) -> None:
        """Compile one expression (pushes one value)."""
        handler: Callable[[Any], None] = getattr(self, "expr_" + type(e).__name__)
        handler(e)

    def expr_Literal(self, e: nodes.Literal) -> None:
        v = e.value
        if v is None:
            self.emit(Op.NIL, 0, e.line)
        elif v is True:
            self.emit(Op.TRUE, 0, e.line)
        elif v is False:
            self.emit(Op.FALSE, 0, e.line)
        else:
            self.emit(Op.CONSTANT, self.constant(v), e.line)

    def expr_Grouping(self, e: nodes.Grouping) -> None:
        self.expression(e.expression)

    def expr_Unary(self, e: nodes.Unary) -> None:
        self.expression(e.operand)
        self.emit(Op.NEGATE if e.op == "-" else Op.NOT, 0, e.line)

    def expr_Binary(self, e: nodes.Binary) -> None:
        self.expression(e.left)
        self.expression(e.right)
        self.emit(_BINARY[e.op], 0, e.line)

    def expr_Logical(self, e: nodes.Logical) -> None:
        self.expression(e.left)
        if e.op == "and":
            to_end = self.jump(Op.JUMP_IF_FALSE, e.line)
            self.emit(Op.POP, 0, e.line)
            self.expression(e.right)
            self.land(to_end)
        else:
            to_right = self.jump(Op.JUMP_IF_FALSE, e.line)
            to_end = self.jump(Op.JUMP, e.line)
            self.land(to_right)
            self.emit(Op.POP, 0, e.line)
            self.expression(e.right)
            self.land(to_end)

    def expr_Variable(self, e: nodes.Variable) -> None:
        self.load(e.resolution, e.line)

    def expr_Assign(self, e: nodes.Assign) -> None:
        self.expression(e.value)
        self.store(e.resolution, e.line)

    def expr_Call(self, e: nodes.Call) -> None:
        if isinstance(e.callee, nodes.Get):
            # ``a.m(args)`` is one instruction (clox's invoke): receiver, arguments, then the lookup.
            self.expression(e.callee.obj)
            for argument in e.arguments:
                self.expression(argument)
            self.emit(Op.INVOKE, invoke_operand(self.name(e.callee.name), len(e.arguments)), e.line)
            return
        self.expression(e.callee)
        for argument in e.arguments:
            self.expression(argument)
        self.emit(Op.CALL, len(e.arguments), e.line)

    def expr_Get(self, e: nodes.Get) -> None:
        self.expression(e.obj)
        self.emit(Op.GET_PROPERTY, self.name(e.name), e.line)

    def expr_Set(self, e: nodes.Set) -> None:
        self.expression(e.obj)
        self.expression(e.value)
        self.emit(Op.SET_PROPERTY, self.name(e.name), e.line)

    def expr_This(self, e: nodes.This) -> None:
        raise NotImplementedError("classes arrive in stage 4")

    def expr_Super(self, e: nodes.Super) -> None:
        raise NotImplementedError("classes arrive in stage 4")


def compile_script(script: nodes.Function) -> FunctionCode:
    """Compile a parsed program (and every function in it) to bytecode."""
    return FunctionCompiler(script).compile()
