"""Start-up: a program that never gets hot imports only the cold path (the table in ``lox_testing.startup``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing.startup import check_program_cold_start
from stage4_helpers import MODULES

VM = "stage4_shapes"

CLASSES = """\
class Shape {
  init(name) { this.name = name; }
  area() { return 0; }
  describe() { return this.name + " of area"; }
}
class Square < Shape {
  init(side) { super.init("square"); this.side = side; }
  area() { return this.side * this.side; }
}
var shapes = Square(3);
print shapes.describe();
print shapes.area();
"""


@pytest.mark.parametrize("flags", [(), ("--jit=off",)])
def test_print_42_imports_only_the_cold_path(tmp_path: Path, flags: tuple[str, ...]) -> None:
    run = check_program_cold_start(VM, MODULES, tmp_path, "print 42;\n", *flags)
    assert run.stdout == "42\n"


def test_a_class_program_that_never_gets_hot_imports_only_the_cold_path(tmp_path: Path) -> None:
    run = check_program_cold_start(VM, MODULES, tmp_path, CLASSES)
    assert run.stdout == "square of area\n9\n"
