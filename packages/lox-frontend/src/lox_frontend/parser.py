"""The Pratt parser: builds the syntax tree with clox's exact token handling, errors and panic mode.

Its functions mirror clox's compiler one for one (declaration, statement,
block, function, parsePrecedence and the rule table...), consuming the same
tokens in the same order, so the errors it reports -- and the ones panic mode
suppresses -- are clox's. Where clox emits bytecode this builds nodes, and
where clox touches its variable state this calls the :class:`Resolver`.

Nesting is bounded: at most ``MAX_NESTING`` nested constructs (parentheses,
unary operands, right operands, argument lists, assigned values, blocks,
if/else/while/for bodies, function bodies); one more is the compile error
``Too much nesting.`` at the current token, and parsing stops there.
Left-associative chains (``a + b + c``, ``f()()``, ``a.b.c``, ``a and b or c``)
are parsed by a loop, not recursion, so they are unlimited -- their trees can
be deep on their left spine.
"""

from __future__ import annotations

import enum
import gc
import sys
import threading

from .errors import CompileError, CompileErrors
from .nodes import (
    Assign,
    Binary,
    Binding,
    Block,
    Call,
    Class,
    ExpressionStmt,
    Function,
    FunctionKind,
    FunctionStmt,
    Get,
    Grouping,
    If,
    Literal,
    Logical,
    Print,
    Return,
    Set,
    Super,
    This,
    Unary,
    Var,
    Variable,
    While,
)
from .resolver import Resolver
from .scanner import scan_tokens
from .tokens import Token, TokenType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .nodes import Expr, Stmt

MAX_NESTING = 25_000
"""Most nested constructs a program may have (see the module docstring)."""

# Python frames per nesting level: at most 4 (measured, e.g. _declaration ->
# _fun_declaration -> _function -> _block); doubled, plus room for the caller.
_RECURSION_LIMIT = MAX_NESTING * 8 + 20_000

T = TokenType

_SYNC_TOKENS = frozenset(
    {T.CLASS, T.FUN, T.VAR, T.FOR, T.IF, T.WHILE, T.PRINT, T.RETURN}
)


class Precedence(enum.IntEnum):
    """clox's precedence levels, lowest first."""

    NONE = 0
    ASSIGNMENT = 1  # =
    OR = 2  # or
    AND = 3  # and
    EQUALITY = 4  # == !=
    COMPARISON = 5  # < > <= >=
    TERM = 6  # + -
    FACTOR = 7  # * /
    UNARY = 8  # ! -
    CALL = 9  # . ()
    PRIMARY = 10


class _TooDeep(Exception):
    """Raised to stop parsing after ``Too much nesting.``."""


