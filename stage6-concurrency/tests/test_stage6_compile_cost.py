"""Compile cost grows with a function's size, not faster: a function with thousands of property and call
sites compiles to IR proportional to its number of sites (LLVM's time follows the IR; measured in the
README: about 0.5 ms per site, from 1,000 to 8,000 sites)."""

from __future__ import annotations

from pathlib import Path

from stage6_helpers import assert_clean, run_program


def many_sites(statements: int) -> str:
    """A method-calling, field-reading, field-writing function of ``statements`` statements, called once."""
    lines = ["class P { init() { this.x = 1; this.y = 2; } m(a) { return a + this.y; } }", "fun f(o) {",
             "  var s = 0;"]
    for i in range(statements):
        lines.append(f"  s = s + o.x + o.m({i % 7});" if i % 2 else "  o.y = s + o.x;")
    lines += ["  return s;", "}", "print f(P());"]
    return "\n".join(lines) + "\n"


def ir_lines(dump: str, title: str) -> int:
    """Lines of the ``--dump=ir`` section for the module compiled for ``title``."""
    sections = dump.split("=== ir: ")
    (section,) = [s for s in sections if s.startswith(f"{title} ===")]
    return section.count("\n")


def test_ir_grows_in_proportion_to_the_sites(tmp_path: Path) -> None:
    """Four times the sites, four times the IR (within 10%), under ``--jit=eager`` where every site is
    compiled without feedback."""
    sizes = {}
    for statements in (100, 400):
        run = run_program(tmp_path, many_sites(statements), "--jit=eager", "--dump=ir")
        assert_clean(run, 0)
        sizes[statements] = ir_lines(run.stderr, "f")
    assert 3.6 <= sizes[400] / sizes[100] <= 4.4, sizes
