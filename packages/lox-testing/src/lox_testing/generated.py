"""Corpus programs too big to keep as files, generated at test time (limits: nesting, size, counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratedProgram:
    """A corpus program built in memory; `relpath` names it like a file under `tests/`."""

    relpath: str
    source: str


_ALLOW = "// allow compile error\n"


def _deep_parentheses() -> str:
    n = 10_000
    return (
        "// 10,000 nested parentheses: run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "print "
        + "(" * n
        + "1"
        + ")" * n
        + "; // expect: 1\n"
    )


def _deep_blocks() -> str:
    n = 10_000
    return (
        "// 10,000 nested blocks: run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "{" * n
        + 'print "deep";'
        + "}" * n
        + " // expect: deep\n"
    )


def _deep_not() -> str:
    n = 10_000
    return (
        "// 10,000 nested unary '!': run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "print "
        + "!" * n
        + "true; // expect: true\n"
    )


def _deep_negation() -> str:
    n = 9_999
    return (
        "// 9,999 nested unary '-': run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "print "
        + "-" * n
        + "1; // expect: -1\n"
    )


def _deep_if() -> str:
    n = 10_000
    return (
        "// 10,000 nested if statements: run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "if (true) " * n
        + 'print "reached"; // expect: reached\n'
    )


def _deep_calls_in_expression() -> str:
    n = 10_000
    return (
        "// f(f(f(...f(0)...))) 10,000 deep: run it, or reject it with a clean compile error.\n"
        + _ALLOW
        + "fun f(x) { return x + 1; }\n"
        + "print "
        + "f(" * n
        + "0"
        + ")" * n
        + "; // expect: 10000\n"
    )


def _long_sum(n: int, allow: bool) -> Callable[[], str]:
    def build() -> str:
        head = f"// A left-associative sum of {n} terms (not nesting in the source, but a deep tree).\n"
        return head + (_ALLOW if allow else "") + "print " + " + ".join(["1"] * n) + f"; // expect: {n:g}\n"

    return build


def _nested_functions() -> str:
    n = 50
    lines = [f"// {n} nested functions, each capturing its parent's local: must run."]
    for i in range(n):
        init = "0" if i == 0 else f"v{i - 1} + 1"
        lines.append(" " * i + f"fun f{i}() {{ var v{i} = {init};")
    lines.append(" " * n + f"print v{n - 1} * 10 + v0; // expect: {(n - 1) * 10}")
    for i in reversed(range(n)):
        lines.append(" " * i + f"}} f{i}();")
    return "\n".join(lines) + "\n"


def _many_globals() -> str:
    n = 1_000
    lines = [f"// {n} globals and {n} distinct constants at top level (clox stops at 256): must run."]
    lines += [f"var g{i} = {i};" for i in range(n)]
    lines.append("var sum = 0;")
    lines += [f"sum = sum + g{i};" for i in range(n)]
    lines.append(f"print sum; // expect: {sum(range(n)):g}")
    return "\n".join(lines) + "\n"


def _many_locals() -> str:
    n = 1_000
    lines = [f"// {n} locals in one function (clox stops at 256): must run.", "fun f() {"]
    lines += [f"  var l{i} = {i};" for i in range(n)]
    lines.append("  var sum = 0;")
    lines += [f"  sum = sum + l{i};" for i in range(0, n, 7)]
    lines.append("  return sum;")
    lines.append("}")
    lines.append(f"print f(); // expect: {sum(range(0, n, 7)):g}")
    return "\n".join(lines) + "\n"


def _many_upvalues() -> str:
    n = 600
    lines = [f"// A closure capturing {n} variables (clox stops at 256): must run.", "fun outer() {"]
    lines += [f"  var u{i} = {i};" for i in range(n)]
    lines.append("  fun inner() {")
    lines.append("    var sum = 0;")
    lines += [f"    sum = sum + u{i};" for i in range(n)]
    lines.append("    return sum;")
    lines.append("  }")
    lines.append("  return inner;")
    lines.append("}")
    lines.append(f"print outer()(); // expect: {sum(range(n)):g}")
    return "\n".join(lines) + "\n"


def _big_loop_body() -> str:
    # clox encodes `x = x + 1;` on a local in 8 bytes, so 8,300 of them (66,400 bytes) overflow
    # both its 16-bit loop offset ("Loop body too large.") and, around the loop, its 16-bit
    # forward jump ("Too much code to jump over.").
    n = 8_300
    lines = [
        "// Loop and if bodies over clox's 64 KiB jump limits: must run.",
        "fun f() {",
        "  var x = 0;",
        "  var i = 0;",
        "  if (true) {",
        "    while (i < 2) {",
        "      i = i + 1;",
    ]
    lines += ["      x = x + 1;"] * n
    lines += ["    }", "  }", "  return x;", "}"]
    lines.append(f"print f(); // expect: {2 * n:g}")
    return "\n".join(lines) + "\n"


_CORE: dict[str, Callable[[], str]] = {
    "deep_parentheses_10000": _deep_parentheses,
    "deep_blocks_10000": _deep_blocks,
    "deep_not_10000": _deep_not,
    "deep_negation_9999": _deep_negation,
    "deep_if_10000": _deep_if,
    "deep_call_arguments_10000": _deep_calls_in_expression,
    "long_sum_500": _long_sum(500, allow=False),
    "long_sum_10000": _long_sum(10_000, allow=True),
    "nested_functions_50": _nested_functions,
    "many_globals_1000": _many_globals,
    "many_locals_1000": _many_locals,
    "many_upvalues_600": _many_upvalues,
    "big_loop_body": _big_loop_body,
}

_GROUPS: dict[str, dict[str, Callable[[], str]]] = {"core": _CORE}


def generated_programs(groups: Iterable[str]) -> list[GeneratedProgram]:
    """The generated programs of the given groups, named `GROUP/generated/NAME.lox`."""
    programs: list[GeneratedProgram] = []
    for group in groups:
        for name, build in _GROUPS.get(group, {}).items():
            programs.append(GeneratedProgram(f"{group}/generated/{name}.lox", build()))
    return sorted(programs, key=lambda p: p.relpath)
