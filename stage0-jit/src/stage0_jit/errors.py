"""Runtime errors: the table of messages every tier raises, and the exception that carries one."""

from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    """A runtime error compiled code can raise; ``MESSAGES`` gives its text."""

    OPERANDS_MUST_BE_NUMBERS = 1
    OPERAND_MUST_BE_NUMBER = 2
    OPERANDS_MUST_BE_NUMBERS_OR_STRINGS = 3
    UNDEFINED_VARIABLE = 4      # a: the global cell's address
    NOT_CALLABLE = 5
    WRONG_ARITY = 6             # a: expected, b: got
    STACK_OVERFLOW = 7
    NO_PROPERTIES = 8
    NO_FIELDS = 9
    OUT_OF_MEMORY = 10
    NATIVE_ARGUMENT = 11        # a: native id (message built by the native)
    NO_METHODS = 12
    UNDEFINED_PROPERTY = 13     # a: the name's string value (stage 4)
    SUPERCLASS_NOT_CLASS = 14   # stage 4


MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.OPERANDS_MUST_BE_NUMBERS: "Operands must be numbers.",
    ErrorCode.OPERAND_MUST_BE_NUMBER: "Operand must be a number.",
    ErrorCode.OPERANDS_MUST_BE_NUMBERS_OR_STRINGS: "Operands must be two numbers or two strings.",
    ErrorCode.UNDEFINED_VARIABLE: "Undefined variable '{name}'.",
    ErrorCode.NOT_CALLABLE: "Can only call functions and classes.",
    ErrorCode.WRONG_ARITY: "Expected {a} arguments but got {b}.",
    ErrorCode.STACK_OVERFLOW: "Stack overflow.",
    ErrorCode.NO_PROPERTIES: "Only instances have properties.",
    ErrorCode.NO_FIELDS: "Only instances have fields.",
    ErrorCode.OUT_OF_MEMORY: "Out of memory.",
    ErrorCode.NATIVE_ARGUMENT: "{detail}",
    ErrorCode.NO_METHODS: "Only instances have methods.",
    ErrorCode.UNDEFINED_PROPERTY: "Undefined property '{name}'.",
    ErrorCode.SUPERCLASS_NOT_CLASS: "Superclass must be a class.",
}

# An error raised with this line is reported at the line the innermost frame
# last recorded (used when the callee detects the error before it has a frame).
LINE_FROM_FRAME = -1


class LoxRuntimeError(Exception):
    """A Lox runtime error: its message and the stack trace lines (innermost first)."""

    def __init__(self, message: str, trace: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.trace = trace

    def report(self) -> str:
        """The text printed to standard error: the message, then one line per frame."""
        return "\n".join([self.message, *self.trace]) + "\n"


class InternalCompilerError(Exception):
    """The code generator produced IR that LLVM rejects: a bug in the VM, never in the program."""
