"""Nesting limits, deep trees, threads, and big inputs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from frontend_helpers import errors, ok

from lox_frontend import MAX_NESTING, CompileErrors, nodes, parse
from lox_frontend.astdump import dump

N = MAX_NESTING


def test_max_nesting_value() -> None:
    assert MAX_NESTING == 25_000


def test_recursion_limit_and_gc_are_restored() -> None:
    import gc
    import sys

    before = sys.getrecursionlimit()
    assert gc.isenabled()
    ok(parens(1000))
    errors(parens(100_000))
    assert sys.getrecursionlimit() == before
    assert gc.isenabled()


def parens(k: int) -> str:
    return "print " + "(" * k + "1" + ")" * k + ";"


def blocks(k: int) -> str:
    return "{" * k + "}" * k


def test_deepest_parentheses_parse() -> None:
    fn = ok(parens(N))
    e = fn.body[0]
    assert isinstance(e, nodes.Print)
    depth = 0
    x: nodes.Expr = e.expression
    while isinstance(x, nodes.Grouping):
        depth += 1
        x = x.expression
    assert depth == N


def test_one_level_too_many_parentheses() -> None:
    assert errors(parens(N + 1)) == ["[line 1] Error at '1': Too much nesting."]


def test_100k_parentheses_clean_error() -> None:
    assert errors(parens(100_000)) == ["[line 1] Error at '(': Too much nesting."]


def test_deepest_blocks_parse_and_one_more_fails() -> None:
    ok(blocks(N))
    assert errors(blocks(N + 1)) == ["[line 1] Error at '}': Too much nesting."]
    assert errors(blocks(100_000)) == ["[line 1] Error at '{': Too much nesting."]


@pytest.mark.parametrize(
    "make",
    [
        lambda k: "print " + "-" * k + "1;",
        lambda k: "print " + "!" * k + "true;",
        lambda k: "print " + "f(" * k + ")" * k + ";",
        lambda k: "a = " * k + "1;",
        lambda k: "a.b = " * k + "1;",
        lambda k: "a.m(" * k + ")" * k + ";",
        lambda k: "if (x) " * k + "print 1;",
        lambda k: "while (x) " * k + "print 1;",
        lambda k: "for (;;) " * k + "print 1;",
        lambda k: "if (x) 1; else " * k + "print 1;",
        lambda k: "fun f() {" * k + "}" * k,
    ],
    ids=["neg", "not", "calls", "assign", "set", "invoke", "if", "while", "for", "else", "fun"],
)
def test_every_kind_of_nesting_is_bounded(make: Callable[[int], str]) -> None:
    ok(make(N))
    errs = errors(make(N + 1))
    assert errs[-1].endswith("Too much nesting.")
    errs = errors(make(2 * N))
    assert len(errs) == 1 and errs[0].endswith("Too much nesting.")


def test_right_operands_and_groupings_both_count() -> None:
    half = N // 2
    ok("print " + "1 + (" * half + "1" + ")" * half + ";")
    assert errors("print " + "1 + (" * (half + 1) + "1" + ")" * (half + 1) + ";") == [
        "[line 1] Error at '(': Too much nesting."
    ]


def test_nested_classes_and_methods() -> None:
    ok("class A { m() {" * (N // 2) + "}}" * (N // 2))
    assert errors("class A { m() {" * (N + 1) + "}}" * (N + 1))[-1].endswith("Too much nesting.")


def test_too_much_nesting_after_other_errors() -> None:
    errs = errors("print 1 2;\n" + "print 1 +" + "(" * (N + 10))
    assert errs == [
        "[line 1] Error at '2': Expect ';' after value.",
        "[line 2] Error at '(': Too much nesting.",
    ]


def test_too_much_nesting_is_reported_even_in_panic_mode() -> None:
    # The duplicate parameter sets panic mode; the body nests too deep before
    # any statement boundary. Parsing stops there, so the rest is not seen.
    errs = errors("fun f(a, a) { print " + "(" * (N + 10) + "\nprint 1 2;")
    assert errs == [
        "[line 1] Error at 'a': Already a variable with this name in this scope.",
        "[line 1] Error at '(': Too much nesting.",
    ]


def test_left_chains_are_not_nesting() -> None:
    k = 3 * N
    ok("print " + "1 + " * k + "1;")
    ok("print " + "a and " * k + "b;")
    ok("print " + "a or " * k + "b;")
    ok("print f" + "()" * k + ";")
    ok("print a" + ".b" * k + ";")


def _in_thread(fn: Callable[[], None]) -> None:
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as e:  # pragma: no cover - reported below
            failure.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if failure:
        raise failure[0]


def test_deep_nesting_in_a_thread() -> None:
    def work() -> None:
        ok(parens(N))
        ok(blocks(N))
        ok("fun f() {" * N + "}" * N)
        assert errors(parens(100_000)) == ["[line 1] Error at '(': Too much nesting."]

    _in_thread(work)


def test_deep_trees_dump_without_recursion() -> None:
    text = dump(ok(parens(N)))
    assert text.count("Grouping") == N
    text = dump(ok("print " + "1 + " * 100_000 + "1;"))
    assert text.count("Binary +") == 100_000
    assert max(len(line) for line in text.splitlines()) < 300


def test_ten_megabyte_string_literal() -> None:
    start = time.perf_counter()
    fn = ok('print "' + "x" * 10_000_000 + '";')
    assert time.perf_counter() - start < 10
    p = fn.body[0]
    assert isinstance(p, nodes.Print) and isinstance(p.expression, nodes.Literal)
    assert p.expression.value == "x" * 10_000_000


def test_million_tokens() -> None:
    src = "var a = b + c * d;\n" * 111_112  # 9 tokens a line
    start = time.perf_counter()
    fn = ok(src)
    elapsed = time.perf_counter() - start
    assert len(fn.body) == 111_112
    assert elapsed < 60  # a few seconds on an ordinary machine


def test_many_errors_are_fast() -> None:
    src = "@ print 1 2;\n" * 50_000
    start = time.perf_counter()
    with pytest.raises(CompileErrors) as info:
        parse(src)
    assert time.perf_counter() - start < 30
    assert len(info.value.errors) == 50_000
