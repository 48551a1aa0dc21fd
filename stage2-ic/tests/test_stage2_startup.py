"""Start-up: a program that never gets hot imports only the cold path (the table in ``lox_testing.startup``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_testing.startup import check_program_cold_start
from stage2_helpers import MODULES

VM = "stage2_ic"


@pytest.mark.parametrize("flags", [(), ("--jit=off",)])
def test_print_42_imports_only_the_cold_path(tmp_path: Path, flags: tuple[str, ...]) -> None:
    run = check_program_cold_start(VM, MODULES, tmp_path, "print 42;\n", *flags)
    assert run.stdout == "42\n"
