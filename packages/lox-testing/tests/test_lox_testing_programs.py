"""The random-program generator (``lox_testing.programs``): valid, class-free, terminating by construction.

The generated programs are parsed with the shared front end when it is
installed (no VM is needed); ``differential_check`` is tested against the
fake VM of ``conftest.py``.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from lox_testing.programs import Cost, differential_check, lox_programs  # noqa: E402

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOOP = re.compile(r"\bfor \(var (i\d+) = 0; \1 < (\d+); \1 = \1 \+ 1\) \{")
WHILE = re.compile(r"\bwhile \((w\d+) < (\d+)\) \{")
COUNTER_WRITE = re.compile(r"\b([iwn]\d+) = ")


@FAST
@given(lox_programs())
def test_programs_compile_without_errors(source: str) -> None:
    frontend = pytest.importorskip("lox_frontend")
    frontend.parse(source)         # raises CompileErrors on any compile error


@FAST
@given(lox_programs())
def test_programs_are_class_free(source: str) -> None:
    assert not re.search(r"\b(class|this|super)\b", source)
    assert source.endswith(";\n")
    assert "print " in source


@FAST
@given(lox_programs())
def test_loops_are_counter_bounded(source: str) -> None:
    bounds = [int(m.group(2)) for m in LOOP.finditer(source)] + [int(m.group(2)) for m in WHILE.finditer(source)]
    assert all(0 <= bound <= 6 for bound in bounds)
    assert source.count("for (") == len(LOOP.findall(source))
    assert source.count("while (") == len(WHILE.findall(source))
    # A counter is only ever written by its own increment (a shadowing local of the same name may be).
    for match in COUNTER_WRITE.finditer(source):
        name = match.group(1)
        if source.count(f"var {name} = ") > 1:
            continue
        rest = source[match.end():]
        assert rest.startswith(f"{name} + 1") or f"var {name} = " in source[max(0, match.start() - 4):match.end()], \
            f"{name} assigned outside its increment"


@FAST
@given(lox_programs())
def test_recursion_counts_down(source: str) -> None:
    for match in re.finditer(r"fun (r\d+)\((n\d+)", source):
        name, counter = match.groups()
        assert f"if ({counter} <= 0) return " in source
        for call in re.finditer(rf"(?<!fun )\b{name}\(([^,)]*)", source):
            argument = call.group(1)
            assert argument == f"{counter} - 1" or argument.isdigit(), argument


@FAST
@given(lox_programs(allow_errors=False))
def test_without_errors_there_are_no_deliberate_mistakes(source: str) -> None:
    for marker in ("undefined", "nil()", "chr(300)", "(1).", "(nil).field", '"x" -', '"x" *', '"x" /', '-"neg"'):
        assert marker not in source


def test_cost_arithmetic() -> None:
    cost = Cost(1, 2, 3) + Cost(10, 20, 30).scaled(2)
    assert cost == Cost(21, 42, 63)
    assert cost.within((21, 42, 63))
    assert not cost.within((20, 100, 100))


# ---------------------------------------------------------------- differential_check, against the fake VM
MODES = {"a": ["--one"], "b": ["--two"]}


def test_agreeing_modes_pass(fake_vm: str) -> None:
    differential_check(fake_vm, "// fake-stdout: same\n// fake-exit: 70\n", MODES, allowed_exits=(0, 70))


def test_disagreeing_modes_fail_with_a_report(fake_vm: str) -> None:
    with pytest.raises(AssertionError) as failure:
        differential_check(fake_vm, "print 1;\n// fake-echo-flags\n", MODES)
    report = str(failure.value)
    assert "modes a and b disagree" in report
    assert "print 1;" in report                    # the program is shown
    assert "--one" in report and "--two" in report  # and the diff


def test_a_timeout_fails(fake_vm: str) -> None:
    with pytest.raises(AssertionError, match="timed out"):
        differential_check(fake_vm, "// fake-sleep: 10\n", {"only": []}, timeout=0.5)


def test_a_traceback_fails_even_when_every_mode_agrees(fake_vm: str) -> None:
    with pytest.raises(AssertionError, match="crashed inside the VM"):
        differential_check(fake_vm, "// fake-stderr: Traceback (most recent call last):\n", MODES)


def test_an_unexpected_exit_status_fails(fake_vm: str) -> None:
    with pytest.raises(AssertionError, match="exited 65"):
        differential_check(fake_vm, "// fake-exit: 65\n", MODES, allowed_exits=(0, 70))


def test_no_modes_is_an_error() -> None:
    with pytest.raises(ValueError):
        differential_check("anything", "print 1;", {})
