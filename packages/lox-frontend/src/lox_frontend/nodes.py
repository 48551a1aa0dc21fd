"""The Lox syntax tree: one dataclass per construct, each carrying the line clox would report.

Line rule: a node's ``line`` is the line clox attributes to the instruction that
can fail for that node, which is the line of the *last token consumed* when
clox emits it (``parser.previous.line``):

- ``Binary`` / ``Unary``: the last token of the right (only) operand;
- ``Call``: the closing ``)``; ``Get``: the property name; ``Set``/``Assign``:
  the last token of the assigned value; ``Variable``: the identifier;
- statements: the line of their keyword (``print``, ``return``, ...);
  an ``ExpressionStmt``: the line of its first token; ``Grouping`` /
  ``Logical``: their last token; ``Super``: the method name;
  ``Function.line``: its name (``1`` for the script), ``end_line``: its
  closing ``}`` (the script: the last line).

Resolution is filled in by the resolver while the parser runs (as clox's
single-pass compiler does), so every tier reads the same answers:

- every local variable declaration owns one :class:`Binding` (a slot in its
  function's frame; slot 0 is reserved for the callee / ``this``, as in clox);
- ``Binding.captured`` is true when some closure captures the variable; tiers
  keep captured variables in heap cells (upvalue objects) so closures share them;
- a use of a variable (``Variable``, ``Assign``) says where it lives: a
  :class:`LocalSlot`, an :class:`UpvalueSlot` (index in the running closure), or
  a :class:`GlobalName` (late-bound, looked up by name);
- each :class:`Function` lists the variables it captures in ``upvalues``.

Shapes worth knowing (the parser in ``parser.py`` produces them):

- ``this`` resolves like a variable: in a method it is ``LocalSlot`` of a
  binding named ``"this"`` with slot 0 (not listed in ``params``); in a
  function nested in a method it is an upvalue of that slot (an
  ``UpvalueRef(is_local=True, index=0)``). ``this`` is never assigned.
- ``obj.m(args)`` is ``Call(Get(obj, "m"), args)`` and ``super.m(args)`` is
  ``Call(Super("m"), args)``; the ``Call`` carries the line of ``)``.
- ``super`` lives in a scope around the class body, in the function that
  declares the class: a local named ``"super"`` (``Class.super_binding``),
  captured by every method that uses ``super``.
- Binary operators, ``and`` / ``or``, calls and property gets chain to the
  left (``a + b + c`` is ``(a + b) + c``) and are parsed by a loop, so such a
  chain can make a tree arbitrarily deep on its left spine. All other
  nesting (parentheses, operands, argument lists, assigned values, blocks,
  statement bodies, functions) is limited to ``MAX_NESTING`` levels, each
  adding only a few tree levels: walk trees with an explicit stack, or with
  a raised recursion limit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union


class FunctionKind(enum.Enum):
    """What a function body is: it decides what ``return`` and ``this`` mean."""

    SCRIPT = "script"
    FUNCTION = "function"
    METHOD = "method"
    INITIALIZER = "initializer"


@dataclass(eq=False)
class Binding:
    """One declared local variable (or parameter): its frame slot and whether a closure captures it."""

    name: str
    slot: int
    captured: bool = False


@dataclass(frozen=True)
class LocalSlot:
    """A use of a local of the running function."""

    binding: Binding


@dataclass(frozen=True)
class UpvalueSlot:
    """A use of a captured variable, through the running closure's upvalue ``index``."""

    index: int


@dataclass(frozen=True)
class GlobalName:
    """A use of a late-bound global, looked up by ``name``."""

    name: str


Resolution = Union[LocalSlot, UpvalueSlot, GlobalName]


@dataclass(frozen=True)
class UpvalueRef:
    """How a closure finds one captured variable when it is created.

    ``is_local``: ``index`` is a slot of the enclosing function (its binding is
    ``captured``); otherwise ``index`` is one of the enclosing closure's upvalues.
    """

    is_local: bool
    index: int
    name: str


# ---------------------------------------------------------------- expressions


@dataclass(eq=False)
class Literal:
    """``nil``, ``true``, ``false``, a number or a string literal."""

    value: None | bool | float | str
    line: int


@dataclass(eq=False)
class Grouping:
    """A parenthesised expression (kept so dumps show the source shape)."""

    expression: Expr
    line: int


