"""The bytecode: one declarative table of opcodes (operand, stack effect, meaning) and the chunk that holds code.

A chunk is three parallel lists, one entry per instruction: ``ops`` (the
opcode number), ``args`` (its one operand, 0 when it has none) and
``lines`` (the source line clox would report). Instructions are addressed
by index, so jump operands are instruction indices, not byte offsets.
Keeping the operand out of line costs a little memory and makes the Python
interpreter's dispatch one list index per instruction.
"""

from __future__ import annotations

import enum

from lox_frontend import nodes


class OpInfo:
    """One row of the opcode table."""

    __slots__ = ("operand", "pops", "pushes", "doc")

    def __init__(self, operand: str, pops: int, pushes: int, doc: str) -> None:
        self.operand = operand  # "" (none), "const", "slot", "upvalue", "name", "target", "argc", "function", "invoke"
        self.pops = pops        # values popped (-1: depends on the operand, see ``stack_effect``)
        self.pushes = pushes    # values pushed
        self.doc = doc


class Op(enum.IntEnum):
    """Opcode numbers (the order of ``OPCODES``)."""

    CONSTANT = 0
    NIL = 1
    TRUE = 2
    FALSE = 3
    POP = 4
    GET_LOCAL = 5
    SET_LOCAL = 6
    GET_CELL = 7
    SET_CELL = 8
    MAKE_CELL = 9
    GET_UPVALUE = 10
    SET_UPVALUE = 11
    GET_GLOBAL = 12
    SET_GLOBAL = 13
    DEFINE_GLOBAL = 14
    GET_PROPERTY = 15
    SET_PROPERTY = 16
    EQUAL = 17
    NOT_EQUAL = 18
    GREATER = 19
    GREATER_EQUAL = 20
    LESS = 21
    LESS_EQUAL = 22
    ADD = 23
    SUBTRACT = 24
    MULTIPLY = 25
    DIVIDE = 26
    NOT = 27
    NEGATE = 28
    PRINT = 29
    JUMP = 30
    JUMP_IF_FALSE = 31
    LOOP = 32
    CALL = 33
    CLOSURE = 34
    RETURN = 35
    INVOKE = 36
    CLASS = 37
    INHERIT = 38
    METHOD = 39
    GET_SUPER = 40
    SUPER_INVOKE = 41


