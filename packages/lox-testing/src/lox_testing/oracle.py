"""An independent reference evaluator of Lox: what a program prints, reports and exits with, computed without any VM.

``evaluate(source, stdin)`` parses the program with the shared front end
(``lox_frontend``) and walks the resolved tree directly: no bytecode, no
compilation, nothing shared with any stage, so it can serve as the oracle
that every stage's modes are checked against (``programs.differential_check``)
and that checks the corpus's own expectations (``tests/test_lox_testing_oracle.py``).

It covers the whole language of ``LOX.md``, classes included: values and
``print`` (numbers as C's ``%g``, every NaN ``nan``), clox's comparison quirk
(``a <= b`` is ``!(a > b)``, so a NaN operand makes ``<=``/``>=`` true),
closures (every local lives in a cell, created each time its declaration
runs, so closures share variables exactly as clox's upvalues do), globals
(late-bound, redefinable), classes, fields, methods, ``init``, ``this``,
``super``, bound methods, copy-down inheritance, the natives ``clock``,
``getc``, ``chr``, ``exit`` and ``print_error``, every runtime error with its
full stack trace (``[line N] in f()`` ... ``[line N] in script``, innermost
first, the middle of a trace deeper than 40 frames elided as the VM does),
``Stack overflow.`` at 100,000 frames, and compile errors (exit 65).

Where LOX.md is silent it follows our VM (natives check their arity and
arguments; ``print_error`` prints any value) or else clox (``exit`` of a
NaN or of a number outside C's ``int`` exits 0, as clox does on x86-64).
Deep Lox recursion becomes deep Python recursion: the program runs on a
thread with a 1 GiB stack under a raised recursion limit.
"""

from __future__ import annotations

import gc
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from lox_frontend import CompileErrors, nodes, parse

MAX_FRAMES = 100_000          # a call that would make frame 100,001 is "Stack overflow."
TRACE_KEEP_INNER = 32         # a trace deeper than 40 frames shows the innermost 32 ...
TRACE_KEEP_OUTER = 8          # ... and the outermost 8
EXIT_COMPILE_ERROR = 65
EXIT_RUNTIME_ERROR = 70
_THREAD_STACK_BYTES = 1 << 30  # virtual; only touched pages are committed
_RECURSION_LIMIT = 4_000_000   # Python frames: about 10 per Lox call at 100,000 Lox frames, plus nesting


@dataclass(frozen=True)
class OracleResult:
    """What running a program does: standard output and error (bytes, as a VM writes them) and exit status."""

    stdout: bytes
    stderr: bytes
    exit_code: int

    @property
    def stdout_text(self) -> str:
        """Standard output decoded as the test runner decodes a VM's (UTF-8, bad bytes escaped)."""
        return self.stdout.decode("utf-8", errors="backslashreplace")

    @property
    def stderr_text(self) -> str:
        """Standard error decoded as the test runner decodes a VM's."""
        return self.stderr.decode("utf-8", errors="backslashreplace")


class OracleLimit(Exception):
    """The oracle itself could not run the program (Python's own limits), so it has no answer."""


# ---------------------------------------------------------------- values
# nil, booleans, numbers and strings are Python's None, bool, float and str
# (a str holds one character per byte, 0-255); the rest are these objects.


class Cell:
    """One variable: what closures capture (clox's upvalue)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


@dataclass(eq=False)
class Closure:
    """A function value: its tree and the cells it captured."""

    function: nodes.Function
    upvalues: list[Cell]

    @property
    def where(self) -> str:
        """How a stack trace names a frame of this function."""
        return f"{self.function.name}()"


@dataclass(eq=False)
class Native:
    """A built-in function."""

    name: str
    arity: int
    run: Callable[[_Interpreter, list[object], int], object]


@dataclass(eq=False)
class LoxClass:
    """A class: its methods, the superclass's copied in when it was created."""

    name: str
    methods: dict[str, Closure]


@dataclass(eq=False)
class Instance:
    """An instance and its fields."""

    klass: LoxClass
    fields: dict[str, object]


@dataclass(eq=False)
class BoundMethod:
    """A method taken from an instance (``obj.m`` without a call)."""

    receiver: object
    method: Closure


class LoxRuntimeError(Exception):
    """A runtime error: its message and the stack trace, innermost frame first."""

    def __init__(self, message: str, trace: list[str]) -> None:
        """Keep the message and trace."""
        super().__init__(message)
        self.message = message
        self.trace = trace