class Parser:
    """One parse of one source text (clox's Parser + compiler functions)."""

    def __init__(self, source: str, *, allow_classes: bool = True) -> None:
        """Prepare to parse ``source``; ``allow_classes=False`` makes ``class`` a compile error."""
        self._next_token: Callable[[], Token] = scan_tokens(source).__next__
        eof = Token(T.EOF, "", 1)
        self.current: Token = eof
        self.previous: Token = eof
        self.errors: list[CompileError] = []
        self._panic = False
        self._nesting = 0
        self._allow_classes = allow_classes
        self._resolver = Resolver(self._error)

    # ------------------------------------------------------------ errors

    def _error_at(self, token: Token, message: str) -> None:
        """Report ``message`` at ``token`` unless in panic mode; enter panic mode (clox's errorAt)."""
        if self._panic:
            return
        self._panic = True
        if token.type is T.EOF:
            where = " at end"
        elif token.type is T.ERROR:
            where = ""
        else:
            where = f" at '{token.lexeme}'"
        self.errors.append(CompileError(token.line, where, message))

    def _error(self, message: str) -> None:
        """Report at the previous token (clox's error)."""
        self._error_at(self.previous, message)

    def _error_at_current(self, message: str) -> None:
        """Report at the current token (clox's errorAtCurrent)."""
        self._error_at(self.current, message)

    def _enter(self) -> None:
        """Go one nesting level deeper; past MAX_NESTING, report at the current token and stop."""
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            self._too_deep()

    def _too_deep(self) -> None:
        """Report ``Too much nesting.`` at the current token (even in panic mode) and stop parsing."""
        self._panic = False
        self._error_at_current("Too much nesting.")
        raise _TooDeep

    # ------------------------------------------------------------ tokens

    def _advance(self) -> None:
        """Move to the next token, reporting (and skipping) scanner error tokens."""
        self.previous = self.current
        token = self._next_token()
        while token.type is T.ERROR:
            self._error_at(token, token.lexeme)
            token = self._next_token()
        self.current = token

    def _consume(self, type_: TokenType, message: str) -> None:
        """Consume a token of ``type_`` or report ``message`` at the current token."""
        if self.current.type is type_:
            self._advance()
            return
        self._error_at_current(message)

    def _check(self, type_: TokenType) -> bool:
        """Whether the current token has type ``type_``."""
        return self.current.type is type_

    def _match(self, type_: TokenType) -> bool:
        """Consume the current token if it has type ``type_``."""
        if self.current.type is not type_:
            return False
        self._advance()
        return True

    def _synchronize(self) -> None:
        """Leave panic mode and skip to a statement boundary (clox's synchronize)."""
        self._panic = False
        while self.current.type is not T.EOF:
            if self.previous.type is T.SEMICOLON:
                return
            if self.current.type in _SYNC_TOKENS:
                return
            self._advance()

    # ------------------------------------------------------------ entry

    def parse_script(self) -> Function:
        """Parse the whole source as the top-level script function (clox's compile)."""
        script = Function("script", FunctionKind.SCRIPT, [], [], 1)
        self._resolver.begin_function(script)
        self._advance()
        body = script.body
        while not self._match(T.EOF):
            body.append(self._declaration())
        script.end_line = self.previous.line
        self._resolver.end_function()
        return script

    # ------------------------------------------------------------ declarations

    def _declaration(self) -> Stmt:
        """A declaration or statement; resynchronizes afterwards if an error put us in panic mode."""
        kind = self.current.type
        stmt: Stmt
        if kind is T.CLASS:
            self._advance()
            if not self._allow_classes:
                self._error("Classes are not supported in this stage.")
            stmt = self._class_declaration()
        elif kind is T.FUN:
            self._advance()
            stmt = self._fun_declaration()
        elif kind is T.VAR:
            self._advance()
            stmt = self._var_declaration()
        else:
            stmt = self._statement()
        if self._panic:
            self._synchronize()
        return stmt

    def _parse_variable(self, message: str) -> Binding | None:
        """Consume a variable name and declare it: its local binding, or None for a global."""
        self._consume(T.IDENTIFIER, message)
        return self._resolver.declare(self.previous.lexeme)

    def _class_declaration(self) -> Class:
        """``class Name (< Super)? { methods }``."""
        line = self.previous.line
        resolver = self._resolver
        self._consume(T.IDENTIFIER, "Expect class name.")
        class_name = self.previous
        binding = resolver.declare(class_name.lexeme)
        resolver.define()
        resolver.begin_class()
        superclass: Variable | None = None
        super_binding: Binding | None = None
        if self._match(T.LESS):
            self._consume(T.IDENTIFIER, "Expect superclass name.")
            superclass = self._variable_read(self.previous)
            resolver.check_inherit(class_name.lexeme, self.previous.lexeme)
            resolver.begin_scope()
            super_binding = resolver.add_local("super")
            resolver.define()
            resolver.resolve(class_name.lexeme)  # clox loads the class for OP_INHERIT
            resolver.set_has_superclass()
        resolver.resolve(class_name.lexeme)  # clox loads the class to bind methods
        self._consume(T.LEFT_BRACE, "Expect '{' before class body.")
        methods: list[Function] = []
        while not self._check(T.RIGHT_BRACE) and not self._check(T.EOF):
            methods.append(self._method())
        self._consume(T.RIGHT_BRACE, "Expect '}' after class body.")
        if resolver.end_class():
            resolver.end_scope()
        return Class(class_name.lexeme, superclass, methods, line, binding, super_binding)

    def _method(self) -> Function:
        """One method of a class body; ``init`` is an initializer."""
        self._consume(T.IDENTIFIER, "Expect method name.")
        kind = FunctionKind.INITIALIZER if self.previous.lexeme == "init" else FunctionKind.METHOD
        return self._function(kind)

    def _fun_declaration(self) -> FunctionStmt:
        """``fun name(params) { body }``: the name is usable inside the body."""
        line = self.previous.line
        binding = self._parse_variable("Expect function name.")
        self._resolver.define()
        function = self._function(FunctionKind.FUNCTION)
        self._resolver.define()
        return FunctionStmt(function, line, binding)

    def _function(self, kind: FunctionKind) -> Function:
        """Parameters and body of a function named by the previous token (clox's function)."""
        name = self.previous
        function = Function(name.lexeme, kind, [], [], name.line)
        self._enter()
        resolver = self._resolver
        resolver.begin_function(function)
        resolver.begin_scope()
        self._consume(T.LEFT_PAREN, "Expect '(' after function name.")
        if not self._check(T.RIGHT_PAREN):
            arity = 0
            while True:
                arity += 1
                if arity > 255:
                    self._error_at_current("Can't have more than 255 parameters.")
                binding = self._parse_variable("Expect parameter name.")
                resolver.define()
                if binding is not None:
                    function.params.append(binding)
                if not self._match(T.COMMA):
                    break
        self._consume(T.RIGHT_PAREN, "Expect ')' after parameters.")
        self._consume(T.LEFT_BRACE, "Expect '{' before function body.")
        function.body = self._block()
        function.end_line = self.previous.line
        resolver.end_function()
        self._nesting -= 1
        return function

    def _var_declaration(self) -> Var:
        """``var name (= initializer)? ;``."""
        line = self.previous.line
        binding = self._parse_variable("Expect variable name.")
        name = self.previous.lexeme
        initializer: Expr | None = None
        if self._match(T.EQUAL):
            initializer = self._expression()
        self._consume(T.SEMICOLON, "Expect ';' after variable declaration.")
        self._resolver.define()
        return Var(name, initializer, line, binding)

    # ------------------------------------------------------------ statements

    def _statement(self) -> Stmt:
        """Any statement that is not a declaration."""
        kind = self.current.type
        if kind is T.PRINT:
            self._advance()
            return self._print_statement()
        if kind is T.FOR:
            self._advance()
            return self._for_statement()
        if kind is T.IF:
            self._advance()
            return self._if_statement()
        if kind is T.RETURN:
            self._advance()
            return self._return_statement()
        if kind is T.WHILE:
            self._advance()
            return self._while_statement()
        if kind is T.LEFT_BRACE:
            self._advance()
            line = self.previous.line
            self._enter()
            self._resolver.begin_scope()
            statements = self._block()
            self._resolver.end_scope()
            self._nesting -= 1
            return Block(statements, line)
        return self._expression_statement()

    def _body(self) -> Stmt:
        """The body of an if/else/while/for: one statement, one nesting level deeper."""
        self._enter()
        stmt = self._statement()
        self._nesting -= 1
        return stmt

    def _block(self) -> list[Stmt]:
        """Declarations up to the closing brace (the caller handles the scope)."""
        statements: list[Stmt] = []
        while not self._check(T.RIGHT_BRACE) and not self._check(T.EOF):
            statements.append(self._declaration())
        self._consume(T.RIGHT_BRACE, "Expect '}' after block.")
        return statements

    def _print_statement(self) -> Print:
        """``print expr;``."""
        line = self.previous.line
        value = self._expression()
        self._consume(T.SEMICOLON, "Expect ';' after value.")
        return Print(value, line)

    def _expression_statement(self) -> ExpressionStmt:
        """``expr;``; its line is the line of its first token."""
        line = self.current.line
        expr = self._expression()
        self._consume(T.SEMICOLON, "Expect ';' after expression.")
        return ExpressionStmt(expr, line)

    def _if_statement(self) -> If:
        """``if (cond) then (else otherwise)?``."""
        line = self.previous.line
        self._consume(T.LEFT_PAREN, "Expect '(' after 'if'.")
        condition = self._expression()
        self._consume(T.RIGHT_PAREN, "Expect ')' after condition.")
        then_branch = self._body()
        else_branch = self._body() if self._match(T.ELSE) else None
        return If(condition, then_branch, else_branch, line)

    def _while_statement(self) -> While:
        """``while (cond) body``."""
        line = self.previous.line
        self._consume(T.LEFT_PAREN, "Expect '(' after 'while'.")
        condition = self._expression()
        self._consume(T.RIGHT_PAREN, "Expect ')' after condition.")
        return While(condition, self._body(), line)

    def _for_statement(self) -> Block:
        """``for (init; cond; step) body``, desugared to ``{ init; while (cond) body [step] }``."""
        line = self.previous.line
        resolver = self._resolver
        resolver.begin_scope()
        self._consume(T.LEFT_PAREN, "Expect '(' after 'for'.")
        statements: list[Stmt] = []
        if self._match(T.SEMICOLON):
            pass
        elif self._match(T.VAR):
            statements.append(self._var_declaration())
        else:
            statements.append(self._expression_statement())
        condition: Expr = Literal(True, line)
        if not self._match(T.SEMICOLON):
            condition = self._expression()
            self._consume(T.SEMICOLON, "Expect ';' after loop condition.")
        increment: Expr | None = None
        if not self._match(T.RIGHT_PAREN):
            increment = self._expression()
            self._consume(T.RIGHT_PAREN, "Expect ')' after for clauses.")
        body = self._body()
        resolver.end_scope()
        statements.append(While(condition, body, line, increment))
        return Block(statements, line)

    def _return_statement(self) -> Return:
        """``return (value)? ;``."""
        line = self.previous.line
        self._resolver.check_return()
        if self._match(T.SEMICOLON):
            return Return(None, line)
        self._resolver.check_return_value()
        value = self._expression()
        self._consume(T.SEMICOLON, "Expect ';' after return value.")
        return Return(value, line)

    # ------------------------------------------------------------ expressions

    def _expression(self) -> Expr:
        """A whole expression (assignment precedence)."""
        return self._parse_precedence(Precedence.ASSIGNMENT)

    def _parse_precedence(self, precedence: int) -> Expr:
        """clox's parsePrecedence: a prefix rule, then infix rules binding at least this tightly."""
        self._advance()
        prefix = _PREFIX.get(self.previous.type)
        if prefix is None:
            self._error("Expect expression.")
            return Literal(None, self.previous.line)
        can_assign = precedence <= _ASSIGNMENT
        expr = prefix(self, can_assign)
        infix_precedence = _INFIX_PRECEDENCE
        while precedence <= infix_precedence[self.current.type]:
            self._advance()
            expr = _INFIX[self.previous.type](self, expr, can_assign)
        if can_assign and self._match(T.EQUAL):
            self._error("Invalid assignment target.")
        return expr

    def _nested(self, precedence: int) -> Expr:
        """An operand parsed one nesting level deeper."""
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            self._too_deep()
        expr = self._parse_precedence(precedence)
        self._nesting -= 1
        return expr

    def _argument_list(self) -> list[Expr]:
        """Arguments up to ``)`` (the ``(`` is consumed); the 256th is an error."""
        self._enter()
        arguments: list[Expr] = []
        if not self._check(T.RIGHT_PAREN):
            while True:
                arguments.append(self._expression())
                if len(arguments) == 256:
                    self._error("Can't have more than 255 arguments.")
                if not self._match(T.COMMA):
                    break
        self._consume(T.RIGHT_PAREN, "Expect ')' after arguments.")
        self._nesting -= 1
        return arguments

    # prefix rules

    def _grouping(self, can_assign: bool) -> Expr:
        """``( expr )``."""
        expr = self._nested(Precedence.ASSIGNMENT)
        self._consume(T.RIGHT_PAREN, "Expect ')' after expression.")
        return Grouping(expr, self.previous.line)

    def _unary(self, can_assign: bool) -> Expr:
        """``-x`` / ``!x``."""
        op = self.previous.lexeme
        operand = self._nested(Precedence.UNARY)
        return Unary(op, operand, self.previous.line)

    def _number(self, can_assign: bool) -> Expr:
        """A number literal."""
        return Literal(float(self.previous.lexeme), self.previous.line)

    def _string(self, can_assign: bool) -> Expr:
        """A string literal: the characters between the quotes."""
        return Literal(self.previous.lexeme[1:-1], self.previous.line)

    def _literal(self, can_assign: bool) -> Expr:
        """``true`` / ``false`` / ``nil``."""
        kind = self.previous.type
        value = True if kind is T.TRUE else False if kind is T.FALSE else None
        return Literal(value, self.previous.line)

    def _variable(self, can_assign: bool) -> Expr:
        """A variable read, or an assignment when allowed and followed by ``=``."""
        name = self.previous.lexeme
        resolution = self._resolver.resolve(name)
        if can_assign and self._match(T.EQUAL):
            value = self._nested(Precedence.ASSIGNMENT)
            return Assign(name, value, self.previous.line, resolution)
        return Variable(name, self.previous.line, resolution)

    def _variable_read(self, token: Token) -> Variable:
        """A plain read of the variable named by ``token`` (clox's variable(false))."""
        return Variable(token.lexeme, token.line, self._resolver.resolve(token.lexeme))

    def _this(self, can_assign: bool) -> Expr:
        """``this``: resolved like a local named "this" (slot 0 of a method)."""
        line = self.previous.line
        if not self._resolver.check_this():
            return This(line)
        return This(line, self._resolver.resolve("this"))

    def _super(self, can_assign: bool) -> Expr:
        """``super.name`` (or ``super.name(args)``, a call of it)."""
        resolver = self._resolver
        resolver.check_super()
        self._consume(T.DOT, "Expect '.' after 'super'.")
        self._consume(T.IDENTIFIER, "Expect superclass method name.")
        method = self.previous.lexeme
        method_line = self.previous.line
        this = resolver.resolve("this")
        if self._match(T.LEFT_PAREN):
            arguments = self._argument_list()
            superclass = resolver.resolve("super")
            return Call(Super(method, method_line, this, superclass), arguments, self.previous.line)
        return Super(method, method_line, this, resolver.resolve("super"))

    # infix rules

    def _binary(self, left: Expr, can_assign: bool) -> Expr:
        """Arithmetic, comparison, equality: left-associative."""
        op = self.previous
        right = self._nested(_INFIX_PRECEDENCE[op.type] + 1)
        return Binary(op.lexeme, left, right, self.previous.line)

    def _logical(self, left: Expr, can_assign: bool) -> Expr:
        """``and`` / ``or`` (built left-associative; same tokens and errors as clox's right recursion)."""
        op = self.previous
        right = self._nested(_INFIX_PRECEDENCE[op.type] + 1)
        return Logical(op.lexeme, left, right, self.previous.line)

    def _call(self, callee: Expr, can_assign: bool) -> Expr:
        """``callee(args)``; the line is the closing parenthesis."""
        arguments = self._argument_list()
        return Call(callee, arguments, self.previous.line)

    def _dot(self, obj: Expr, can_assign: bool) -> Expr:
        """``obj.name``, ``obj.name = value`` or ``obj.name(args)``."""
        self._consume(T.IDENTIFIER, "Expect property name after '.'.")
        name = self.previous.lexeme
        name_line = self.previous.line
        if can_assign and self._match(T.EQUAL):
            value = self._nested(Precedence.ASSIGNMENT)
            return Set(obj, name, value, self.previous.line)
        if self._match(T.LEFT_PAREN):
            arguments = self._argument_list()
            return Call(Get(obj, name, name_line), arguments, self.previous.line)
        return Get(obj, name, name_line)


