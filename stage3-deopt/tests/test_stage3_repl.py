"""The prompt, where a runtime error does not end the session: wrong argument counts reaching hot and compiled code.

Each session is fed through standard input (``python -m stage3_deopt``
without a file) and must print exactly what the language says, the same
as the interpreter alone (``--jit=off``).
"""

from __future__ import annotations

import pytest

from stage3_helpers import assert_clean, run_vm, section, stats_counter, trace_lines

ARITY_2_GOT_1 = ["Expected 2 arguments but got 1.", "[line 1] in call1()", "[line 1] in script"]

# Modes a session is compared in: the first is the reference.
SESSION_MODES: tuple[tuple[str, ...], ...] = ((), ("--jit=off",), ("--threshold=2",), ("--deopt-stress",),
                                              ("--deopt=off",), ("--set", "feedback_after=0"))


def session(lines: list[str]) -> bytes:
    """Standard input for a session that types ``lines``."""
    return ("\n".join(lines) + "\n").encode()


def run_session(lines: list[str], out: str, err: list[str]) -> None:
    """The session prints ``out`` and ``err`` in every mode and ends with status 0 (end of input)."""
    for flags in SESSION_MODES:
        run = run_vm(*flags, stdin=session(lines))
        assert_clean(run, 0)
        assert (run.stdout, run.stderr_lines) == (out, err), f"{flags}:\n{run.describe()}"


HOT_ADD = [
    "fun add(a, b) { return a + b; }",
    "var t = 0;",
    "for (var i = 0; i < 2000; i = i + 1) t = add(t, i);",
    "print add(1);",
    "print t;",
    # The same site calls add, then clock with add's arguments (in a loop OSR has entered by then).
    "var f = add;",
    "for (var i = 0; i < 2000; i = i + 1) { if (i == 1500) f = clock; if (i < 1500) t = f(t, i); else t = f(t); }",
    "print t;",
    "for (var i = 0; i < 3000; i = i + 1) { if (i == 2500) t = add(t); else t = add(t, 1); }",
    "print t;",
    "print add(1, 2);",
]


def test_a_hot_two_argument_function_called_with_one_at_the_prompt() -> None:
    run_session(HOT_ADD, "> > > > > 1.999e+06\n> > > 3.12325e+06\n> > 3.12575e+06\n> 3\n> \n",
                ["Expected 2 arguments but got 1.", "[line 1] in script",
                 "Expected 0 arguments but got 1.", "[line 1] in script",
                 "Expected 2 arguments but got 1.", "[line 1] in script"])


def test_the_prompt_lines_loops_really_ran_compiled() -> None:
    run = run_vm("--stats", stdin=session(HOT_ADD))
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "osr.entered") >= 2
    assert stats_counter(run.stderr, "tier.compiled") >= 1


CALL1_HOT_THEN_TWO_PARAMETERS = [
    "fun call1(f) { return f(1); }",
    "fun inc(x) { return x + 1; }",
    "fun add(a, b) { return a + b; }",
    "var t = 0;",
    "for (var i = 0; i < 2000; i = i + 1) t = t + call1(inc);",
    "print t;",
    "print call1(add);",
    "print call1(inc);",
    "for (var i = 0; i < 2000; i = i + 1) t = t + call1(inc);",
    "print t;",
    "print call1(add);",
    "print 7;",
]


def test_a_call_site_compiled_for_a_one_parameter_function_given_a_two_parameter_one() -> None:
    run_session(CALL1_HOT_THEN_TWO_PARAMETERS, "> > > > > > 4000\n> > 2\n> > 8000\n> > 7\n> \n",
                ARITY_2_GOT_1 + ARITY_2_GOT_1)


def test_the_wrong_callee_leaves_compiled_code_through_a_deopt() -> None:
    run = run_vm("--trace=deopt", "--stats", stdin=session(CALL1_HOT_THEN_TWO_PARAMETERS))
    assert_clean(run, 0)
    lines = trace_lines(run.stderr, "deopt")
    assert lines[0].startswith("call1 line 1 bytecode ") and \
        lines[0].endswith(" CALL: guard 'call target' failed in call1"), lines
    assert lines[2] == "  saw: <fn add>"
    assert stats_counter(run.stderr, "deopt.total") >= 1
    # The error itself is the interpreter's: its message and trace follow the explanation.
    errors = [n for n, x in enumerate(run.stderr_lines) if x == "Expected 2 arguments but got 1."]
    assert len(errors) == 2
    assert run.stderr_lines[errors[0] + 1:errors[0] + 3] == ARITY_2_GOT_1[1:]


CALL1_FAILS_FIRST_THEN_HOT = [
    "fun call1(f) { return f(1); }",
    "fun inc(x) { return x + 1; }",
    "fun add(a, b) { return a + b; }",
    "print call1(add);",
    "var t = 0;",
    "for (var i = 0; i < 2000; i = i + 1) t = t + call1(inc);",
    "print t;",
    "print call1(add);",
    "print call1(inc);",
    "print call1(add);",
    "print 7;",
]
CALL1_FAILS_FIRST_OUT = "> > > > > > > 4000\n> > 2\n> > 7\n> \n"


def test_a_call_site_that_failed_first_and_then_got_hot() -> None:
    run_session(CALL1_FAILS_FIRST_THEN_HOT, CALL1_FAILS_FIRST_OUT, ARITY_2_GOT_1 * 3)


@pytest.mark.parametrize("deopt", ["on", "off"])
def test_a_cache_holding_both_arities_never_calls_the_wrong_one_directly(deopt: str) -> None:
    # Recording from the first call, the site's cache holds add (2 parameters) and then inc (1).
    run = run_vm("--set", "feedback_after=0", f"--deopt={deopt}", "--trace=ic", "--stats",
                 stdin=session(CALL1_FAILS_FIRST_THEN_HOT))
    assert_clean(run, 0)
    assert run.stdout == CALL1_FAILS_FIRST_OUT
    ic = trace_lines(run.stderr, "ic")
    assert ic.index("call1 line 1 CALL: uninitialised -> monomorphic, saw <fn add>") < \
        ic.index("call1 line 1 CALL: monomorphic -> polymorphic, saw <fn inc>")
    assert [x for x in run.stderr_lines if x in ARITY_2_GOT_1] == ARITY_2_GOT_1 * 3
    tiers = section(run.stderr, "tiers (function: calls, back-edges, state)")
    assert any(x.startswith("  call1: ") and ", compiled (" in x for x in tiers), tiers
