"""Scanner tests: token types, lexemes, lines, error tokens, odd bytes."""

from __future__ import annotations

import time

import pytest

from lox_frontend.scanner import scan_tokens, tokenize
from lox_frontend.tokens import KEYWORDS, Token, TokenType as T


def kinds(source: str) -> list[T]:
    """Token types of ``source``, EOF included."""
    return [t.type for t in tokenize(source)]


def test_punctuation_and_operators() -> None:
    src = "(){};,.-+/*! != = == > >= < <="
    assert kinds(src) == [
        T.LEFT_PAREN, T.RIGHT_PAREN, T.LEFT_BRACE, T.RIGHT_BRACE, T.SEMICOLON,
        T.COMMA, T.DOT, T.MINUS, T.PLUS, T.SLASH, T.STAR, T.BANG, T.BANG_EQUAL,
        T.EQUAL, T.EQUAL_EQUAL, T.GREATER, T.GREATER_EQUAL, T.LESS, T.LESS_EQUAL,
        T.EOF,
    ]


def test_two_char_operators_are_greedy() -> None:
    assert kinds("!==") == [T.BANG_EQUAL, T.EQUAL, T.EOF]
    assert kinds("===") == [T.EQUAL_EQUAL, T.EQUAL, T.EOF]
    assert kinds("<==>") == [T.LESS_EQUAL, T.EQUAL, T.GREATER, T.EOF]


def test_keywords_and_identifiers() -> None:
    assert len(KEYWORDS) == 16
    for word, kind in KEYWORDS.items():
        assert kinds(word) == [kind, T.EOF]
    toks = tokenize("andy _x1 or_ While CLASS x_Y_9")
    assert [t.type for t in toks[:-1]] == [T.IDENTIFIER] * 6
    assert [t.lexeme for t in toks[:-1]] == ["andy", "_x1", "or_", "While", "CLASS", "x_Y_9"]


def test_numbers() -> None:
    toks = tokenize("123 12.5 0.001 007")
    assert [(t.type, t.lexeme) for t in toks[:-1]] == [
        (T.NUMBER, "123"), (T.NUMBER, "12.5"), (T.NUMBER, "0.001"), (T.NUMBER, "007"),
    ]
    # No leading or trailing dot: they are DOT tokens.
    assert [(t.type, t.lexeme) for t in tokenize("123.")[:-1]] == [(T.NUMBER, "123"), (T.DOT, ".")]
    assert [(t.type, t.lexeme) for t in tokenize(".5")[:-1]] == [(T.DOT, "."), (T.NUMBER, "5")]
    assert [t.lexeme for t in tokenize("1.2.3")[:-1]] == ["1.2", ".", "3"]
    assert [t.lexeme for t in tokenize("1.x")[:-1]] == ["1", ".", "x"]
    assert [t.lexeme for t in tokenize("12abc")[:-1]] == ["12", "abc"]


def test_strings_keep_quotes_and_raw_characters() -> None:
    toks = tokenize(r'"a\nb" ""')
    assert toks[0] == Token(T.STRING, r'"a\nb"', 1)
    assert toks[1] == Token(T.STRING, '""', 1)


def test_multiline_string_has_line_of_closing_quote() -> None:
    toks = tokenize('x "a\nb\nc" y')
    assert toks[0].line == 1
    assert toks[1] == Token(T.STRING, '"a\nb\nc"', 3)
    assert toks[2] == Token(T.IDENTIFIER, "y", 3)


def test_unterminated_string_is_error_token_at_end_line() -> None:
    toks = tokenize('x "abc\ndef\n')
    assert toks[1] == Token(T.ERROR, "Unterminated string.", 3)
    assert toks[2] == Token(T.EOF, "", 3)
    assert tokenize('"')[0] == Token(T.ERROR, "Unterminated string.", 1)


def test_lines_and_whitespace() -> None:
    toks = tokenize("a\n\tb\r\n  c\n\n")
    assert [(t.lexeme, t.line) for t in toks] == [("a", 1), ("b", 2), ("c", 3), ("", 5)]


def test_comments() -> None:
    assert kinds("// nothing here") == [T.EOF]
    toks = tokenize("a // comment ( ) \"\nb / c //")
    assert [(t.type, t.line) for t in toks] == [
        (T.IDENTIFIER, 1), (T.IDENTIFIER, 2), (T.SLASH, 2), (T.IDENTIFIER, 2), (T.EOF, 2),
    ]


def test_unexpected_characters() -> None:
    for c in "@#$%^&|~`?:[]\\'\f\v":
        toks = tokenize(f"a{c}b")
        assert toks[1] == Token(T.ERROR, "Unexpected character.", 1), repr(c)
        assert toks[2].lexeme == "b"


def test_latin1_bytes() -> None:
    # Every byte >= 0x80 is an unexpected character outside strings and comments ...
    for code in range(0x80, 0x100):
        toks = tokenize(chr(code))
        assert toks[0] == Token(T.ERROR, "Unexpected character.", 1)
    # ... including letters and digits that are not ASCII.
    assert kinds("é²") == [T.ERROR, T.ERROR, T.EOF]
    # Inside strings and comments they are just characters.
    high = "".join(chr(i) for i in range(0x80, 0x100))
    assert tokenize(f'"{high}" // {high}')[0] == Token(T.STRING, f'"{high}"', 1)


def test_nul_ends_the_source_like_clox() -> None:
    assert [t.lexeme for t in tokenize("a b\0c d")] == ["a", "b", ""]
    assert tokenize('"abc\0def"')[0] == Token(T.ERROR, "Unterminated string.", 1)
    assert kinds("\0print") == [T.EOF]


def test_eof_repeats_forever() -> None:
    it = scan_tokens("x")
    assert next(it).lexeme == "x"
    for _ in range(3):
        assert next(it) == Token(T.EOF, "", 1)


def test_empty_source() -> None:
    assert tokenize("") == [Token(T.EOF, "", 1)]


@pytest.mark.parametrize("size", [10_000_000])
def test_huge_string_is_fast(size: int) -> None:
    src = 'print "' + "x\n" * (size // 2) + '";'
    start = time.perf_counter()
    toks = tokenize(src)
    assert time.perf_counter() - start < 5
    assert toks[1].type is T.STRING
    assert len(toks[1].lexeme) == size + 2
    assert toks[1].line == size // 2 + 1
