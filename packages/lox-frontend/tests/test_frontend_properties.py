"""Property tests: the front end never crashes, and its output keeps its promises."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lox_frontend import CompileErrors, nodes, parse
from lox_frontend.astdump import dump
from lox_frontend.scanner import tokenize
from lox_frontend.tokens import KEYWORDS, PUNCTUATION, TokenType

ERROR_LINE = re.compile(r"\[line \d+\] Error( at '.*'| at end)?: [A-Z].*\.", re.DOTALL)

latin1_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=200)

LEXEMES = (
    list(KEYWORDS)
    + [p for p in PUNCTUATION]
    + ["a", "b", "init", "x1", "_y", "0", "12.5", '"s"', '"multi\nline"', "\n", "@"]
)
token_soup = st.lists(st.sampled_from(LEXEMES), max_size=60).map(" ".join)


def check_outcome(source: str) -> None:
    """``parse`` either returns a script or raises CompileErrors with well-formed errors."""
    try:
        fn = parse(source)
    except CompileErrors as e:
        assert e.errors
        for err in e.errors:
            assert ERROR_LINE.fullmatch(str(err)), str(err)
            assert err.where in ("", " at end") or err.where.startswith(" at '")
        return
    assert fn.kind is nodes.FunctionKind.SCRIPT and fn.name == "script"
    assert dump(fn).startswith("Function script")


@settings(max_examples=300, deadline=None)
@given(latin1_text)
def test_arbitrary_bytes_never_crash(source: str) -> None:
    check_outcome(source)


@settings(max_examples=500, deadline=None)
@given(token_soup)
def test_token_soup_never_crashes(source: str) -> None:
    check_outcome(source)


@settings(max_examples=200, deadline=None)
@given(token_soup)
def test_classes_disallowed_never_crashes(source: str) -> None:
    try:
        parse(source, allow_classes=False)
    except CompileErrors as e:
        assert e.errors


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([lx for lx in LEXEMES if lx not in ("\n", "@")]), max_size=40))
def test_scanner_roundtrip(lexemes: list[str]) -> None:
    source = " ".join(lexemes)
    toks = tokenize(source)
    assert toks[-1].type is TokenType.EOF
    assert [t.lexeme for t in toks[:-1]] == lexemes


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**30), st.integers(min_value=0, max_value=10**6))
def test_number_literals(whole: int, frac: int) -> None:
    text = f"{whole}.{frac}"
    stmt = parse(f"print {text};").body[0]
    assert isinstance(stmt, nodes.Print) and isinstance(stmt.expression, nodes.Literal)
    assert stmt.expression.value == float(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255, blacklist_characters='"'), max_size=50))
def test_string_literals_are_raw(body: str) -> None:
    stmt = parse(f'print "{body}";').body[0]
    assert isinstance(stmt, nodes.Print) and isinstance(stmt.expression, nodes.Literal)
    assert stmt.expression.value == body
    assert stmt.expression.line == 1 + body.count("\n")
