"""Scopes, slots, upvalues and the semantic compile errors, driven by the parser as it goes.

This is the variable bookkeeping half of clox's single-pass compiler. The
parser calls it at exactly the points clox's compiler touches its ``Compiler``
/ ``ClassCompiler`` state (``begin_scope``, ``declare``, ``define``,
``resolve``, ``end_scope``...), so semantic errors come out in clox's order
and go through the parser's panic-mode reporting (the ``report`` callback
reports at the parser's previous token, like clox's ``error()``).

Differences from clox, on purpose: no limit on locals or upvalues, and
lookups use a name index instead of a linear scan (same answers, linear time).
"""

from __future__ import annotations

from .nodes import (
    Binding,
    Function,
    FunctionKind,
    GlobalName,
    LocalSlot,
    UpvalueRef,
    UpvalueSlot,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .nodes import Resolution

UNINITIALIZED = -1
"""A local's ``depth`` between its declaration and its definition (clox's -1)."""


class _Local:
    """A local variable in scope: ``depth`` is UNINITIALIZED until defined; ``scope`` is where it was declared."""

    __slots__ = ("name", "depth", "scope", "binding")

    def __init__(self, name: str, depth: int, scope: int, binding: Binding) -> None:
        """Local ``name`` at ``depth``, declared at scope depth ``scope``."""
        self.name = name
        self.depth = depth
        self.scope = scope
        self.binding = binding


class _FunctionState:
    """What clox keeps in one ``Compiler``: the function's locals, upvalues and scope depth."""

    __slots__ = ("function", "enclosing", "scope_depth", "locals", "by_name", "upvalue_index", "max_locals")

    def __init__(
        self,
        function: Function,
        enclosing: _FunctionState | None,
        scope_depth: int = 0,
        locals: list[_Local] | None = None,
        by_name: dict[str, list[_Local]] | None = None,
        upvalue_index: dict[tuple[bool, int], int] | None = None,
        max_locals: int = 0,
    ) -> None:
        """Compiling ``function`` inside ``enclosing`` (None: the script); a container left None starts empty."""
        self.function = function
        self.enclosing = enclosing
        self.scope_depth = scope_depth
        self.locals: list[_Local] = [] if locals is None else locals
        self.by_name: dict[str, list[_Local]] = {} if by_name is None else by_name
        self.upvalue_index: dict[tuple[bool, int], int] = {} if upvalue_index is None else upvalue_index
        self.max_locals = max_locals


class _ClassState:
    """What clox keeps in one ``ClassCompiler``."""

    __slots__ = ("has_superclass",)

    def __init__(self, has_superclass: bool = False) -> None:
        """A class being compiled; ``has_superclass`` is set once its ``<`` clause is seen."""
        self.has_superclass = has_superclass


class Resolver:
    """Resolves names while the parser runs; reports semantic errors through ``report``."""

    def __init__(self, report: Callable[[str], None]) -> None:
        """Start with no function; ``report(message)`` reports an error at the parser's previous token."""
        self._report = report
        self._fn: _FunctionState | None = None
        self._classes: list[_ClassState] = []

    # ------------------------------------------------------------ functions

    @property
    def _state(self) -> _FunctionState:
        """The innermost function being compiled."""
        state = self._fn
        assert state is not None, "no function is being compiled"
        return state

    def begin_function(self, function: Function) -> None:
        """Start compiling ``function`` (clox's initCompiler): slot 0 is reserved for the callee / ``this``."""
        self._fn = _FunctionState(function, self._fn)
        slot0 = "" if function.kind is FunctionKind.FUNCTION else "this"
        function.receiver = self._push_local(slot0, depth=0)

    def end_function(self) -> Function:
        """Finish the innermost function (clox's endCompiler): fill in ``slot_count`` and ``upvalues``."""
        state = self._state
        state.function.slot_count = state.max_locals
        self._fn = state.enclosing
        return state.function

    @property
    def function_kind(self) -> FunctionKind:
        """The kind of the function being compiled."""
        return self._state.function.kind

    # ------------------------------------------------------------ scopes

    @property
    def scope_depth(self) -> int:
        """Block nesting inside the current function; 0 means declarations are globals."""
        return self._state.scope_depth

    def begin_scope(self) -> None:
        """Enter a block scope."""
        self._state.scope_depth += 1

    def end_scope(self) -> None:
        """Leave a block scope: its locals go out of scope and their slots become free again."""
        state = self._state
        state.scope_depth -= 1
        locals_ = state.locals
        while locals_ and locals_[-1].depth > state.scope_depth:
            local = locals_.pop()
            same_name = state.by_name[local.name]
            same_name.pop()
            if not same_name:
                del state.by_name[local.name]

    def _push_local(self, name: str, depth: int) -> Binding:
        """Put a new local on top of the current function's locals (clox's addLocal, without its limit)."""
        state = self._state
        binding = Binding(name, len(state.locals))
        local = _Local(name, depth, state.scope_depth, binding)
        state.locals.append(local)
        state.by_name.setdefault(name, []).append(local)
        if len(state.locals) > state.max_locals:
            state.max_locals = len(state.locals)
        return binding

    def add_local(self, name: str) -> Binding:
        """Declare a local without the duplicate check (clox's addLocal; used for ``super``)."""
        return self._push_local(name, UNINITIALIZED)

    def declare(self, name: str) -> Binding | None:
        """Declare a variable (clox's declareVariable): None at global scope, else its new local binding."""
        state = self._state
        if state.scope_depth == 0:
            return None
        same_name = state.by_name.get(name)
        if same_name and same_name[-1].scope == state.scope_depth:
            self._report("Already a variable with this name in this scope.")
        return self._push_local(name, UNINITIALIZED)

    def define(self) -> None:
        """Mark the newest local initialized (clox's markInitialized / defineVariable); no-op for globals."""
        state = self._state
        if state.scope_depth == 0:
            return
        state.locals[-1].depth = state.scope_depth

    # ------------------------------------------------------------ lookups

    def _resolve_local(self, state: _FunctionState, name: str) -> _Local | None:
        """The innermost local of ``state`` named ``name`` (clox's resolveLocal, with its error)."""
        same_name = state.by_name.get(name)
        if not same_name:
            return None
        local = same_name[-1]
        if local.depth == UNINITIALIZED:
            self._report("Can't read local variable in its own initializer.")
        return local

    @staticmethod
    def _add_upvalue(state: _FunctionState, is_local: bool, index: int, name: str) -> int:
        """Index of the upvalue (is_local, index) in ``state``'s function, adding it if new (clox's addUpvalue)."""
        key = (is_local, index)
        found = state.upvalue_index.get(key)
        if found is not None:
            return found
        upvalues = state.function.upvalues
        upvalues.append(UpvalueRef(is_local, index, name))
        state.upvalue_index[key] = len(upvalues) - 1
        return len(upvalues) - 1

    def resolve(self, name: str) -> Resolution:
        """Where a use of ``name`` lives: local slot, upvalue (capturing it on the way), or global."""
        state = self._state
        local = self._resolve_local(state, name)
        if local is not None:
            return LocalSlot(local.binding)
        # clox's resolveUpvalue, iteratively: find the nearest enclosing function
        # holding the local, then thread an upvalue through each function inside it.
        path: list[_FunctionState] = []
        inner = state
        while inner.enclosing is not None:
            local = self._resolve_local(inner.enclosing, name)
            if local is not None:
                local.binding.captured = True
                index = self._add_upvalue(inner, True, local.binding.slot, name)
                for fn_state in reversed(path):
                    index = self._add_upvalue(fn_state, False, index, name)
                return UpvalueSlot(index)
            path.append(inner)
            inner = inner.enclosing
        return GlobalName(name)

    # ------------------------------------------------------------ statements

    def check_return(self) -> None:
        """A ``return`` statement starts: an error at top level."""
        if self._state.function.kind is FunctionKind.SCRIPT:
            self._report("Can't return from top-level code.")

    def check_return_value(self) -> None:
        """A ``return`` has a value: an error in an initializer."""
        if self._state.function.kind is FunctionKind.INITIALIZER:
            self._report("Can't return a value from an initializer.")

    # ------------------------------------------------------------ classes

    def begin_class(self) -> None:
        """Enter a class body (clox pushes its ClassCompiler before the superclass clause)."""
        self._classes.append(_ClassState())

    def set_has_superclass(self) -> None:
        """The class being compiled has a superclass."""
        self._classes[-1].has_superclass = True

    def end_class(self) -> bool:
        """Leave the class body; returns whether it had a superclass."""
        return self._classes.pop().has_superclass

    def check_inherit(self, class_name: str, superclass_name: str) -> None:
        """``class A < A``: a class can't inherit from itself."""
        if class_name == superclass_name:
            self._report("A class can't inherit from itself.")

    def check_this(self) -> bool:
        """A ``this`` expression: reports outside a class; returns whether to resolve it (clox returns early)."""
        if not self._classes:
            self._report("Can't use 'this' outside of a class.")
            return False
        return True

    def check_super(self) -> None:
        """A ``super`` expression: reports outside a class, or in a class with no superclass."""
        if not self._classes:
            self._report("Can't use 'super' outside of a class.")
        elif not self._classes[-1].has_superclass:
            self._report("Can't use 'super' in a class with no superclass.")