OPCODES: dict[Op, OpInfo] = {
    Op.CONSTANT: OpInfo("const", 0, 1, "push constant k"),
    Op.NIL: OpInfo("", 0, 1, "push nil"),
    Op.TRUE: OpInfo("", 0, 1, "push true"),
    Op.FALSE: OpInfo("", 0, 1, "push false"),
    Op.POP: OpInfo("", 1, 0, "discard the top value"),
    Op.GET_LOCAL: OpInfo("slot", 0, 1, "push local slot s"),
    Op.SET_LOCAL: OpInfo("slot", 1, 1, "store the top into local slot s (the value stays)"),
    Op.GET_CELL: OpInfo("slot", 0, 1, "push the value in the cell held by local slot s (a captured local)"),
    Op.SET_CELL: OpInfo("slot", 1, 1, "store the top into the cell held by local slot s"),
    Op.MAKE_CELL: OpInfo("slot", 0, 0, "replace local slot s's value with a new cell holding it"),
    Op.GET_UPVALUE: OpInfo("upvalue", 0, 1, "push the value of the running closure's cell i"),
    Op.SET_UPVALUE: OpInfo("upvalue", 1, 1, "store the top into the running closure's cell i"),
    Op.GET_GLOBAL: OpInfo("name", 0, 1, "push global k (error if undefined)"),
    Op.SET_GLOBAL: OpInfo("name", 1, 1, "assign global k (error if undefined; the value stays)"),
    Op.DEFINE_GLOBAL: OpInfo("name", 1, 0, "define global k with the popped value"),
    Op.GET_PROPERTY: OpInfo("name", 1, 1, "obj.k (no instances before stage 4: always an error)"),
    Op.SET_PROPERTY: OpInfo("name", 2, 1, "obj.k = v (no instances before stage 4: always an error)"),
    Op.EQUAL: OpInfo("", 2, 1, "a == b"),
    Op.NOT_EQUAL: OpInfo("", 2, 1, "a != b"),
    Op.GREATER: OpInfo("", 2, 1, "a > b (numbers)"),
    Op.GREATER_EQUAL: OpInfo("", 2, 1, "a >= b, as clox: !(a < b)"),
    Op.LESS: OpInfo("", 2, 1, "a < b (numbers)"),
    Op.LESS_EQUAL: OpInfo("", 2, 1, "a <= b, as clox: !(a > b)"),
    Op.ADD: OpInfo("", 2, 1, "a + b (numbers or strings)"),
    Op.SUBTRACT: OpInfo("", 2, 1, "a - b"),
    Op.MULTIPLY: OpInfo("", 2, 1, "a * b"),
    Op.DIVIDE: OpInfo("", 2, 1, "a / b"),
    Op.NOT: OpInfo("", 1, 1, "!a"),
    Op.NEGATE: OpInfo("", 1, 1, "-a (number)"),
    Op.PRINT: OpInfo("", 1, 0, "print the popped value"),
    Op.JUMP: OpInfo("target", 0, 0, "continue at instruction t"),
    Op.JUMP_IF_FALSE: OpInfo("target", 0, 0, "continue at t if the top is falsey (it stays)"),
    Op.LOOP: OpInfo("target", 0, 0, "jump back to t: a loop back-edge (counted for tiering)"),
    Op.CALL: OpInfo("argc", -1, 1, "call the callee under n arguments; pops n + 1, pushes the result"),
    Op.CLOSURE: OpInfo("function", 0, 1, "push a new closure of nested function f, capturing its upvalues"),
    Op.RETURN: OpInfo("", 1, 0, "return the popped value to the caller"),
    Op.INVOKE: OpInfo("invoke", -1, 1, "receiver.name(n arguments); operand = name index * 256 + n; "
                                       "pops n + 1, pushes the result (no instances before stage 4: an error)"),
    # The class opcodes: the compiler emits them from stage 4 on (stages 1-3 run class-free Lox).
    Op.CLASS: OpInfo("name", 0, 1, "push a new class named k"),
    Op.INHERIT: OpInfo("", 1, 0, "class below, superclass on top: copy the superclass's methods into the "
                                 "class (error unless it is a class); pops the superclass"),
    Op.METHOD: OpInfo("name", 1, 0, "class below, closure on top: the closure becomes method k; pops it"),
    Op.GET_SUPER: OpInfo("name", 2, 1, "this below, superclass on top: push superclass method k bound to this"),
    Op.SUPER_INVOKE: OpInfo("invoke", -1, 1, "this, n arguments, superclass: call superclass method k on this; "
                                             "operand = name index * 256 + n; pops n + 2, pushes the result"),
}

assert list(OPCODES) == list(Op), "OPCODES must list every Op, in order"
assert [int(op) for op in Op] == list(range(len(Op))), "opcode numbers are 0, 1, 2, ..."
# The table by opcode number: chunks hold plain ints, and making an Op from each costs more than the lookup.
_INFO_BY_NUMBER = list(OPCODES.values())


def pops(op: int, arg: int) -> int:
    """Values one instruction pops (the table's ``pops``, worked out from the operand where it says -1)."""
    if op == Op.CALL:
        return arg + 1
    if op == Op.INVOKE:
        return invoke_argc(arg) + 1
    if op == Op.SUPER_INVOKE:
        return invoke_argc(arg) + 2
    return _INFO_BY_NUMBER[op].pops


def pushes(op: int) -> int:
    """Values one instruction pushes."""
    return _INFO_BY_NUMBER[op].pushes


def stack_effect(op: int, arg: int) -> int:
    """Net change of the stack height made by one instruction (``op``: an Op or its number)."""
    return pushes(op) - pops(op, arg)


def invoke_operand(name_index: int, argc: int) -> int:
    """Pack INVOKE's two operands (argc is at most 255)."""
    return name_index * 256 + argc


def invoke_argc(operand: int) -> int:
    """INVOKE's argument count."""
    return operand % 256


