"""Token types and the Token record the scanner hands to the parser."""

from __future__ import annotations

import enum


class TokenType(enum.Enum):
    """Every kind of token clox's scanner produces."""

    # Members are singletons compared by identity: hash them by identity too,
    # in C (Enum's default __hash__ is Python code, slow in the parser's tables).
    __hash__ = object.__hash__

    # Single-character tokens.
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    LEFT_BRACE = "{"
    RIGHT_BRACE = "}"
    COMMA = ","
    DOT = "."
    MINUS = "-"
    PLUS = "+"
    SEMICOLON = ";"
    SLASH = "/"
    STAR = "*"
    # One or two character tokens.
    BANG = "!"
    BANG_EQUAL = "!="
    EQUAL = "="
    EQUAL_EQUAL = "=="
    GREATER = ">"
    GREATER_EQUAL = ">="
    LESS = "<"
    LESS_EQUAL = "<="
    # Literals.
    IDENTIFIER = "identifier"
    STRING = "string"
    NUMBER = "number"
    # Keywords.
    AND = "and"
    CLASS = "class"
    ELSE = "else"
    FALSE = "false"
    FOR = "for"
    FUN = "fun"
    IF = "if"
    NIL = "nil"
    OR = "or"
    PRINT = "print"
    RETURN = "return"
    SUPER = "super"
    THIS = "this"
    TRUE = "true"
    VAR = "var"
    WHILE = "while"
    # Special.
    ERROR = "error"
    EOF = "eof"


KEYWORDS: dict[str, TokenType] = {
    t.value: t
    for t in TokenType
    if t.value.isalpha() and t.value.islower()
    and t not in (TokenType.IDENTIFIER, TokenType.STRING, TokenType.NUMBER,
                  TokenType.ERROR, TokenType.EOF)
}
"""Reserved words, mapped to their token types."""

PUNCTUATION: dict[str, TokenType] = {
    t.value: t for t in TokenType if not t.value.isalpha()
}
"""Operator and punctuation lexemes, mapped to their token types."""


class Token:
    """One token: its type, its exact source text, and the line the scanner was on when it ended.

    For an ``ERROR`` token the lexeme is the error message (as in clox). A
    string token's lexeme includes both quotes; its line is the line of the
    closing quote (clox counts the newlines inside the string first).
    Tokens compare by value (and, being mutable, are not hashable).
    """

    __slots__ = ("type", "lexeme", "line")

    def __init__(self, type: TokenType, lexeme: str, line: int) -> None:
        """A token of kind ``type`` with source text ``lexeme``, ending on ``line``."""
        self.type = type
        self.lexeme = lexeme
        self.line = line

    def __repr__(self) -> str:
        """``Token(type=..., lexeme=..., line=...)``, as a dataclass prints it."""
        return f"Token(type={self.type!r}, lexeme={self.lexeme!r}, line={self.line!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to a token with the same type, lexeme and line."""
        if type(other) is not Token:
            return NotImplemented
        return (self.type, self.lexeme, self.line) == (other.type, other.lexeme, other.line)
