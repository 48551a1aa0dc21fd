"""Tests for the runners: which benchmarks each applies to, the commands they run, their order on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lox_bench.cli import build_runners, parse_references, parse_variants, resolve_program
from lox_bench.discovery import Benchmark, Runner


def bench(needs_classes: bool, twin: bool = True) -> Benchmark:
    return Benchmark(
        name="b",
        source=Path("/bench/b.lox"),
        expected=("1",),
        twin=Path("/bench/python/b.py") if twin else None,
        needs_classes=needs_classes,
    )


def test_runner_kinds_and_commands() -> None:
    ref = Runner("clox", ("--quiet",), program="/opt/clox")
    variant = Runner("nodeopt", ("--deopt=off",), module="stage3_deopt")
    stage = Runner("stage3_deopt")
    python = Runner("cpython")
    assert python.is_python and not python.is_reference and not python.is_variant
    assert ref.is_reference and not ref.is_python and not ref.is_variant
    assert variant.is_variant and variant.stage_module == "stage3_deopt"
    assert not stage.is_variant and stage.stage_module == "stage3_deopt"
    assert ref.command(bench(False)) == ["/opt/clox", "--quiet", "/bench/b.lox"]
    assert variant.command(bench(False), "py") == ["py", "-m", "stage3_deopt", "--deopt=off", "/bench/b.lox"]
    assert python.command(bench(False), "py") == ["py", "/bench/python/b.py"]


def test_classes_are_not_applicable_to_classless_stages_and_their_variants() -> None:
    classes = bench(True, twin=False)
    assert Runner("clox", program="/opt/clox").applies_to(classes)  # a reference runs everything
    assert not Runner("stage3_deopt").applies_to(classes)
    assert not Runner("nodeopt", module="stage3_deopt").applies_to(classes)
    assert Runner("stage4_shapes").applies_to(classes)
    assert Runner("s4", module="stage4_shapes").applies_to(classes)
    assert not Runner("cpython").applies_to(classes)  # no twin


def test_build_runners_order_and_flags() -> None:
    runners = build_runners(
        ["stage1_interp", "stage3_deopt"],
        [("nodeopt", "stage3_deopt", ("--deopt=off",)), ("lonely", "stage2_ic", ())],
        [("clox", "/opt/clox")],
        {"nodeopt": ("--trace=deopt",), "stage1_interp": ("--jit=off",)},
        python=True,
    )
    assert [r.name for r in runners] == ["cpython", "clox", "stage1_interp", "stage3_deopt", "nodeopt", "lonely"]
    assert runners[4].flags == ("--deopt=off", "--trace=deopt")
    assert runners[2].flags == ("--jit=off",)
    with pytest.raises(ValueError, match="used twice"):
        build_runners([], [("x", "stage3_deopt", ())], [("x", "/opt/clox")], {}, python=False)
    with pytest.raises(ValueError, match="not among the runners"):
        build_runners(["stage1_interp"], [], [], {"stage2_ic": ("--x",)}, python=False)
    with pytest.raises(ValueError, match="name"):
        build_runners(["stage1_interp"], [("stage1_interp", "stage1_interp", ())], [], {}, python=False)


def test_parsing_variants_and_references() -> None:
    assert parse_variants(["nodeopt=stage3_deopt:--deopt=off --trace=osr", "plain=stage2_ic"]) == [
        ("nodeopt", "stage3_deopt", ("--deopt=off", "--trace=osr")),
        ("plain", "stage2_ic", ()),
    ]
    assert parse_references(["clox=/opt/clox=1"]) == [("clox", "/opt/clox=1")]
    for bad in (["nodeopt"], ["=stage3_deopt"], ["nodeopt=:--x"]):
        with pytest.raises(ValueError):
            parse_variants(bad)
    for bad in (["clox"], ["=/opt/clox"], ["clox="]):
        with pytest.raises(ValueError):
            parse_references(bad)


def test_resolve_program(tmp_path: Path) -> None:
    script = tmp_path / "lox"
    script.write_text("#!/bin/sh\n")
    assert resolve_program(str(script)) is None  # not executable yet
    script.chmod(0o755)
    assert resolve_program(str(script)) == str(script)
    assert resolve_program("sh") is not None  # found on $PATH
    assert resolve_program(str(tmp_path / "missing")) is None
