"""Stage 1 as a user runs it: tiering made visible, LLVM loaded lazily, and every mode agreeing.

Each test starts real processes (``python -m stage1_interp ...``). The modes
are ``--jit=off`` (interpreter only), ``--jit=eager`` (compile at the first
call), the default (tiered, threshold 1000) and ``--threshold=50`` (tiered,
so that recursion and loops cross the threshold part-way).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lox_testing.startup import imported_modules
from stage1_helpers import MODES, STAGE, assert_clean, assert_same_everywhere, run_in_modes, run_program, run_vm

VM = "stage1_interp"

HOT = """\
fun square(x) {
  return x * x;
}
var total = 0;
for (var i = 0; i < 100; i = i + 1) {
  total = total + square(i);
}
print total;
"""


# ---------------------------------------------------------------- usage
@pytest.mark.parametrize("flags", [["--threshold=0"], ["--threshold=-3"], ["--threshold=ten"], ["--jit=sometimes"],
                                   ["--trace=gc"], ["--dump=bytecode,nope"]])
def test_bad_flags_are_usage_errors(tmp_path: Path, flags: list[str]) -> None:
    run = run_program(tmp_path, "print 1;\n", *flags)
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


def test_help_mentions_every_flag() -> None:
    run = run_vm("--help")
    assert_clean(run)
    for flag in ("--jit", "--threshold", "--trace-file", "--trace", "--dump", "--stats", "--set", "--help-settings"):
        assert flag in run.stdout, flag
    for word in ("off", "eager", "tiered", "bytecode", "tier", "compile"):
        assert word in run.stdout, word


def test_help_settings_include_stage_1_settings() -> None:
    run = run_vm("--help-settings")
    assert_clean(run, 0)
    for name, default in (("threshold", "1000"), ("jit", "tiered"), ("max_call_depth", "100000")):
        assert re.search(rf"^{name} = {default}$", run.stdout, re.MULTILINE), name
    assert re.search(r"^trace_event_limit = \d+$", run.stdout, re.MULTILINE)


def test_set_threshold_zero_is_rejected_like_the_flag(tmp_path: Path) -> None:
    """VM bug: ``--threshold=0`` is a usage error, but ``--set threshold=0`` (and ``--set jit=bogus``) are accepted."""
    for assignment in ("threshold=0", "jit=bogus"):
        run = run_program(tmp_path, "print 1;\n", "--set", assignment)
        assert_clean(run)
        assert run.status == 64, f"--set {assignment}: {run.describe()}"


# ---------------------------------------------------------------- LLVM only when something is hot
# (test_stage1_startup.py checks every module a cold run imports)
def test_eager_mode_does_import_llvmlite(tmp_path: Path) -> None:
    path = tmp_path / "p.lox"
    path.write_text("print 42;\n")
    run = run_vm("--jit=eager", str(path), python_flags=("-X", "importtime"))
    assert_clean(run, 0)
    assert "llvmlite" in {m.split(".")[0] for m in imported_modules(run.stderr)}


def test_trace_startup_accounts_for_the_run_phase_by_phase(tmp_path: Path) -> None:
    run = run_program(tmp_path, "print 42;\n", "--trace=startup")
    assert_clean(run, 0)
    phases = {}
    for line in run.stderr_lines:
        match = re.fullmatch(r"\[startup\] ([a-zA-Z -]+): (\d+\.\d) ms( \(.*\))?", line)
        assert match, line
        phases[match.group(1)] = float(match.group(2))
    assert list(phases) == ["python start", "imports", "flags", "VM set-up", "front end and bytecode", "run",
                            "exit", "total"]
    parts = sum(ms for name, ms in phases.items() if name != "total")
    assert abs(phases["total"] - parts) <= 0.1 * len(phases)     # each figure is rounded to 0.1 ms
    assert phases["imports"] > 0 and phases["python start"] > 0


# ---------------------------------------------------------------- seeing a function tier up
def test_trace_shows_a_hot_function_compiled_and_installed(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--trace=tier,compile", "--threshold=10")
    assert_clean(run, 0)
    assert run.stdout == "328350\n"
    lines = run.stderr_lines
    hot = lines.index("[tier] square is hot (10 calls, 0 back-edges; by calls): queued")
    compiled = next(i for i, line in enumerate(lines) if re.fullmatch(r"\[compile\] compiled square in [\d.]+ ms", line))
    installed = lines.index("[tier] square: compiled code installed")
    assert hot < compiled and hot < installed
    assert all(line.startswith(("[tier] ", "[compile] ")) for line in lines)


def test_trace_tier_alone(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--trace=tier", "--threshold=10")
    assert_clean(run, 0)
    assert run.stderr_lines and all(line.startswith("[tier] ") for line in run.stderr_lines)


def test_nothing_tiers_up_with_the_jit_off(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--trace=tier,compile", "--jit=off", "--threshold=1")
    assert_clean(run, 0)
    assert run.stdout == "328350\n"
    assert run.stderr == ""


WARM_AND_HOT = """\
fun often(x) {
  return x + 1;
}
fun sometimes(x) {
  return x * 2;
}
fun rarely(x) {
  return x - 1;
}
var total = 0;
for (var i = 0; i < 100; i = i + 1) {
  total = often(total);
  if (i < 40) total = sometimes(total) - total;
  if (i < 5) total = rarely(total) + 1;
}
print total;
"""


def test_warm_functions_are_compiled_with_the_hot_one(tmp_path: Path) -> None:
    # At threshold 100 and warm fraction 0.25, `sometimes` (40 calls) is warm when
    # `often` gets hot: both go in one module; `rarely` (5 calls) stays interpreted.
    run = run_program(tmp_path, WARM_AND_HOT, "--trace=tier", "--stats", "--threshold=100")
    assert_clean(run, 0)
    assert run.stdout == "100\n"
    lines = run.stderr_lines
    assert "[tier] often is hot (100 calls, 0 back-edges; by calls): queued" in lines
    assert "[tier] sometimes is warm (40 calls, 0 back-edges): queued with often" in lines
    assert not any("rarely" in line and "queued" in line for line in lines)
    assert re.search(r"^compile\.modules +1$", run.stderr, re.M)
    assert re.search(r"^tier\.queued_warm +1$", run.stderr, re.M)


def test_warm_fraction_zero_compiles_only_hot_functions(tmp_path: Path) -> None:
    run = run_program(tmp_path, WARM_AND_HOT, "--trace=tier", "--threshold=100", "--set", "warm_fraction=0")
    assert_clean(run, 0)
    assert run.stdout == "100\n"
    assert not any("warm" in line for line in run.stderr_lines)


def test_default_threshold_is_not_reached_by_100_calls(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--trace=tier,compile")
    assert_clean(run, 0)
    assert run.stderr == ""


def test_stats_tier_table(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--stats", "--threshold=10")
    assert_clean(run, 0)
    lines = run.stderr_lines
    table = lines.index("== tiers (function: calls, back-edges, state) ==")
    rows = lines[table + 1:]
    assert any(re.fullmatch(r"  square: 100 calls, 0 back-edges, compiled \([\d.]+ ms\)", row) for row in rows)
    assert re.search(r"^tier\.compiled\s+[1-9]\d*$", run.stderr, re.MULTILINE)
    assert re.search(r"^functions\.total\s+2$", run.stderr, re.MULTILINE)
    assert "  square arg 0: " in run.stderr      # stage 0's type observations, from compiled code


def test_stats_with_the_jit_off(tmp_path: Path) -> None:
    """Interpreter only: no counting (it only serves tiering), nothing compiled."""
    run = run_program(tmp_path, HOT, "--stats", "--jit=off")
    assert_clean(run, 0)
    lines = run.stderr_lines
    assert lines[lines.index("== tiers (function: calls, back-edges, state) ==") + 1] == "  (none)"
    assert "compile.functions" not in run.stderr
    assert "tier.compiled" not in run.stderr


def test_trace_file_is_chrome_trace_json(tmp_path: Path) -> None:
    trace = tmp_path / "trace.json"
    run = run_program(tmp_path, HOT, f"--trace-file={trace}", "--threshold=10")
    assert_clean(run, 0)
    assert run.stdout == "328350\n"
    assert run.stderr == ""
    document = json.loads(trace.read_text())
    events = document["traceEvents"]
    assert isinstance(events, list)
    spans = [e for e in events if e["ph"] == "X"]
    interpret = [e for e in spans if e["cat"] == "interpret"]
    compile_ = [e for e in spans if e["cat"] == "compile"]
    assert interpret and compile_
    assert any(e["name"] == "compile: square" for e in compile_)
    for event in spans:
        assert isinstance(event["ts"], (int, float)) and isinstance(event["dur"], (int, float))
        assert event["dur"] > 0
        assert {"pid", "tid", "name"} <= set(event)
    assert {e["tid"] for e in interpret}.isdisjoint({e["tid"] for e in compile_})   # separate tracks
    instants = [e["name"] for e in events if e["ph"] == "i"]
    assert "hot: square" in instants and "installed: square" in instants


def test_trace_file_with_the_jit_off_has_no_compile_spans(tmp_path: Path) -> None:
    trace = tmp_path / "trace.json"
    run = run_program(tmp_path, HOT, f"--trace-file={trace}", "--jit=off")
    assert_clean(run, 0)
    events = json.loads(trace.read_text())["traceEvents"]
    assert [e for e in events if e.get("cat") == "interpret" and e["ph"] == "X"]
    assert not [e for e in events if e.get("cat") == "compile"]


def test_dump_bytecode_goes_to_stderr(tmp_path: Path) -> None:
    run = run_program(tmp_path, "print 1 + 2;\n", "--dump=bytecode")
    assert_clean(run, 0)
    assert run.stdout == "3\n"
    assert "== <script> (arity 0, slots 1, max stack 3) ==" in run.stderr
    assert "0002    | ADD" in run.stderr


def test_dump_ir_only_for_compiled_functions(tmp_path: Path) -> None:
    run = run_program(tmp_path, HOT, "--dump=ir", "--threshold=10")
    assert_clean(run, 0)
    assert run.stdout == "328350\n"
    assert "=== ir: square ===" in run.stderr
    off = run_program(tmp_path, HOT, "--dump=ir", "--jit=off")
    assert off.stderr == ""


# ---------------------------------------------------------------- compiled while on the stack
RECURSION_CROSSING_THRESHOLD = """\
fun count(n) {
  if (n == 0) return 0;
  return 1 + count(n - 1);
}
fun fib(n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
print count(3000);
print count(5);
print fib(20);
"""


@pytest.mark.parametrize("threshold", ["--threshold=50", "--threshold=1000"])
def test_function_compiled_while_it_is_on_the_stack(tmp_path: Path, threshold: str) -> None:
    run = run_program(tmp_path, RECURSION_CROSSING_THRESHOLD, threshold, "--trace=tier")
    assert_clean(run, 0)
    assert run.stdout == "3000\n5\n6765\n"
    # count became hot in the middle of its own recursion: interpreted frames below, compiled above.
    assert "[tier] count: compiled code installed" in run.stderr_lines
    assert "[tier] fib: compiled code installed" in run.stderr_lines


# ---------------------------------------------------------------- cross-tier calls and errors
CROSS_TIER = """\
fun leaf(x) {
  if (x == 0) return nil + x;
  return x;
}
fun rare(x) {
  var y = leaf(x - x);
  return y;
}
fun hot(x) {
  if (x == 1500) return rare(x);
  return leaf(x) + 1;
}
fun cold() {
  var sum = 0;
  for (var i = 1; i <= 1500; i = i + 1) {
    sum = sum + hot(i);
  }
  return sum;
}
print "start";
print hot(1) + hot(2);
print cold();
print "not reached";
"""

CROSS_TIER_TRACE = [
    "Operands must be two numbers or two strings.",
    "[line 2] in leaf()",
    "[line 6] in rare()",
    "[line 10] in hot()",
    "[line 16] in cold()",
    "[line 22] in script",
]


def test_cross_tier_calls_report_the_same_trace_in_every_mode(tmp_path: Path) -> None:
    modes = {**MODES, "threshold5": ("--threshold=5",)}
    run = assert_same_everywhere(run_in_modes(tmp_path, CROSS_TIER, modes))
    assert run.status == 70
    assert run.stdout == "start\n5\n"
    assert run.stderr_lines == CROSS_TIER_TRACE


def test_cross_tier_calls_really_cross_tiers(tmp_path: Path) -> None:
    """The interpreted ``rare`` is called by compiled ``hot`` and calls compiled ``leaf``."""
    for flags in (("--threshold=5",), ()):
        run = run_program(tmp_path, CROSS_TIER, "--stats", *flags)
        assert_clean(run, 70)
        rows = run.stderr_lines
        assert any(re.fullmatch(r"  hot: \d+ calls, 0 back-edges, compiled \([\d.]+ ms\)", r) for r in rows), rows
        assert any(re.fullmatch(r"  leaf: \d+ calls, 0 back-edges, compiled \([\d.]+ ms\)", r) for r in rows), rows
        assert "  rare: 1 calls, 0 back-edges, interpreted" in rows
        assert "  cold: 1 calls, 1499 back-edges, compiled" in " ".join(rows)   # hot by its loop, still running interpreted


def test_stage_0_reports_the_same_trace(tmp_path: Path) -> None:
    run = STAGE.launcher.run_program("stage0_jit", tmp_path, CROSS_TIER)     # stage 1 installs stage 0 too
    assert_clean(run, 70)
    assert run.stdout == "start\n5\n"
    assert run.stderr_lines == CROSS_TIER_TRACE


# ---------------------------------------------------------------- deep and unbounded recursion
DEEP = """\
fun down(n) {
  if (n == 0) return 0;
  return 1 + down(n - 1);
}
fun even(n) {
  if (n == 0) return true;
  return odd(n - 1);
}
fun odd(n) {
  if (n == 0) return false;
  return even(n - 1);
}
print down(10000);
print even(10001);
print down(10000);
"""


def test_ten_thousand_deep_recursion_in_every_mode(tmp_path: Path) -> None:
    run = assert_same_everywhere(run_in_modes(tmp_path, DEEP))
    assert run.status == 0
    assert run.stdout == "10000\nfalse\n10000\n"
    assert run.stderr == ""


UNBOUNDED = """\
fun f(n) {
  return g(n + 1);
}
fun g(n) {
  var x = n;
  return f(x) + 1;
}
print "start";
f(0);
"""


def test_unbounded_recursion_is_a_stack_overflow_in_every_mode(tmp_path: Path) -> None:
    run = assert_same_everywhere(run_in_modes(tmp_path, UNBOUNDED))
    assert run.status == 70
    assert run.stdout == "start\n"
    lines = run.stderr_lines
    assert lines[:3] == ["Stack overflow.", "[line 2] in f()", "[line 6] in g()"]
    assert lines[-1] == "[line 9] in script"
    assert any(re.fullmatch(r"\[\.\.\. \d+ more frames \.\.\.\]", line) for line in lines)


# ---------------------------------------------------------------- the REPL
def test_repl_across_tiers() -> None:
    """Globals persist between lines, a function gets hot over several lines, errors do not end the session."""
    lines = [
        "fun inc(x) { return x + 1; }",
        "var s = 0;",
        "for (var i = 0; i < 20; i = i + 1) s = inc(s);",
        "print s;",
        "print inc(\"a\");",
        "print ;",
        "fun inc(x) { return x * 10; }",
        "print inc(s);",
    ]
    stdin = ("\n".join(lines) + "\n").encode()
    for mode, flags in {**MODES, "threshold3": ("--threshold=3",)}.items():
        run = run_vm(*flags, stdin=stdin)
        assert_clean(run, 0)
        assert run.stdout == "> " * 4 + "20\n" + "> " * 4 + "200\n> \n", mode
        assert run.stderr_lines == ["Operands must be two numbers or two strings.", "[line 1] in inc()",
                                    "[line 1] in script", "[line 1] Error at ';': Expect expression."], mode


# ---------------------------------------------------------------- allocation failure
OOM = """\
var s = "ab";
print "start";
while (true) {
  s = s + s;
}
"""


@pytest.mark.parametrize("mode", list(MODES))
def test_out_of_memory_reports_the_failing_line(tmp_path: Path, mode: str) -> None:
    """VM bug in --jit=off and tiered modes: the interpreter reports its frame's last call line, not the ``+``'s."""
    run = run_program(tmp_path, OOM, *MODES[mode], "--set", "heap_reserve_mb=1")
    assert_clean(run, 70)
    assert run.stdout == "start\n"
    assert run.stderr_lines == ["Out of memory.", "[line 4] in script"]
