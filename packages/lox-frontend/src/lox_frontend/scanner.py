"""The scanner: turns Lox source text into tokens, exactly as clox's scanner does.

clox's character classes are ASCII only: letters ``a-z A-Z _``, digits ``0-9``,
whitespace `` \\t \\r \\n``. Any other character outside a string or comment
(including every byte >= 0x80 of latin-1 decoded text) is an "Unexpected
character." error token. clox reads source as a NUL-terminated C string, so a
NUL character ends the source: nothing after it is scanned.

Speed: one regular expression cuts the text into lexemes in C (``findall``);
Python then only classifies each lexeme by its first character. A 10 MB
string literal is one lexeme; a million tokens take a second or two.
"""

from __future__ import annotations

import re

from .tokens import KEYWORDS, PUNCTUATION, Token, TokenType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# Skip blanks and comments, then capture one lexeme: a run of newlines (only
# counted), a name, a number, a string (maybe unterminated), a two-character
# operator, any other single character, or the empty end of the text.
_LEXEME_RE = re.compile(
    r"(?:[ \t\r]+|//[^\n]*)*"
    r'(\n+|[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:\.[0-9]+)?|"[^"]*"?|!=|==|<=|>=|.|\Z)',
    re.DOTALL,
)

UNTERMINATED_STRING = "Unterminated string."
UNEXPECTED_CHARACTER = "Unexpected character."

_NAME, _NUMBER, _STRING, _NEWLINES, _PUNCT, _BAD = range(6)


def _classify(c: str) -> int:
    """What kind of lexeme starts with character ``c``."""
    if c.isascii() and (c.isalpha() or c == "_"):
        return _NAME
    if c in "0123456789":
        return _NUMBER
    if c == '"':
        return _STRING
    if c == "\n":
        return _NEWLINES
    if c in PUNCTUATION:
        return _PUNCT
    return _BAD


_FIRST_CHAR = {chr(i): _classify(chr(i)) for i in range(256)}


def source_end(source: str) -> int:
    """Where clox stops reading ``source``: the first NUL character, else its length."""
    nul = source.find("\0")
    return len(source) if nul < 0 else nul


def scan_tokens(source: str) -> Iterator[Token]:
    """Yield the tokens of ``source`` in order, then ``EOF`` tokens forever (as clox's scanToken does).

    Error tokens (type ``ERROR``) carry the message as their lexeme.
    """
    line = 1
    keywords = KEYWORDS
    punctuation = PUNCTUATION
    first_char = _FIRST_CHAR
    identifier = TokenType.IDENTIFIER
    number = TokenType.NUMBER
    for lexeme in _LEXEME_RE.findall(source, 0, source_end(source)):
        if not lexeme:
            break
        kind = first_char.get(lexeme[0], _BAD)
        if kind == _NAME:
            yield Token(keywords.get(lexeme, identifier), lexeme, line)
        elif kind == _PUNCT:
            yield Token(punctuation[lexeme], lexeme, line)
        elif kind == _NEWLINES:
            line += len(lexeme)
        elif kind == _NUMBER:
            yield Token(number, lexeme, line)
        elif kind == _STRING:
            line += lexeme.count("\n")
            if len(lexeme) >= 2 and lexeme[-1] == '"':
                yield Token(TokenType.STRING, lexeme, line)
            else:
                yield Token(TokenType.ERROR, UNTERMINATED_STRING, line)
        else:
            yield Token(TokenType.ERROR, UNEXPECTED_CHARACTER, line)
    eof = Token(TokenType.EOF, "", line)
    while True:
        yield eof


def tokenize(source: str) -> list[Token]:
    """All tokens of ``source`` up to and including the first ``EOF`` (for tests and tools)."""
    out: list[Token] = []
    for token in scan_tokens(source):
        out.append(token)
        if token.type is TokenType.EOF:
            return out
    raise AssertionError("unreachable: the scanner always ends with EOF")