class _Exit(Exception):
    """``exit(n)`` was called."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Frame:
    """One call: its trace name, its variable cells, the running closure's upvalues, its current line."""

    __slots__ = ("where", "slots", "upvalues", "line")

    def __init__(self, where: str, slots: list[Cell | None], upvalues: list[Cell]) -> None:
        self.where = where
        self.slots = slots
        self.upvalues = upvalues
        self.line = 0


def format_number(x: float) -> str:
    """A number as ``print`` shows it: C's ``%g``, every NaN ``nan``."""
    return "nan" if x != x else "%g" % x


def show(value: object) -> str:
    """A value as ``print`` shows it."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Closure):
        return f"<fn {value.function.name}>"
    if isinstance(value, BoundMethod):
        return f"<fn {value.method.function.name}>"
    if isinstance(value, Native):
        return "<native fn>"
    if isinstance(value, LoxClass):
        return value.name
    if isinstance(value, Instance):
        return f"{value.klass.name} instance"
    raise TypeError(f"not a Lox value: {value!r}")


def _equal(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (float, str)):
        return a == b
    return a is b


def _divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a != a or a == 0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _truncate_to_c_int(x: float) -> int:
    """C's ``(int)x`` as clox's ``exit`` does it on x86-64: NaN and out-of-range values give INT_MIN."""
    if math.isfinite(x) and -2**31 <= math.trunc(x) < 2**31:
        return math.trunc(x)
    return -2**31


# ---------------------------------------------------------------- natives
def _clock(rt: _Interpreter, args: list[object], line: int) -> object:
    return time.perf_counter()


def _getc(rt: _Interpreter, args: list[object], line: int) -> object:
    if rt.stdin_at >= len(rt.stdin):
        return -1.0
    rt.stdin_at += 1
    return float(rt.stdin[rt.stdin_at - 1])


def _chr(rt: _Interpreter, args: list[object], line: int) -> object:
    code = args[0]
    if not isinstance(code, float):
        rt.fail("Argument to chr() must be a number.", line)
    if not 0 <= code < 256 or code != int(code):
        rt.fail("Argument to chr() must be an integer from 0 to 255.", line)
    return chr(int(code))


def _exit(rt: _Interpreter, args: list[object], line: int) -> object:
    status = args[0]
    if not isinstance(status, float):
        rt.fail("Argument to exit() must be a number.", line)
    raise _Exit(_truncate_to_c_int(status) & 0xFF)


def _print_error(rt: _Interpreter, args: list[object], line: int) -> object:
    rt.err.append(show(args[0]) + "\n")
    return None


NATIVES = (Native("clock", 0, _clock), Native("getc", 0, _getc), Native("chr", 1, _chr),
           Native("exit", 1, _exit), Native("print_error", 1, _print_error))


# ---------------------------------------------------------------- the evaluator
_Returned = tuple[object]     # what executing a ``return`` yields: (value,); None is "go on"


class _Interpreter:
    """Runs one resolved program, collecting its output."""

    def __init__(self, stdin: bytes) -> None:
        self.stdin = stdin
        self.stdin_at = 0
        self.out: list[str] = []
        self.err: list[str] = []
        self.globals: dict[str, object] = {native.name: native for native in NATIVES}
        self.frames: list[_Frame] = []
        self.statements: dict[type, Callable[[Any, _Frame], _Returned | None]] = {
            nodes.ExpressionStmt: self.expression_stmt, nodes.Print: self.print_stmt, nodes.Var: self.var_stmt,
            nodes.Block: self.block_stmt, nodes.If: self.if_stmt, nodes.While: self.while_stmt,
            nodes.FunctionStmt: self.function_stmt, nodes.Return: self.return_stmt, nodes.Class: self.class_stmt,
        }
        self.expressions: dict[type, Callable[[Any, _Frame], object]] = {
            nodes.Literal: self.literal, nodes.Grouping: self.grouping, nodes.Unary: self.unary,
            nodes.Binary: self.binary, nodes.Logical: self.logical, nodes.Variable: self.variable,
            nodes.Assign: self.assign, nodes.Call: self.call, nodes.Get: self.get, nodes.Set: self.set,
            nodes.This: self.this, nodes.Super: self.super_get,
        }

    # ------------------------------------------------------------ errors
    def fail(self, message: str, line: int) -> NoReturn:
        """Raise a runtime error at ``line`` of the innermost frame, with the whole trace taken now."""
        self.frames[-1].line = line
        depth = len(self.frames)
        trace: list[str] = []
        for from_top, frame in enumerate(reversed(self.frames)):
            if depth > TRACE_KEEP_INNER + TRACE_KEEP_OUTER and TRACE_KEEP_INNER <= from_top < depth - TRACE_KEEP_OUTER:
                if from_top == TRACE_KEEP_INNER:
                    trace.append(f"[... {depth - TRACE_KEEP_INNER - TRACE_KEEP_OUTER} more frames ...]")
                continue
            trace.append(f"[line {frame.line}] in {frame.where}")
        raise LoxRuntimeError(message, trace)

    def run(self, script: nodes.Function) -> int:
        """Run the script; returns the exit status."""
        self.frames.append(_Frame("script", [None] * script.slot_count, []))
        try:
            self.execute(script.body, self.frames[0])
        except LoxRuntimeError as error:
            self.err.append("".join(line + "\n" for line in [error.message, *error.trace]))
            return EXIT_RUNTIME_ERROR
        except _Exit as done:
            return done.status
        return 0

    # ------------------------------------------------------------ statements
    def execute(self, statements: list[nodes.Stmt], frame: _Frame) -> _Returned | None:
        """Run statements in order; stop at a ``return``."""
        for statement in statements:
            returned = self.statements[type(statement)](statement, frame)
            if returned is not None:
                return returned
        return None

    def expression_stmt(self, s: nodes.ExpressionStmt, frame: _Frame) -> None:
        self.eval(s.expression, frame)

    def print_stmt(self, s: nodes.Print, frame: _Frame) -> None:
        self.out.append(show(self.eval(s.expression, frame)) + "\n")

    def define(self, binding: nodes.Binding | None, name: str, value: object, frame: _Frame) -> Cell | None:
        """Declare a global or a fresh local cell (a new one each time the declaration runs)."""
        if binding is None:
            self.globals[name] = value
            return None
        cell = frame.slots[binding.slot] = Cell(value)
        return cell

    def var_stmt(self, s: nodes.Var, frame: _Frame) -> None:
        value = None if s.initializer is None else self.eval(s.initializer, frame)
        self.define(s.binding, s.name, value, frame)

    def block_stmt(self, s: nodes.Block, frame: _Frame) -> _Returned | None:
        return self.execute(s.statements, frame)

    def if_stmt(self, s: nodes.If, frame: _Frame) -> _Returned | None:
        if _truthy(self.eval(s.condition, frame)):
            return self.statements[type(s.then_branch)](s.then_branch, frame)
        if s.else_branch is not None:
            return self.statements[type(s.else_branch)](s.else_branch, frame)
        return None

    def while_stmt(self, s: nodes.While, frame: _Frame) -> _Returned | None:
        while _truthy(self.eval(s.condition, frame)):
            returned = self.statements[type(s.body)](s.body, frame)
            if returned is not None:
                return returned
            if s.increment is not None:
                self.eval(s.increment, frame)
        return None

    def function_stmt(self, s: nodes.FunctionStmt, frame: _Frame) -> None:
        cell = self.define(s.binding, s.function.name, None, frame)   # the body may capture its own name
        closure = self.closure(s.function, frame)
        if cell is None:
            self.globals[s.function.name] = closure
        else:
            cell.value = closure

    def return_stmt(self, s: nodes.Return, frame: _Frame) -> _Returned:
        return (None if s.value is None else self.eval(s.value, frame),)

    def class_stmt(self, s: nodes.Class, frame: _Frame) -> None:
        klass = LoxClass(s.name, {})
        self.define(s.binding, s.name, klass, frame)
        if s.superclass is not None:
            superclass = self.variable(s.superclass, frame)
            if not isinstance(superclass, LoxClass):
                self.fail("Superclass must be a class.", s.superclass.line)
            klass.methods.update(superclass.methods)          # copy-down inheritance
            assert s.super_binding is not None
            frame.slots[s.super_binding.slot] = Cell(superclass)
        for method in s.methods:
            klass.methods[method.name] = self.closure(method, frame)

    def closure(self, function: nodes.Function, frame: _Frame) -> Closure:
        """A closure of ``function`` created in ``frame``: it captures the cells its upvalues name."""
        cells = [frame.slots[ref.index] if ref.is_local else frame.upvalues[ref.index] for ref in function.upvalues]
        assert all(cell is not None for cell in cells), "captured a variable that was never declared"
        return Closure(function, [cell for cell in cells if cell is not None])

    # ------------------------------------------------------------ expressions
    def eval(self, e: nodes.Expr, frame: _Frame) -> object:
        """The value of an expression."""
        return self.expressions[type(e)](e, frame)

    def literal(self, e: nodes.Literal, frame: _Frame) -> object:
        return e.value

    def grouping(self, e: nodes.Grouping, frame: _Frame) -> object:
        return self.eval(e.expression, frame)

    def unary(self, e: nodes.Unary, frame: _Frame) -> object:
        value = self.eval(e.operand, frame)
        if e.op == "!":
            return not _truthy(value)
        if not isinstance(value, float):
            self.fail("Operand must be a number.", e.line)
        return -value

    def binary(self, e: nodes.Binary, frame: _Frame) -> object:
        a = self.eval(e.left, frame)
        b = self.eval(e.right, frame)
        op = e.op
        if op == "==":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not (isinstance(a, float) and isinstance(b, float)):
            self.fail("Operands must be two numbers or two strings." if op == "+" else "Operands must be numbers.",
                      e.line)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return _divide(a, b)
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return not a > b      # clox: !(a > b), true when either is NaN
        assert op == ">=", op
        return not a < b

    def logical(self, e: nodes.Logical, frame: _Frame) -> object:
        left = self.eval(e.left, frame)
        if _truthy(left) == (e.op == "or"):
            return left
        return self.eval(e.right, frame)

    def read(self, where: nodes.Resolution, name: str, line: int, frame: _Frame) -> object:
        """A variable's value (an undefined global is a runtime error at ``line``)."""
        if isinstance(where, nodes.LocalSlot):
            cell = frame.slots[where.binding.slot]
            assert cell is not None
            return cell.value
        if isinstance(where, nodes.UpvalueSlot):
            return frame.upvalues[where.index].value
        if name not in self.globals:
            self.fail(f"Undefined variable '{name}'.", line)
        return self.globals[name]

    def variable(self, e: nodes.Variable, frame: _Frame) -> object:
        return self.read(e.resolution, e.name, e.line, frame)

    def assign(self, e: nodes.Assign, frame: _Frame) -> object:
        value = self.eval(e.value, frame)
        where = e.resolution
        if isinstance(where, nodes.LocalSlot):
            cell = frame.slots[where.binding.slot]
            assert cell is not None
            cell.value = value
        elif isinstance(where, nodes.UpvalueSlot):
            frame.upvalues[where.index].value = value
        elif e.name not in self.globals:
            self.fail(f"Undefined variable '{e.name}'.", e.line)
        else:
            self.globals[e.name] = value
        return value

    def this(self, e: nodes.This, frame: _Frame) -> object:
        return self.read(e.resolution, "this", e.line, frame)

    def get(self, e: nodes.Get, frame: _Frame) -> object:
        obj = self.eval(e.obj, frame)
        if not isinstance(obj, Instance):
            self.fail("Only instances have properties.", e.line)
        if e.name in obj.fields:
            return obj.fields[e.name]
        method = obj.klass.methods.get(e.name)
        if method is None:
            self.fail(f"Undefined property '{e.name}'.", e.line)
        return BoundMethod(obj, method)

    def set(self, e: nodes.Set, frame: _Frame) -> object:
        obj = self.eval(e.obj, frame)
        value = self.eval(e.value, frame)
        if not isinstance(obj, Instance):
            self.fail("Only instances have fields.", e.line)
        obj.fields[e.name] = value
        return value

    def super_get(self, e: nodes.Super, frame: _Frame) -> object:
        receiver = self.read(e.this, "this", e.line, frame)
        superclass = self.read(e.superclass, "super", e.line, frame)
        assert isinstance(superclass, LoxClass)
        method = superclass.methods.get(e.method)
        if method is None:
            self.fail(f"Undefined property '{e.method}'.", e.line)
        return BoundMethod(receiver, method)

    # ------------------------------------------------------------ calls
    def call(self, e: nodes.Call, frame: _Frame) -> object:
        callee = e.callee
        if isinstance(callee, nodes.Get):           # clox's OP_INVOKE: arguments first, then the lookup
            receiver = self.eval(callee.obj, frame)
            args = [self.eval(argument, frame) for argument in e.arguments]
            if not isinstance(receiver, Instance):
                self.fail("Only instances have methods.", e.line)
            if callee.name in receiver.fields:
                return self.call_value(receiver.fields[callee.name], args, e.line)
            method = receiver.klass.methods.get(callee.name)
            if method is None:
                self.fail(f"Undefined property '{callee.name}'.", e.line)
            return self.call_closure(method, args, receiver, e.line)
        if isinstance(callee, nodes.Super):         # OP_SUPER_INVOKE
            receiver = self.read(callee.this, "this", e.line, frame)
            args = [self.eval(argument, frame) for argument in e.arguments]
            superclass = self.read(callee.superclass, "super", e.line, frame)
            assert isinstance(superclass, LoxClass)
            method = superclass.methods.get(callee.method)
            if method is None:
                self.fail(f"Undefined property '{callee.method}'.", e.line)
            return self.call_closure(method, args, receiver, e.line)
        function = self.eval(callee, frame)
        args = [self.eval(argument, frame) for argument in e.arguments]
        return self.call_value(function, args, e.line)

    def call_value(self, callee: object, args: list[object], line: int) -> object:
        """Call any value from the innermost frame, at ``line``."""
        if isinstance(callee, Closure):
            return self.call_closure(callee, args, callee, line)
        if isinstance(callee, BoundMethod):
            return self.call_closure(callee.method, args, callee.receiver, line)
        if isinstance(callee, LoxClass):
            instance = Instance(callee, {})
            init = callee.methods.get("init")
            if init is not None:
                self.call_closure(init, args, instance, line)
            elif args:
                self.fail(f"Expected 0 arguments but got {len(args)}.", line)
            return instance
        if isinstance(callee, Native):
            if len(args) != callee.arity:
                self.fail(f"Expected {callee.arity} arguments but got {len(args)}.", line)
            self.frames[-1].line = line
            return callee.run(self, args, line)
        self.fail("Can only call functions and classes.", line)

    def call_closure(self, closure: Closure, args: list[object], slot0: object, line: int) -> object:
        """Push a frame for ``closure`` (``slot0``: the callee, or ``this`` for a method) and run its body."""
        function = closure.function
        if len(args) != len(function.params):
            self.fail(f"Expected {len(function.params)} arguments but got {len(args)}.", line)
        if len(self.frames) >= MAX_FRAMES:
            self.fail("Stack overflow.", line)
        self.frames[-1].line = line
        slots: list[Cell | None] = [None] * function.slot_count
        slots[0] = Cell(slot0)
        for binding, value in zip(function.params, args):
            slots[binding.slot] = Cell(value)
        frame = _Frame(closure.where, slots, closure.upvalues)
        self.frames.append(frame)
        returned = self.execute(function.body, frame)
        self.frames.pop()
        if function.kind is nodes.FunctionKind.INITIALIZER:
            return slot0
        return None if returned is None else returned[0]