if TYPE_CHECKING:
    _PrefixRule = Callable[[Parser, bool], Expr]
    _InfixRule = Callable[[Parser, Expr, bool], Expr]

RULES: dict[TokenType, tuple[_PrefixRule | None, _InfixRule | None, Precedence]] = {
    T.LEFT_PAREN: (Parser._grouping, Parser._call, Precedence.CALL),
    T.DOT: (None, Parser._dot, Precedence.CALL),
    T.MINUS: (Parser._unary, Parser._binary, Precedence.TERM),
    T.PLUS: (None, Parser._binary, Precedence.TERM),
    T.SLASH: (None, Parser._binary, Precedence.FACTOR),
    T.STAR: (None, Parser._binary, Precedence.FACTOR),
    T.BANG: (Parser._unary, None, Precedence.NONE),
    T.BANG_EQUAL: (None, Parser._binary, Precedence.EQUALITY),
    T.EQUAL_EQUAL: (None, Parser._binary, Precedence.EQUALITY),
    T.GREATER: (None, Parser._binary, Precedence.COMPARISON),
    T.GREATER_EQUAL: (None, Parser._binary, Precedence.COMPARISON),
    T.LESS: (None, Parser._binary, Precedence.COMPARISON),
    T.LESS_EQUAL: (None, Parser._binary, Precedence.COMPARISON),
    T.IDENTIFIER: (Parser._variable, None, Precedence.NONE),
    T.STRING: (Parser._string, None, Precedence.NONE),
    T.NUMBER: (Parser._number, None, Precedence.NONE),
    T.AND: (None, Parser._logical, Precedence.AND),
    T.OR: (None, Parser._logical, Precedence.OR),
    T.FALSE: (Parser._literal, None, Precedence.NONE),
    T.NIL: (Parser._literal, None, Precedence.NONE),
    T.TRUE: (Parser._literal, None, Precedence.NONE),
    T.SUPER: (Parser._super, None, Precedence.NONE),
    T.THIS: (Parser._this, None, Precedence.NONE),
}
"""clox's parse rule table: token type -> (prefix rule, infix rule, infix precedence).

Token types not listed have no rules and precedence NONE."""

