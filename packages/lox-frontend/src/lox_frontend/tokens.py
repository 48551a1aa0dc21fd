"""Token types and the Token record the scanner hands to the parser."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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


@dataclass(slots=True)
class Token:
    """One token: its type, its exact source text, and the line the scanner was on when it ended.

    For an ``ERROR`` token the lexeme is the error message (as in clox). A
    string token's lexeme includes both quotes; its line is the line of the
    closing quote (clox counts the newlines inside the string first).
    """

    type: TokenType
    lexeme: str
    line: int