def _truthy(value: object) -> bool:
    return value is not None and value is not False


# ---------------------------------------------------------------- entry point
def _evaluate(source: str, stdin: bytes) -> OracleResult:
    try:
        script = parse(source)
    except CompileErrors as errors:
        text = "".join(f"{error}\n" for error in errors.errors)
        return OracleResult(b"", text.encode("latin-1"), EXIT_COMPILE_ERROR)
    interpreter = _Interpreter(stdin)
    try:
        status = interpreter.run(script)
    except (RecursionError, MemoryError) as error:
        raise OracleLimit(f"the oracle ran out of Python stack or memory: {type(error).__name__}") from None
    return OracleResult("".join(interpreter.out).encode("latin-1"), "".join(interpreter.err).encode("latin-1"),
                        status)


_lock = threading.Lock()


def evaluate(source: str | bytes, stdin: str | bytes = b"") -> OracleResult:
    """Run a Lox program and return what it prints and its exit status.

    A ``str`` source or stdin is taken as the test runner writes it to a file
    or a pipe (UTF-8); the program text is then read as bytes, as a VM reads
    it. Raises :class:`OracleLimit` if the program is beyond the oracle.
    """
    data = source.encode("utf-8") if isinstance(source, str) else source
    feed = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    result: list[OracleResult | BaseException] = []

    def work() -> None:
        try:
            result.append(_evaluate(data.decode("latin-1"), feed))
        except BaseException as error:  # handed to the caller's thread
            result.append(error)

    with _lock:    # the recursion limit, the thread stack size and the collector are process-wide
        saved_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(saved_limit, _RECURSION_LIMIT))
        collecting = gc.isenabled()
        gc.disable()   # a deep recursion holds many objects: full collections would make it quadratic
        saved_stack = threading.stack_size(_THREAD_STACK_BYTES)
        try:
            thread = threading.Thread(target=work, name="lox-oracle")
            thread.start()
        finally:
            threading.stack_size(saved_stack)
        thread.join()
        sys.setrecursionlimit(saved_limit)
        if collecting:
            gc.enable()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


__all__ = ["EXIT_COMPILE_ERROR", "EXIT_RUNTIME_ERROR", "MAX_FRAMES", "OracleLimit", "OracleResult", "evaluate",
           "format_number", "show"]
