"""What a guard checks: the one table of guard kinds, and where a guarded value is.

Compiled code guards a fast path with a test (stage 2: "both operands are
numbers", "the callee is this function"); when the test fails, stage 2
counts a miss and runs the generic operation, stage 3 leaves for the
interpreter (a deoptimisation, with a ``sidetables.Guard`` record saying what
failed). Both name the check the same way: a :class:`GuardKind` (one row of
the table below: how traces print it, what passing it means, how the deopt
explainer shows what a failed one found) and the :class:`Operand` values it
tests (the left or right operand, the receiver, the callee, a global).
"""

from __future__ import annotations

import enum

from .records import FrozenRecord


class Show(enum.Enum):
    """How the explainer shows what a failed guard found in the rebuilt frame (its ``saw:`` line)."""

    TYPES = "types"        # the operands' types, as the feedback's cases show them: ``(string, number)``
    TYPE = "type"          # the value's type: ``string``
    VALUE = "value"        # the value as the VM describes it (``DeoptVM.describe_value``): ``<fn f>``, a shape, a class
    NOTHING = "nothing"    # nothing to show: the operation had never run


class GuardKind(enum.Enum):
    """What a guard checks: the one table of guard kinds.

    Each row gives the guard's name as traces, dumps and ``--stats`` print it
    (``{where}``: the place of its operand), what passing it means, and how
    the explainer shows what a failed one found. The last rows are stage 4's
    object operations (stages 2 and 3 emit none of them), as stage 1's one opcode
    table holds the class opcodes.
    """

    #      name (as printed)    what passing it means    how the explainer shows what a failed one found
    NUMBERS = ("both numbers", "the operands of an arithmetic operator, a comparison or an equality are numbers",
               Show.TYPES)
    STRINGS = ("both strings", "the operands of + are strings", Show.TYPES)
    NUMBERS_OR_STRINGS = ("numbers or strings", "the operands of + are strings (two numbers were added before it)",
                          Show.TYPES)
    NEGATED_NUMBER = ("a number", "the operand of unary - is a number", Show.TYPES)
    GLOBAL_NUMBER = ("a number", "the global read holds a number", Show.TYPE)
    CALL_TARGET = ("call target", "the callee is a closure of one of the cached functions", Show.VALUE)
    OSR_ENTRY = ("OSR entry: {where} a number", "a value the OSR entry's region keeps as a double is a number on "
                                                "the way in", Show.TYPE)
    NO_FEEDBACK = ("no feedback yet", "never passes: the interpreter had not run the operation when the code was "
                                      "compiled (past an OSR entry's loop)", Show.NOTHING)
    # stage 4: classes and shapes
    CLASS = ("class", "the callee is one of the cached classes", Show.VALUE)
    SHAPE_GET = ("shape", "a property read's receiver has one of the cached shapes (a field, or a method to bind)",
                 Show.VALUE)
    SHAPE_BIND = ("shape", "a property read's receiver has one of the cached shapes, whose class has the method to "
                           "bind", Show.VALUE)
    SHAPE_SET = ("shape", "a property write's receiver has one of the cached shapes (a store, or a transition)",
                 Show.VALUE)
    SHAPE_INVOKE = ("shape", "a method call's receiver has one of the cached shapes", Show.VALUE)
    SUPERCLASS = ("superclass", "super.name's superclass is one of the cached ones", Show.VALUE)

    def __init__(self, label: str, checks: str, shown: Show) -> None:
        self.label = label
        self.checks = checks
        self.shown = shown


class Operand(FrozenRecord):
    """Where a guarded value is when its guard fails.

    ``role`` is what the value is to the operation (``left``, ``right``,
    ``operand``, ``callee``, ``receiver``, ``superclass``, ``global``, ``loop
    value``); ``place`` and ``index`` find it: a ``slot`` or ``stack`` entry of
    the rebuilt frame, numbered as in the frame map, or a ``global`` (index: the
    instruction's global operand). An emitter names stack entries from the
    top (:meth:`top`); the deopt exit numbers them from the bottom.
    """

    __slots__ = ("role", "place", "index")

    role: str
    place: str
    index: int

    def __init__(self, role: str, place: str, index: int) -> None:
        self.role = role
        self.place = place
        self.index = index

    @staticmethod
    def top(role: str, depth: int) -> "Operand":
        """The stack entry ``depth`` from the top (1: the top) of the guarded instruction's operand stack."""
        return Operand(role, "stack", -depth)

    def in_frame(self, stack_depth: int) -> "Operand":
        """The operand with a stack entry numbered from the bottom, as in a frame of ``stack_depth`` entries."""
        if self.place == "stack" and self.index < 0:
            return Operand(self.role, self.place, stack_depth + self.index)
        return self

    @property
    def where(self) -> str:
        """``slot 2``, ``stack 0`` or ``global 1``."""
        return f"{self.place} {self.index}"


#: Where the tested values of a binary and a unary operator are (the top of the operand stack).
BINARY = (Operand.top("left", 2), Operand.top("right", 1))
UNARY = (Operand.top("operand", 1),)
