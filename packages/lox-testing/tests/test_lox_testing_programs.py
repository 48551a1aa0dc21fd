"""The random-program generator (``lox_testing.programs``): valid, terminating by construction, classes on request.

The generated programs are parsed with the shared front end and run by the
reference evaluator (``lox_testing.oracle``; no VM is needed): without
deliberate errors every one must run to the end. ``differential_check`` is
tested against the fake VM of ``conftest.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, find, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lox_testing.oracle import evaluate  # noqa: E402
from lox_testing.programs import Cost, _Builder, differential_check, lox_programs  # noqa: E402

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLASS_PROGRAMS = lox_programs(classes=True)
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
@given(st.one_of(lox_programs(), CLASS_PROGRAMS))
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
@given(st.one_of(lox_programs(), CLASS_PROGRAMS))
def test_recursion_counts_down(source: str) -> None:
    for match in re.finditer(r"fun (r\d+)\((n\d+)", source):
        name, counter = match.groups()
        assert f"if ({counter} <= 0) return " in source
        for call in re.finditer(rf"(?<!fun )\b{name}\(([^,)]*)", source):
            argument = call.group(1)
            assert argument == f"{counter} - 1" or argument.isdigit(), argument


@FAST
@given(st.one_of(lox_programs(allow_errors=False), lox_programs(allow_errors=False, classes=True)))
def test_without_errors_there_are_no_deliberate_mistakes(source: str) -> None:
    for marker in ("undefined", "nil()", "chr(300)", "(1).", "(nil).field", '"x" -', '"x" *', '"x" /', '-"neg"',
                   ".missing", "nil.", "class Bad"):
        assert marker not in source


@FAST
@given(st.one_of(lox_programs(allow_errors=False), lox_programs(allow_errors=False, classes=True)))
def test_without_errors_every_program_runs_to_the_end(source: str) -> None:
    result = evaluate(source)
    assert (result.exit_code, result.stderr_text) == (0, ""), source


@FAST
@given(CLASS_PROGRAMS)
def test_class_programs_compile_and_end_cleanly_or_in_a_runtime_error(source: str) -> None:
    frontend = pytest.importorskip("lox_frontend")
    frontend.parse(source)
    assert re.search(r"^class C\d+", source, re.MULTILINE)
    assert evaluate(source).exit_code in (0, 70)


def _found(check: Callable[[str], bool], strategy: st.SearchStrategy[str] = CLASS_PROGRAMS) -> str:
    """A generated program passing ``check`` (hypothesis's ``find``, without shrinking: it only has to exist)."""
    return find(strategy, check, settings=settings(max_examples=2000, database=None, deadline=None,
                                                  phases=[Phase.generate], suppress_health_check=list(HealthCheck)))


def _classes_per_site(source: str) -> int:
    """The most classes whose instances one generated function is called with (read from the text)."""
    class_of = dict(re.findall(r"var (o\d+) = (C\d+)\(", source))
    sites: dict[str, set[str]] = {}
    for function, argument in re.findall(r"print (f\d+)\((o\d+)", source):
        sites.setdefault(function, set()).add(class_of.get(argument, argument))
    return max((len(classes) for classes in sites.values()), default=0)


@pytest.mark.parametrize(("low", "high"), [(2, 4), (5, 8)], ids=["polymorphic", "megamorphic"])
def test_class_programs_have_polymorphic_and_megamorphic_sites(low: int, high: int) -> None:
    _found(lambda source: low <= _classes_per_site(source) <= high)


@pytest.mark.parametrize("pattern", [
    r"super\.init\(", r"super\.\w+\(",                          # inheritance chains with super calls
    r"class C\d+ < C\d+ \{\n(?:.*\n)*?class C\d+ < C\d+ \{",      # more than one subclass
    r"\b(o\d+)\.(get|calc|show|tag|check) = .*\n\s*print \1\.\2\(",  # a method replaced by a field, invoked
    r"var b\d+ = o\d+\.\w+;",                                     # a bound method kept in a variable
    r"\n(o\d+)\.[a-z]+ = .*\n\1\.[a-z]+ = ",                        # fields added to one instance
])
def test_class_programs_use_every_feature(pattern: str) -> None:
    _found(lambda source: re.search(pattern, source) is not None)


CLASS_MISTAKES = [
    ("missing", "Undefined property 'missing'."), ("invoke_nil", "Only instances have methods."),
    ("class_property", "Only instances have "), ("init_arity", "Expected "),
    ("call_instance", "Can only call functions and classes."), ("bad_superclass", "Superclass must be a class."),
]


@FAST
@given(st.data(), st.sampled_from(CLASS_MISTAKES))
def test_class_mistakes_are_the_runtime_errors_they_mean(data: st.DataObject, mistake: tuple[str, str]) -> None:
    shape, message = mistake
    builder = _Builder(data.draw, allow_errors=False, max_statements=4, classes=True)
    lines = builder.class_declaration() + builder.new_instance()
    lines += builder.bad_superclass() if shape == "bad_superclass" else [f"print {builder.mistake_text(shape)};"]
    source = "\n".join(lines) + "\n"
    assert evaluate(source).stderr_text.startswith(message), source


def test_cost_arithmetic() -> None:
    cost = Cost(1, 2, 3) + Cost(10, 20, 30).scaled(2)
    assert cost == Cost(21, 42, 63)
    assert cost.within((21, 42, 63))
    assert not cost.within((20, 100, 100))


# ---------------------------------------------------------------- differential_check, against the fake VM
MODES = {"a": ["--one"], "b": ["--two"]}


def test_agreeing_modes_pass(fake_vm: str) -> None:
    differential_check(fake_vm, "// fake-stdout: same\n// fake-exit: 70\n", MODES, allowed_exits=(0, 70),
                       oracle=False)


def test_modes_agreeing_with_the_oracle_pass(fake_vm: str) -> None:
    source = 'print 1 + 2; // fake-stdout: 3\nprint_error("e"); // fake-stderr: e\nexit(4); // fake-exit: 4\n'
    differential_check(fake_vm, source, MODES)


def test_modes_disagreeing_with_the_oracle_fail(fake_vm: str) -> None:
    with pytest.raises(AssertionError) as failure:
        differential_check(fake_vm, "print 2; // fake-stdout: 3\n", MODES)
    report = str(failure.value)
    assert "every mode disagrees with the oracle" in report
    assert "-2" in report and "+3" in report          # the diff against the oracle's output


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
        differential_check(fake_vm, "// fake-exit: 65\n", MODES, allowed_exits=(0, 70), oracle=False)


def test_no_modes_is_an_error() -> None:
    with pytest.raises(ValueError):
        differential_check("anything", "print 1;", {})
