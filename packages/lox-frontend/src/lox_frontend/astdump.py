"""A readable, indented dump of a parsed program (what ``--dump=ast`` prints).

The walk uses an explicit stack, so trees of any depth dump without recursion.
Past ``MAX_INDENT`` levels the indentation stops growing and the line shows
its depth as ``[N]`` instead, so very deep trees do not make huge output.
"""

from __future__ import annotations

from . import nodes as n

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    _Item = Union[n.Function, n.Stmt, n.Expr, list[n.Function], list[n.Stmt], list[n.Expr], None]
    _Children = list[tuple[str, _Item]]

MAX_INDENT = 60
"""Deepest level drawn with real indentation."""


def _binding(b: n.Binding | None) -> str:
    """``name@slot`` (plus `` captured``), or ``global`` when there is no binding."""
    if b is None:
        return "global"
    return f"{b.name}@{b.slot}" + (" captured" if b.captured else "")


def _where(r: n.Resolution) -> str:
    """Where a variable use lives."""
    if isinstance(r, n.LocalSlot):
        return "local " + _binding(r.binding)
    if isinstance(r, n.UpvalueSlot):
        return f"upvalue {r.index}"
    return f"global {r.name}"


def _value(v: None | bool | float | str) -> str:
    """A literal value as source-like text."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def _function_header(f: n.Function) -> str:
    """One line describing a function: name, kind, lines, frame size, parameters, captures."""
    params = ", ".join(_binding(p) for p in f.params)
    ups = ", ".join(
        f"{u.name}<-{'local' if u.is_local else 'upvalue'} {u.index}" for u in f.upvalues
    )
    return (
        f"Function {f.name} <{f.kind.value}> lines {f.line}-{f.end_line} slots={f.slot_count}"
        f" params=[{params}] upvalues=[{ups}]"
    )


def _describe(node: n.Function | n.Stmt | n.Expr) -> tuple[str, _Children]:
    """The header line of ``node`` and its labelled children."""
    if isinstance(node, n.Function):
        return _function_header(node), [("", node.body)]
    if isinstance(node, n.Literal):
        return f"Literal {_value(node.value)} [line {node.line}]", []
    if isinstance(node, n.Grouping):
        return f"Grouping [line {node.line}]", [("", node.expression)]
    if isinstance(node, n.Unary):
        return f"Unary {node.op} [line {node.line}]", [("", node.operand)]
    if isinstance(node, n.Binary):
        return f"Binary {node.op} [line {node.line}]", [("", node.left), ("", node.right)]
    if isinstance(node, n.Logical):
        return f"Logical {node.op} [line {node.line}]", [("", node.left), ("", node.right)]
    if isinstance(node, n.Variable):
        return f"Variable {node.name} [line {node.line}] {_where(node.resolution)}", []
    if isinstance(node, n.Assign):
        head = f"Assign {node.name} [line {node.line}] {_where(node.resolution)}"
        return head, [("", node.value)]
    if isinstance(node, n.Call):
        return f"Call [line {node.line}]", [("", node.callee), ("args", node.arguments)]
    if isinstance(node, n.Get):
        return f"Get .{node.name} [line {node.line}]", [("", node.obj)]
    if isinstance(node, n.Set):
        return f"Set .{node.name} [line {node.line}]", [("", node.obj), ("value", node.value)]
    if isinstance(node, n.This):
        return f"This [line {node.line}] {_where(node.resolution)}", []
    if isinstance(node, n.Super):
        head = (
            f"Super .{node.method} [line {node.line}] this={_where(node.this)}"
            f" super={_where(node.superclass)}"
        )
        return head, []
    if isinstance(node, n.ExpressionStmt):
        return f"ExpressionStmt [line {node.line}]", [("", node.expression)]
    if isinstance(node, n.Print):
        return f"Print [line {node.line}]", [("", node.expression)]
    if isinstance(node, n.Var):
        return f"Var {node.name} [line {node.line}] {_binding(node.binding)}", [("init", node.initializer)]
    if isinstance(node, n.Block):
        return f"Block [line {node.line}]", [("", node.statements)]
    if isinstance(node, n.If):
        kids: _Children = [("cond", node.condition), ("then", node.then_branch)]
        if node.else_branch is not None:
            kids.append(("else", node.else_branch))
        return f"If [line {node.line}]", kids
    if isinstance(node, n.While):
        kids = [("cond", node.condition), ("body", node.body)]
        if node.increment is not None:
            kids.append(("step", node.increment))
        return f"While [line {node.line}]", kids
    if isinstance(node, n.FunctionStmt):
        return f"FunctionStmt [line {node.line}] {_binding(node.binding)}", [("", node.function)]
    if isinstance(node, n.Return):
        return f"Return [line {node.line}]", [("value", node.value)] if node.value else []
    if isinstance(node, n.Class):
        head = f"Class {node.name} [line {node.line}] {_binding(node.binding)}"
        if node.super_binding is not None:
            head += f" super={_binding(node.super_binding)}"
        return head, [("superclass", node.superclass), ("methods", node.methods)]
    raise TypeError(f"not a syntax tree node: {node!r}")


def dump(fn: n.Function) -> str:
    """An indented, one-node-per-line text picture of ``fn`` and everything in it."""
    lines: list[str] = []
    stack: list[tuple[int, str, _Item]] = [(0, "", fn)]
    while stack:
        depth, label, item = stack.pop()
        if depth <= MAX_INDENT:
            indent = "  " * depth
        else:
            indent = "  " * MAX_INDENT + f"[{depth}] "
        prefix = f"{indent}{label}: " if label else indent
        if item is None:
            lines.append(prefix + "-")
            continue
        if isinstance(item, list):
            if label:
                lines.append(f"{indent}{label}: ({len(item)})")
                depth += 1
            for element in reversed(item):
                stack.append((depth, "", element))
            continue
        head, children = _describe(item)
        lines.append(prefix + head)
        for child_label, child in reversed(children):
            stack.append((depth + 1, child_label, child))
    return "\n".join(lines) + "\n"
