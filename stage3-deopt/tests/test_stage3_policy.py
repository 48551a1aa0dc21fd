"""The deopt policy, through real programs: discard and recompile, wider feedback, per-site and per-function limits.

Each test runs ``python -m stage3_deopt`` and reads what ``--stats``,
``--trace`` and ``--dump=deopt`` report; the output is always checked
against the interpreter's (``--jit=off``).
"""

from __future__ import annotations

import re
from pathlib import Path

from stage3_deopt.settings import Settings
from stage3_helpers import assert_clean, run_program, section, stats_counter, trace_lines

# Eight sites in one hot loop; from its own iteration on, each one sees a string every other iteration,
# forever. Each new flip deopts main once more; the sixth reaches function_deopt_limit.
FLIPS_FOREVER = """\
fun main() {
  var n = 0;
  var even = true;
  for (var i = 0; i < 20000; i = i + 1) {
    even = !even;
    var a = 1; var b = 1; var c = 1; var d = 1; var e = 1; var f = 1; var g = 1; var h = 1;
    if (even) {
      if (i > 2000) a = "s";
      if (i > 4000) b = "s";
      if (i > 6000) c = "s";
      if (i > 8000) d = "s";
      if (i > 10000) e = "s";
      if (i > 12000) f = "s";
      if (i > 14000) g = "s";
      if (i > 16000) h = "s";
    }
    if (a + a == "ss") n = n + 1; else n = n + 2;
    if (b + b == "ss") n = n + 1; else n = n + 2;
    if (c + c == "ss") n = n + 1; else n = n + 2;
    if (d + d == "ss") n = n + 1; else n = n + 2;
    if (e + e == "ss") n = n + 1; else n = n + 2;
    if (f + f == "ss") n = n + 1; else n = n + 2;
    if (g + g == "ss") n = n + 1; else n = n + 2;
    if (h + h == "ss") n = n + 1; else n = n + 2;
  }
  print n;
}
main();
"""
FLIPS_FOREVER_OUT = "276000\n"

# One site: numbers, then from iteration 1500 on a string every other iteration, for 20,000 iterations.
ONE_SITE_FLIPS = """\
fun main() {
  var n = 0;
  var even = true;
  for (var i = 0; i < 20000; i = i + 1) {
    var a = 1;
    if (i > 1500) { if (even) a = "s"; even = !even; }
    var r = a + a;
    if (r == "ss") n = n + 1; else n = n + r;
  }
  print n;
}
main();
"""
ONE_SITE_FLIPS_OUT = "30750\n"

# Strings once per round, between 1500 calls with numbers: each time add is compiled again, on numbers.
RARE_STRINGS = """\
fun add(a, b) { return a + b; }
var t = 0;
for (var round = 0; round < 4; round = round + 1) {
  for (var i = 0; i < 1500; i = i + 1) t = add(t, 1);
  print add("r", "s");
}
print t;
"""
RARE_STRINGS_OUT = "rs\nrs\nrs\nrs\n6000\n"

# The same flip as test_stage3_cli's: numbers, then strings from iteration 2000 on, at line 7.
FLIP = """\
fun main() {
  var a = 1;
  var b = 2;
  var n = 0;
  for (var i = 0; i < 3000; i = i + 1) {
    if (i == 2000) { a = "x"; b = "y"; }
    var r = a + b;
    if (r == "xy") n = n + 1; else n = n + r;
  }
  print n;
}
main();
"""
FLIP_OUT = "7000\n"

# caller is compiled with a direct call to helper (both hot together, in one module); then helper deopts on
# strings and its code is discarded, while caller's code, still installed, keeps calling it.
STALE_CALLEE = """\
fun helper(x) { return x + x; }
fun caller(x) { return helper(x); }
var n = 0;
for (var i = 0; i < 3000; i = i + 1) n = n + caller(i);
print n;
print caller("ab");
print caller("cd");
print caller(1);
print caller("ef");
"""
STALE_CALLEE_OUT = "8.997e+06\nabab\ncdcd\n2\nefef\n"


