"""Shared helpers for the lox-frontend tests."""

from __future__ import annotations

from lox_frontend import CompileErrors, nodes, parse


def errors(source: str, *, allow_classes: bool = True) -> list[str]:
    """The compile errors of ``source`` as clox prints them ([] if it compiles)."""
    try:
        parse(source, allow_classes=allow_classes)
    except CompileErrors as e:
        assert e.errors, "CompileErrors must carry at least one error"
        return [str(err) for err in e.errors]
    return []


def ok(source: str, *, allow_classes: bool = True) -> nodes.Function:
    """Parse ``source``, which must compile."""
    try:
        return parse(source, allow_classes=allow_classes)
    except CompileErrors as e:  # pragma: no cover - shown on failure
        raise AssertionError(f"unexpected compile errors:\n{e}") from None


def expr_of(source: str) -> nodes.Expr:
    """The expression of a one-statement program ``print EXPR;`` or ``EXPR;``."""
    stmt = ok(source).body[0]
    assert isinstance(stmt, (nodes.Print, nodes.ExpressionStmt))
    return stmt.expression