@dataclass(eq=False)
class Unary:
    """``-x`` or ``!x``; ``op`` is ``"-"`` or ``"!"``."""

    op: str
    operand: Expr
    line: int


@dataclass(eq=False)
class Binary:
    """Arithmetic, comparison and equality; ``op`` is the operator's lexeme (``"+"``, ``"<="``, ``"=="``...)."""

    op: str
    left: Expr
    right: Expr
    line: int


@dataclass(eq=False)
class Logical:
    """Short-circuit ``and`` / ``or``: yields an operand's value."""

    op: str
    left: Expr
    right: Expr
    line: int


@dataclass(eq=False)
class Variable:
    """A read of a variable."""

    name: str
    line: int
    resolution: Resolution = field(default_factory=lambda: GlobalName(""))


@dataclass(eq=False)
class Assign:
    """``name = value``: an expression yielding ``value``."""

    name: str
    value: Expr
    line: int
    resolution: Resolution = field(default_factory=lambda: GlobalName(""))


@dataclass(eq=False)
class Call:
    """``callee(arguments)``; ``line`` is the closing parenthesis."""

    callee: Expr
    arguments: list[Expr]
    line: int


@dataclass(eq=False)
class Get:
    """``obj.name`` (classes: stage 4 on)."""

    obj: Expr
    name: str
    line: int


@dataclass(eq=False)
class Set:
    """``obj.name = value`` (classes: stage 4 on)."""

    obj: Expr
    name: str
    value: Expr
    line: int


@dataclass(eq=False)
class This:
    """``this`` inside a method: resolved like a variable named ``this``."""

    line: int
    resolution: Resolution = field(default_factory=lambda: GlobalName(""))


@dataclass(eq=False)
class Super:
    """``super.method``: ``this`` and ``super`` resolved like variables."""

    method: str
    line: int
    this: Resolution = field(default_factory=lambda: GlobalName(""))
    superclass: Resolution = field(default_factory=lambda: GlobalName(""))


Expr = Union[Literal, Grouping, Unary, Binary, Logical, Variable, Assign, Call, Get, Set, This, Super]


# ---------------------------------------------------------------- statements


@dataclass(eq=False)
class Function:
    """A function body (also the top-level script and methods).

    ``params`` hold one binding each (slots 1..n). ``upvalues`` are what a
    closure of this function captures when it is created. ``slot_count`` is
    the number of frame slots the body needs (slot 0 included).
    """

    name: str
    kind: FunctionKind
    params: list[Binding]
    body: list[Stmt]
    line: int
    upvalues: list[UpvalueRef] = field(default_factory=list)
    slot_count: int = 1
    end_line: int = 0
    receiver: Binding | None = None   # slot 0's binding: ``this`` in a method (captured when a closure uses it)


@dataclass(eq=False)
class ExpressionStmt:
    """An expression evaluated for its effect."""

    expression: Expr
    line: int


@dataclass(eq=False)
class Print:
    """``print expr;``."""

    expression: Expr
    line: int


@dataclass(eq=False)
class Var:
    """``var name = init;``: ``binding`` is None for a global."""

    name: str
    initializer: Expr | None
    line: int
    binding: Binding | None = None


@dataclass(eq=False)
class Block:
    """``{ ... }``: a new scope."""

    statements: list[Stmt]
    line: int


@dataclass(eq=False)
class If:
    """``if (condition) then else otherwise``."""

    condition: Expr
    then_branch: Stmt
    else_branch: Stmt | None
    line: int


@dataclass(eq=False)
class While:
    """``while`` and desugared ``for``: ``increment`` runs after each ``body`` (the ``for`` step).

    A ``for`` becomes a ``Block`` holding its initializer and this loop.
    """

    condition: Expr
    body: Stmt
    line: int
    increment: Expr | None = None


@dataclass(eq=False)
class FunctionStmt:
    """``fun name(...) {...}``: ``binding`` is None for a global function."""

    function: Function
    line: int
    binding: Binding | None = None


@dataclass(eq=False)
class Return:
    """``return value;`` (``value`` None for a bare return)."""

    value: Expr | None
    line: int


@dataclass(eq=False)
class Class:
    """``class Name < Super { methods }`` (stage 4 on). ``binding`` None for a global class."""

    name: str
    superclass: Variable | None
    methods: list[Function]
    line: int
    binding: Binding | None = None
    super_binding: Binding | None = None


Stmt = Union[ExpressionStmt, Print, Var, Block, If, While, FunctionStmt, Return, Class]
