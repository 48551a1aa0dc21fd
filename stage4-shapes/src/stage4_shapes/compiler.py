"""Classes to bytecode: stage 1's compiler plus class declarations, ``this``, ``super`` and initializers.

A class declaration compiles to::

    CLASS name          push the new class
    (bind it)           DEFINE_GLOBAL, or into its local slot
    superclass          push the superclass's value, store it in the hidden local "super"
    class, super        INHERIT: copy the superclass's methods into the class (error unless a class)
    class               push it again for the methods
    CLOSURE m; METHOD m one per method
    POP

``this`` is slot 0 of a method (a cell if a closure captures it). An
initializer returns ``this`` when it falls off its end or says ``return;``.
``super.m(args)`` pushes ``this``, the arguments and the superclass and is one
SUPER_INVOKE; ``super.m`` alone is GET_SUPER (a bound method).
"""

from __future__ import annotations

from lox_frontend import nodes
from stage1_interp.bytecode import FunctionCode, Op, invoke_operand
from stage1_interp.compiler import FunctionCompiler


class ClassCompiler(FunctionCompiler):
    """Stage 1's bytecode compiler for the whole language."""

    def __init__(self, node: nodes.Function) -> None:
        super().__init__(node)
        self.code.is_method = node.kind in (nodes.FunctionKind.METHOD, nodes.FunctionKind.INITIALIZER)

    @property
    def initializer(self) -> bool:
        """Whether this function is an ``init`` method."""
        return self.node.kind is nodes.FunctionKind.INITIALIZER

    def prologue(self) -> None:
        """A method whose ``this`` a closure captures keeps it in a cell, like any captured local."""
        receiver = self.node.receiver
        if self.code.is_method and receiver is not None and receiver.captured:
            self.emit(Op.MAKE_CELL, 0, self.node.line)
        super().prologue()

    def load_this(self, line: int) -> None:
        """Push ``this`` (slot 0, or its cell)."""
        receiver = self.node.receiver
        self.emit(Op.GET_CELL if receiver is not None and receiver.captured else Op.GET_LOCAL, 0, line)

    def implicit_return(self, line: int) -> None:
        """An initializer returns ``this``."""
        if self.initializer:
            self.load_this(line)
            self.emit(Op.RETURN, 0, line)
        else:
            super().implicit_return(line)

    def stmt_Return(self, s: nodes.Return) -> None:
        """``return;`` in an initializer returns ``this`` (a value there is a compile error)."""
        if self.initializer and s.value is None:
            self.load_this(s.line)
            self.emit(Op.RETURN, 0, s.line)
        else:
            super().stmt_Return(s)

    def stmt_Class(self, s: nodes.Class) -> None:
        """A class declaration (see the module docstring)."""
        line = s.line
        self.emit(Op.CLASS, self.name(s.name), line)
        self.bind(s.binding, s.name, line)
        klass: nodes.Resolution = nodes.LocalSlot(s.binding) if s.binding is not None else nodes.GlobalName(s.name)
        if s.superclass is not None and s.super_binding is not None:
            superclass = s.superclass
            self.load(superclass.resolution, superclass.line)
            self.bind(s.super_binding, "super", superclass.line)
            self.load(klass, line)
            self.load(nodes.LocalSlot(s.super_binding), superclass.line)
            self.emit(Op.INHERIT, 0, superclass.line)
            self.emit(Op.POP, 0, line)
        self.load(klass, line)
        for method in s.methods:
            self.closure(method)
            self.emit(Op.METHOD, self.name(method.name), method.line)
        self.emit(Op.POP, 0, line)

    def expr_This(self, e: nodes.This) -> None:
        """``this`` resolves like a variable (slot 0, or an upvalue in a nested function)."""
        self.load(e.resolution, e.line)

    def expr_Super(self, e: nodes.Super) -> None:
        """``super.m``: the superclass's method bound to ``this``."""
        self.load(e.this, e.line)
        self.load(e.superclass, e.line)
        self.emit(Op.GET_SUPER, self.name(e.method), e.line)

    def expr_Call(self, e: nodes.Call) -> None:
        """``super.m(args)`` is one SUPER_INVOKE; other calls as before."""
        callee = e.callee
        if isinstance(callee, nodes.Super):
            self.load(callee.this, callee.line)
            for argument in e.arguments:
                self.expression(argument)
            self.load(callee.superclass, callee.line)
            self.emit(Op.SUPER_INVOKE, invoke_operand(self.name(callee.method), len(e.arguments)), e.line)
            return
        super().expr_Call(e)


def compile_script(script: nodes.Function) -> FunctionCode:
    """Compile a parsed program, classes included, to bytecode."""
    return ClassCompiler(script).compile()