def interpreted(tmp_path: Path, source: str) -> str:
    """What the interpreter alone prints."""
    run = run_program(tmp_path, source, "--jit=off")
    assert_clean(run, 0)
    return run.stdout


def deopt_points(stderr: str, function: str) -> list[list[str]]:
    """For each ``--dump=deopt`` block of ``function``'s normal entry, in order, its deopt point lines."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in stderr.splitlines():
        if line.startswith("=== "):
            current = [] if line == f"=== deopt: {function} ===" else None
            if current is not None:
                blocks.append(current)
        elif current is not None and line.startswith("  deopt #"):
            current.append(line)
    return blocks


# ---------------------------------------------------------------- limits
def test_types_flipping_forever_at_many_sites_stop_at_the_function_deopt_limit(tmp_path: Path) -> None:
    assert interpreted(tmp_path, FLIPS_FOREVER) == FLIPS_FOREVER_OUT
    run = run_program(tmp_path, FLIPS_FOREVER, "--stats", "--trace=deopt")
    assert_clean(run, 0)
    assert run.stdout == FLIPS_FOREVER_OUT
    assert stats_counter(run.stderr, "deopt.total") == 6           # function_deopt_limit's default: 8 sites flip
    assert stats_counter(run.stderr, "deopt.functions_stopped_speculating") == 1
    nexts = [x for x in trace_lines(run.stderr, "deopt") if x.startswith("  next: ")]
    assert len(nexts) == 6
    assert all("(deopt 1 of this site, " in x for x in nexts)         # each time another site
    assert "main reached function_deopt_limit (6): it stops speculating (generic code from now on)" in nexts[-1]
    assert not any("function_deopt_limit" in x for x in nexts[:-1])


def test_a_lower_function_deopt_limit_settles_sooner(tmp_path: Path) -> None:
    run = run_program(tmp_path, FLIPS_FOREVER, "--stats", "--trace=deopt", "--set", "function_deopt_limit=2")
    assert_clean(run, 0)
    assert run.stdout == FLIPS_FOREVER_OUT
    assert stats_counter(run.stderr, "deopt.total") == 2
    assert stats_counter(run.stderr, "deopt.functions_stopped_speculating") == 1
    assert "main reached function_deopt_limit (2): it stops speculating" in run.stderr


def test_one_site_flipping_forever_deopts_once_and_settles_on_both_cases(tmp_path: Path) -> None:
    assert interpreted(tmp_path, ONE_SITE_FLIPS) == ONE_SITE_FLIPS_OUT
    run = run_program(tmp_path, ONE_SITE_FLIPS, "--stats", "--trace=deopt,osr", "--dump=deopt")
    assert_clean(run, 0)
    assert run.stdout == ONE_SITE_FLIPS_OUT
    assert stats_counter(run.stderr, "deopt.total") == 1
    assert stats_counter(run.stderr, "deopt.total") <= 6
    # After the deopt main is compiled again, bets on numbers or strings at line 7, enters, and stays.
    lines = [x for x in run.stderr_lines if x.startswith(("[deopt] ", "[osr] "))]
    last_deopt = max(n for n, x in enumerate(lines) if x.startswith("[deopt] "))
    assert any(" enters compiled code " in x for x in lines[last_deopt:]), lines
    last = deopt_points(run.stderr, "main")[-1]
    assert any(re.match(r"  deopt #\d+: main line 7 bytecode \d+ ADD: guard 'numbers or strings', "
                        r"trusts \(number, number\) x\d+, \(string, string\) x\d+$", x) for x in last), last


def test_site_deopt_limit_one_stops_the_site_after_one_deopt(tmp_path: Path) -> None:
    run = run_program(tmp_path, FLIP, "--stats", "--trace=deopt", "--dump=deopt", "--set", "site_deopt_limit=1")
    assert_clean(run, 0)
    assert run.stdout == FLIP_OUT == interpreted(tmp_path, FLIP)
    assert stats_counter(run.stderr, "deopt.total") == 1
    assert stats_counter(run.stderr, "deopt.sites_stopped_speculating") == 1
    assert stats_counter(run.stderr, "deopt.functions_stopped_speculating") == 0
    nexts = [x for x in trace_lines(run.stderr, "deopt") if x.startswith("  next: ")]
    assert len(nexts) == 1
    assert "this site reached site_deopt_limit (1): it stops speculating" in nexts[0]
    blocks = deopt_points(run.stderr, "main")
    assert len(blocks) == 2
    assert any(" main line 7 " in x for x in blocks[0])
    assert not any(" main line 7 " in x for x in blocks[1])           # stage 2's guard: no exit there
    assert any(" main line 8 " in x for x in blocks[1])               # other sites still speculate


def test_by_default_the_site_speculates_again_with_both_cases(tmp_path: Path) -> None:
    run = run_program(tmp_path, FLIP, "--stats", "--dump=deopt")
    assert_clean(run, 0)
    assert run.stdout == FLIP_OUT
    assert stats_counter(run.stderr, "deopt.sites_stopped_speculating") == 0
    blocks = deopt_points(run.stderr, "main")
    assert len(blocks) == 2
    assert any(" main line 7 " in x and "guard 'numbers or strings'" in x for x in blocks[1]), blocks[1]


# ---------------------------------------------------------------- discard and recompile
def test_a_function_is_recompiled_after_a_deopt(tmp_path: Path) -> None:
    run = run_program(tmp_path, RARE_STRINGS, "--stats", "--trace=tier")
    assert_clean(run, 0)
    assert run.stdout == RARE_STRINGS_OUT == interpreted(tmp_path, RARE_STRINGS)
    tier = trace_lines(run.stderr, "tier")
    installed = [n for n, x in enumerate(tier) if x == "add: compiled code installed"]
    discarded = [n for n, x in enumerate(tier) if x == "add: compiled code discarded (deopt at line 1); back to the "
                                                        "interpreter"]
    assert len(installed) == 2, tier
    assert len(discarded) == 1, tier
    assert installed[0] < discarded[0] < installed[1]
    assert stats_counter(run.stderr, "tier.discarded") == 1


def test_a_rare_new_case_widens_the_feedback_the_next_compilation_uses(tmp_path: Path) -> None:
    """VM bug (fixed): the failing instruction ran in an interpreter that did not record it (discarding the code had
    reset the function's counters below ``feedback_after``), so add was compiled on numbers alone again and
    deopted again at every round's strings, until the site's limit stopped it speculating."""
    run = run_program(tmp_path, RARE_STRINGS, "--stats", "--dump=deopt", "--trace=deopt")
    assert_clean(run, 0)
    assert run.stdout == RARE_STRINGS_OUT
    assert stats_counter(run.stderr, "deopt.total") == 1
    assert stats_counter(run.stderr, "deopt.sites_stopped_speculating") == 0
    blocks = deopt_points(run.stderr, "add")
    assert len(blocks) == 2
    assert re.fullmatch(r"  deopt #\d+: add line 1 bytecode \d+ ADD: guard 'both numbers', trusts \(number, number\) "
                        r"x\d+", blocks[0][0]), blocks
    assert re.fullmatch(r"  deopt #\d+: add line 1 bytecode \d+ ADD: guard 'numbers or strings', trusts "
                        r"\(number, number\) x\d+, \(string, string\) x1", blocks[1][0]), blocks


def test_a_caller_compiled_against_discarded_code_still_calls_correctly(tmp_path: Path) -> None:
    assert interpreted(tmp_path, STALE_CALLEE) == STALE_CALLEE_OUT
    run = run_program(tmp_path, STALE_CALLEE, "--stats", "--trace=tier")
    assert_clean(run, 0)
    assert run.stdout == STALE_CALLEE_OUT
    tier = trace_lines(run.stderr, "tier")
    assert tier.count("caller: compiled code installed") == 1
    assert not any(x.startswith("caller: compiled code discarded") for x in tier)
    assert tier.count("helper: compiled code discarded (deopt at line 1); back to the interpreter") == 1
    # Only the first string deopts: caller's direct calls to the old code reach the interpreter afterwards.
    assert stats_counter(run.stderr, "deopt.total") == 1
    # After the discard, counting restarts where feedback recording starts (feedback_after back-edges).
    restart = Settings().feedback_after
    assert f"  helper: 3 calls, {restart} back-edges, interpreted" in section(
        run.stderr, "tiers (function: calls, back-edges, state)")


def test_a_discarded_callee_called_from_compiled_code_gets_hot_and_compiled_again(tmp_path: Path) -> None:
    source = STALE_CALLEE + "for (var i = 0; i < 3000; i = i + 1) n = n + caller(i);\nprint n;\nprint caller(\"gh\");\n"
    run = run_program(tmp_path, source, "--stats", "--trace=tier")
    assert_clean(run, 0)
    assert run.stdout == STALE_CALLEE_OUT + "1.7994e+07\nghgh\n" == interpreted(tmp_path, source)
    tier = trace_lines(run.stderr, "tier")
    assert tier.count("helper: compiled code installed") == 2
    assert tier.count("caller: compiled code installed") == 1
    assert stats_counter(run.stderr, "deopt.total") == 1


# One call with strings, three compiled activations deep (the inline copy's included): each activation
# leaves compiled code as the recursion returns through it, but only the first was running installed code.
RECURSION_FLIPS_ONCE = """\
fun rep(n, s) {
  if (n < 1) return s;
  return rep(n - 1, s) + s;
}
var t = 0;
for (var i = 0; i < 400; i = i + 1) t = t + rep(3, i);
print rep(3, "ab");
for (var i = 0; i < 400; i = i + 1) t = t + rep(3, i);
print t;
print rep(3, "cd");
"""
RECURSION_FLIPS_ONCE_OUT = "abababab\n638400\ncdcdcdcd\n"


def test_older_activations_of_discarded_code_do_not_count_towards_the_limits(tmp_path: Path) -> None:
    """VM bug (fixed): every activation of the discarded code counted as another deopt of the site, so one
    type change in a recursive function reached site_deopt_limit at once and the site never speculated again
    (the limit is for a site that keeps failing with wider feedback each time)."""
    assert interpreted(tmp_path, RECURSION_FLIPS_ONCE) == RECURSION_FLIPS_ONCE_OUT
    run = run_program(tmp_path, RECURSION_FLIPS_ONCE, "--stats", "--trace=deopt", "--dump=deopt")
    assert_clean(run, 0)
    assert run.stdout == RECURSION_FLIPS_ONCE_OUT
    nexts = [x for x in trace_lines(run.stderr, "deopt") if x.startswith("  next: ")]
    assert len(nexts) == stats_counter(run.stderr, "deopt.total") >= 2
    assert "rep's compiled code is discarded (deopt 1 of this site, 1 of rep)" in nexts[0]
    assert all("was already discarded (an older activation)" in x and "not counted" in x for x in nexts[1:]), nexts
    assert not any("reached" in x for x in nexts), nexts
    assert stats_counter(run.stderr, "deopt.sites_stopped_speculating") == 0
    assert stats_counter(run.stderr, "tier.discarded") == 1
    blocks = deopt_points(run.stderr, "rep")
    assert len(blocks) == 2
    assert any(" ADD: guard 'numbers or strings', trusts (number, number) x" in x for x in blocks[1]), blocks[1]


def test_deopt_stress_arms_guards_past_the_first_65536_points() -> None:
    """--deopt-stress has no limit: flags come in chunks, each point fails once, then runs its fast path."""
    from stage3_deopt.deopt import StressFlags
    flags = StressFlags()
    for point in (0, StressFlags.CHUNK - 1, StressFlags.CHUNK, 5 * StressFlags.CHUNK + 7):
        address = flags.arm(point)
        chunk = flags.chunks[point // StressFlags.CHUNK]
        assert address == chunk.base + (point % StressFlags.CHUNK) * 8 and chunk.load(address) == 1
        assert flags.fired(point) and not flags.fired(point)
    assert not flags.fired(1) and not flags.fired(100 * StressFlags.CHUNK)