def invoke_name(operand: int) -> int:
    """INVOKE's name index."""
    return operand // 256


class Chunk:
    """The code of one function: parallel ``ops``/``args``/``lines`` lists plus its constant pool."""

    __slots__ = ("ops", "args", "lines", "constants", "names")

    def __init__(self) -> None:
        self.ops: list[int] = []
        self.args: list[int] = []
        self.lines: list[int] = []
        self.constants: list[float | str] = []
        self.names: list[str] = []

    def emit(self, op: Op, arg: int, line: int) -> int:
        """Append an instruction; returns its index."""
        self.ops.append(op)
        self.args.append(arg)
        self.lines.append(line)
        return len(self.ops) - 1

    def patch(self, index: int, target: int) -> None:
        """Point the jump at ``index`` to ``target``."""
        self.args[index] = target

    def __len__(self) -> int:
        return len(self.ops)


class FunctionCode:
    """A compiled Lox function: its chunk, shape, nested functions and upvalue recipe."""

    __slots__ = ("name", "arity", "chunk", "slot_count", "upvalues", "functions", "max_stack", "line",
                 "is_method")

    def __init__(self, name: str, arity: int, chunk: Chunk, slot_count: int, upvalues: list[nodes.UpvalueRef],
                 functions: list[FunctionCode] | None = None, max_stack: int = 0, line: int = 0,
                 is_method: bool = False) -> None:
        self.name = name
        self.arity = arity
        self.chunk = chunk
        self.slot_count = slot_count
        self.upvalues = upvalues
        self.functions: list[FunctionCode] = functions if functions is not None else []
        self.max_stack = max_stack
        self.line = line
        self.is_method = is_method  # a method or initializer: slot 0 is the receiver, passed after the closure

    @property
    def native_arity(self) -> int:
        """Native parameters after the closure: the arguments, plus the receiver for a method."""
        return self.arity + 1 if self.is_method else self.arity


def successors(chunk: Chunk, index: int) -> tuple[int, ...]:
    """Instructions that may run after instruction ``index``."""
    op = chunk.ops[index]
    if op == Op.RETURN:
        return ()
    if op in (Op.JUMP, Op.LOOP):
        return (chunk.args[index],)
    if op == Op.JUMP_IF_FALSE:
        return (index + 1, chunk.args[index])
    return (index + 1,)


def reachable_from(chunk: Chunk, start: int) -> list[bool]:
    """Which instructions can run after instruction ``start`` (itself included)."""
    seen = [False] * len(chunk)
    work = [start] if start < len(chunk) else []
    while work:
        index = work.pop()
        if seen[index]:
            continue
        seen[index] = True
        work.extend(s for s in successors(chunk, index) if s < len(chunk) and not seen[s])
    return seen


def reaching(chunk: Chunk, target: int) -> list[bool]:
    """Which instructions can lead to instruction ``target`` (itself included): ``reachable_from`` backwards."""
    predecessors: list[list[int]] = [[] for _ in range(len(chunk))]
    for index in range(len(chunk)):
        for successor in successors(chunk, index):
            if successor < len(chunk):
                predecessors[successor].append(index)
    seen = [False] * len(chunk)
    work = [target] if target < len(chunk) else []
    while work:
        index = work.pop()
        if seen[index]:
            continue
        seen[index] = True
        work.extend(p for p in predecessors[index] if not seen[p])
    return seen


def stack_depths(chunk: Chunk) -> list[int]:
    """Operand-stack height before each instruction (-1: unreachable); the compiler keeps it consistent."""
    depths = [-1] * len(chunk)
    work = [0] if len(chunk) else []
    if work:
        depths[0] = 0
    while work:
        index = work.pop()
        after = depths[index] + stack_effect(chunk.ops[index], chunk.args[index])
        for successor in successors(chunk, index):
            if successor >= len(chunk):
                continue
            if depths[successor] < 0:
                depths[successor] = after
                work.append(successor)
            elif depths[successor] != after:
                raise AssertionError(f"inconsistent stack height at {successor}: {depths[successor]} vs {after}")
    return depths
