"""The Lox syntax tree: one class per construct, each carrying the line clox would report.

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

The classes are hand-written ``__slots__`` records, not dataclasses (every run
imports this module, and generating dataclasses costs milliseconds). They
print as dataclasses do. The resolutions and ``UpvalueRef`` are immutable and
compare and hash by value; every other class compares by identity.
``Resolution``, ``Expr`` and ``Stmt`` exist for type checkers only: use them
in annotations, never at run time.
"""

from __future__ import annotations

import enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union


class FunctionKind(enum.Enum):
    """What a function body is: it decides what ``return`` and ``this`` mean."""

    SCRIPT = "script"
    FUNCTION = "function"
    METHOD = "method"
    INITIALIZER = "initializer"


class _Record:
    """Base of every class below: prints as ``Name(field=value, ...)``, as a dataclass does."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """The class name and every field, in declaration order."""
        cls = type(self)
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__slots__)
        return f"{cls.__qualname__}({fields})"


class _Frozen(_Record):
    """Base of the immutable records, which compare and hash by value: their fields can't be assigned."""

    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: the record is immutable."""
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        """Refuse: the record is immutable."""
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        """Copy and pickle by calling the class with the fields (they can't be set one by one)."""
        return type(self), tuple(getattr(self, name) for name in type(self).__slots__)


_set = object.__setattr__  # how a frozen record's __init__ fills in its fields


class Binding(_Record):
    """One declared local variable (or parameter): its frame slot and whether a closure captures it."""

    __slots__ = ("name", "slot", "captured")

    def __init__(self, name: str, slot: int, captured: bool = False) -> None:
        """A local ``name`` living in frame slot ``slot``."""
        self.name = name
        self.slot = slot
        self.captured = captured


class LocalSlot(_Frozen):
    """A use of a local of the running function."""

    __slots__ = ("binding",)
    binding: Binding

    def __init__(self, binding: Binding) -> None:
        """A use of the local ``binding``."""
        _set(self, "binding", binding)

    def __eq__(self, other: object) -> bool:
        """Equal to a ``LocalSlot`` of the same binding."""
        if type(other) is not LocalSlot:
            return NotImplemented
        return (self.binding,) == (other.binding,)

    def __hash__(self) -> int:
        """Hashed by value, as a frozen dataclass is."""
        return hash((self.binding,))


class UpvalueSlot(_Frozen):
    """A use of a captured variable, through the running closure's upvalue ``index``."""

    __slots__ = ("index",)
    index: int

    def __init__(self, index: int) -> None:
        """A use of the running closure's upvalue ``index``."""
        _set(self, "index", index)

    def __eq__(self, other: object) -> bool:
        """Equal to an ``UpvalueSlot`` of the same index."""
        if type(other) is not UpvalueSlot:
            return NotImplemented
        return (self.index,) == (other.index,)

    def __hash__(self) -> int:
        """Hashed by value, as a frozen dataclass is."""
        return hash((self.index,))


class GlobalName(_Frozen):
    """A use of a late-bound global, looked up by ``name``."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        """A use of the global ``name``."""
        _set(self, "name", name)

    def __eq__(self, other: object) -> bool:
        """Equal to a ``GlobalName`` of the same name."""
        if type(other) is not GlobalName:
            return NotImplemented
        return (self.name,) == (other.name,)

    def __hash__(self) -> int:
        """Hashed by value, as a frozen dataclass is."""
        return hash((self.name,))


if TYPE_CHECKING:
    Resolution = Union[LocalSlot, UpvalueSlot, GlobalName]

_UNRESOLVED = GlobalName("")
"""What a use resolves to until the resolver says (immutable, so one instance serves every node)."""


class UpvalueRef(_Frozen):
    """How a closure finds one captured variable when it is created.

    ``is_local``: ``index`` is a slot of the enclosing function (its binding is
    ``captured``); otherwise ``index`` is one of the enclosing closure's upvalues.
    """

    __slots__ = ("is_local", "index", "name")
    is_local: bool
    index: int
    name: str

    def __init__(self, is_local: bool, index: int, name: str) -> None:
        """The capture of variable ``name`` from the enclosing function's slot or upvalue ``index``."""
        _set(self, "is_local", is_local)
        _set(self, "index", index)
        _set(self, "name", name)

    def __eq__(self, other: object) -> bool:
        """Equal to an ``UpvalueRef`` with the same fields."""
        if type(other) is not UpvalueRef:
            return NotImplemented
        return (self.is_local, self.index, self.name) == (other.is_local, other.index, other.name)

    def __hash__(self) -> int:
        """Hashed by value, as a frozen dataclass is."""
        return hash((self.is_local, self.index, self.name))


# ---------------------------------------------------------------- expressions


class Literal(_Record):
    """``nil``, ``true``, ``false``, a number or a string literal."""

    __slots__ = ("value", "line")

    def __init__(self, value: None | bool | float | str, line: int) -> None:
        """The literal ``value``."""
        self.value = value
        self.line = line


class Grouping(_Record):
    """A parenthesised expression (kept so dumps show the source shape)."""

    __slots__ = ("expression", "line")

    def __init__(self, expression: Expr, line: int) -> None:
        """``(expression)``."""
        self.expression = expression
        self.line = line


class Unary(_Record):
    """``-x`` or ``!x``; ``op`` is ``"-"`` or ``"!"``."""

    __slots__ = ("op", "operand", "line")

    def __init__(self, op: str, operand: Expr, line: int) -> None:
        """``op operand``."""
        self.op = op
        self.operand = operand
        self.line = line


class Binary(_Record):
    """Arithmetic, comparison and equality; ``op`` is the operator's lexeme (``"+"``, ``"<="``, ``"=="``...)."""

    __slots__ = ("op", "left", "right", "line")

    def __init__(self, op: str, left: Expr, right: Expr, line: int) -> None:
        """``left op right``."""
        self.op = op
        self.left = left
        self.right = right
        self.line = line


class Logical(_Record):
    """Short-circuit ``and`` / ``or``: yields an operand's value."""

    __slots__ = ("op", "left", "right", "line")

    def __init__(self, op: str, left: Expr, right: Expr, line: int) -> None:
        """``left and right`` or ``left or right``."""
        self.op = op
        self.left = left
        self.right = right
        self.line = line


class Variable(_Record):
    """A read of a variable."""

    __slots__ = ("name", "line", "resolution")

    def __init__(self, name: str, line: int, resolution: Resolution = _UNRESOLVED) -> None:
        """A read of ``name``, which lives where ``resolution`` says."""
        self.name = name
        self.line = line
        self.resolution = resolution


class Assign(_Record):
    """``name = value``: an expression yielding ``value``."""

    __slots__ = ("name", "value", "line", "resolution")

    def __init__(self, name: str, value: Expr, line: int, resolution: Resolution = _UNRESOLVED) -> None:
        """``name = value``, ``name`` living where ``resolution`` says."""
        self.name = name
        self.value = value
        self.line = line
        self.resolution = resolution


class Call(_Record):
    """``callee(arguments)``; ``line`` is the closing parenthesis."""

    __slots__ = ("callee", "arguments", "line")

    def __init__(self, callee: Expr, arguments: list[Expr], line: int) -> None:
        """``callee(arguments)``."""
        self.callee = callee
        self.arguments = arguments
        self.line = line


class Get(_Record):
    """``obj.name`` (classes: stage 4 on)."""

    __slots__ = ("obj", "name", "line")

    def __init__(self, obj: Expr, name: str, line: int) -> None:
        """``obj.name``."""
        self.obj = obj
        self.name = name
        self.line = line


class Set(_Record):
    """``obj.name = value`` (classes: stage 4 on)."""

    __slots__ = ("obj", "name", "value", "line")

    def __init__(self, obj: Expr, name: str, value: Expr, line: int) -> None:
        """``obj.name = value``."""
        self.obj = obj
        self.name = name
        self.value = value
        self.line = line


class This(_Record):
    """``this`` inside a method: resolved like a variable named ``this``."""

    __slots__ = ("line", "resolution")

    def __init__(self, line: int, resolution: Resolution = _UNRESOLVED) -> None:
        """``this``, living where ``resolution`` says."""
        self.line = line
        self.resolution = resolution


class Super(_Record):
    """``super.method``: ``this`` and ``super`` resolved like variables."""

    __slots__ = ("method", "line", "this", "superclass")

    def __init__(
        self, method: str, line: int, this: Resolution = _UNRESOLVED, superclass: Resolution = _UNRESOLVED
    ) -> None:
        """``super.method``, with where ``this`` and ``super`` live."""
        self.method = method
        self.line = line
        self.this = this
        self.superclass = superclass


if TYPE_CHECKING:
    Expr = Union[Literal, Grouping, Unary, Binary, Logical, Variable, Assign, Call, Get, Set, This, Super]


# ---------------------------------------------------------------- statements


class Function(_Record):
    """A function body (also the top-level script and methods).

    ``params`` hold one binding each (slots 1..n). ``upvalues`` are what a
    closure of this function captures when it is created. ``slot_count`` is
    the number of frame slots the body needs (slot 0 included).
    """

    __slots__ = ("name", "kind", "params", "body", "line", "upvalues", "slot_count", "end_line", "receiver")

    def __init__(
        self,
        name: str,
        kind: FunctionKind,
        params: list[Binding],
        body: list[Stmt],
        line: int,
        upvalues: list[UpvalueRef] | None = None,
        slot_count: int = 1,
        end_line: int = 0,
        receiver: Binding | None = None,
    ) -> None:
        """A function ``name``; ``upvalues`` defaults to a new empty list."""
        self.name = name
        self.kind = kind
        self.params = params
        self.body = body
        self.line = line
        self.upvalues: list[UpvalueRef] = [] if upvalues is None else upvalues
        self.slot_count = slot_count
        self.end_line = end_line
        self.receiver = receiver  # slot 0's binding: ``this`` in a method (captured when a closure uses it)


class ExpressionStmt(_Record):
    """An expression evaluated for its effect."""

    __slots__ = ("expression", "line")

    def __init__(self, expression: Expr, line: int) -> None:
        """``expression;``."""
        self.expression = expression
        self.line = line


class Print(_Record):
    """``print expr;``."""

    __slots__ = ("expression", "line")

    def __init__(self, expression: Expr, line: int) -> None:
        """``print expression;``."""
        self.expression = expression
        self.line = line


class Var(_Record):
    """``var name = init;``: ``binding`` is None for a global."""

    __slots__ = ("name", "initializer", "line", "binding")

    def __init__(self, name: str, initializer: Expr | None, line: int, binding: Binding | None = None) -> None:
        """``var name = initializer;`` (no initializer: ``var name;``)."""
        self.name = name
        self.initializer = initializer
        self.line = line
        self.binding = binding


class Block(_Record):
    """``{ ... }``: a new scope."""

    __slots__ = ("statements", "line")

    def __init__(self, statements: list[Stmt], line: int) -> None:
        """``{ statements }``."""
        self.statements = statements
        self.line = line


class If(_Record):
    """``if (condition) then else otherwise``."""

    __slots__ = ("condition", "then_branch", "else_branch", "line")

    def __init__(self, condition: Expr, then_branch: Stmt, else_branch: Stmt | None, line: int) -> None:
        """``if (condition) then_branch else else_branch``."""
        self.condition = condition
        self.then_branch = then_branch
        self.else_branch = else_branch
        self.line = line


class While(_Record):
    """``while`` and desugared ``for``: ``increment`` runs after each ``body`` (the ``for`` step).

    A ``for`` becomes a ``Block`` holding its initializer and this loop.
    """

    __slots__ = ("condition", "body", "line", "increment")

    def __init__(self, condition: Expr, body: Stmt, line: int, increment: Expr | None = None) -> None:
        """``while (condition) body``, running ``increment`` after each ``body``."""
        self.condition = condition
        self.body = body
        self.line = line
        self.increment = increment


class FunctionStmt(_Record):
    """``fun name(...) {...}``: ``binding`` is None for a global function."""

    __slots__ = ("function", "line", "binding")

    def __init__(self, function: Function, line: int, binding: Binding | None = None) -> None:
        """The declaration of ``function``."""
        self.function = function
        self.line = line
        self.binding = binding


class Return(_Record):
    """``return value;`` (``value`` None for a bare return)."""

    __slots__ = ("value", "line")

    def __init__(self, value: Expr | None, line: int) -> None:
        """``return value;``."""
        self.value = value
        self.line = line


class Class(_Record):
    """``class Name < Super { methods }`` (stage 4 on). ``binding`` None for a global class."""

    __slots__ = ("name", "superclass", "methods", "line", "binding", "super_binding")

    def __init__(
        self,
        name: str,
        superclass: Variable | None,
        methods: list[Function],
        line: int,
        binding: Binding | None = None,
        super_binding: Binding | None = None,
    ) -> None:
        """``class name < superclass { methods }``."""
        self.name = name
        self.superclass = superclass
        self.methods = methods
        self.line = line
        self.binding = binding
        self.super_binding = super_binding


if TYPE_CHECKING:
    Stmt = Union[ExpressionStmt, Print, Var, Block, If, While, FunctionStmt, Return, Class]