_PREFIX: dict[TokenType, _PrefixRule] = {t: r[0] for t, r in RULES.items() if r[0] is not None}
_INFIX: dict[TokenType, _InfixRule] = {t: r[1] for t, r in RULES.items() if r[1] is not None}
_ASSIGNMENT = int(Precedence.ASSIGNMENT)
_INFIX_PRECEDENCE: dict[TokenType, int] = {
    t: int(RULES[t][2]) if t in RULES else int(Precedence.NONE) for t in TokenType
}


_limit_lock = threading.Lock()
_limit_users = 0
_limit_saved = 0


def _raise_recursion_limit() -> None:
    """Make room for MAX_NESTING while a parse runs (shared by concurrent parses)."""
    global _limit_users, _limit_saved
    with _limit_lock:
        if _limit_users == 0:
            _limit_saved = sys.getrecursionlimit()
            if _limit_saved < _RECURSION_LIMIT:
                sys.setrecursionlimit(_RECURSION_LIMIT)
        _limit_users += 1


def _restore_recursion_limit() -> None:
    """Put back the caller's recursion limit when the last running parse ends (unless changed meanwhile)."""
    global _limit_users
    with _limit_lock:
        _limit_users -= 1
        if _limit_users == 0 and _limit_saved < _RECURSION_LIMIT == sys.getrecursionlimit():
            sys.setrecursionlimit(_limit_saved)


def parse(source: str, *, allow_classes: bool = True) -> Function:
    """Parse and resolve a whole program; raise :class:`CompileErrors` listing every error clox reports.

    ``source`` is the file's bytes decoded as latin-1. Returns the top-level
    script function (``name="script"``, ``kind=SCRIPT``, ``line=1``). While it
    runs it raises the interpreter's recursion limit as ``MAX_NESTING`` needs
    (putting the old one back afterwards) and pauses the cyclic garbage
    collector (the tree has no cycles to find).
    """
    parser = Parser(source, allow_classes=allow_classes)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    _raise_recursion_limit()
    try:
        script = parser.parse_script()
    except _TooDeep:
        raise CompileErrors(parser.errors) from None
    except RecursionError:
        # Only when called with most of the Python stack already used.
        parser._panic = False
        parser._error_at_current("Too much nesting.")
        raise CompileErrors(parser.errors) from None
    finally:
        _restore_recursion_limit()
        if gc_was_enabled:
            gc.enable()
    if parser.errors:
        raise CompileErrors(parser.errors)
    return script
