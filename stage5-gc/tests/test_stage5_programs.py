"""Stage 5 as a user runs it: allocation without end, out of memory, --trace=gc, --stats, --dump=heap, --help.

Each test starts real processes (``python -m stage5_gc ...``), in the tiers and under ``--gc-stress``.
"""

from __future__ import annotations

from pathlib import Path

from stage5_helpers import MODES, STRESS_MODES, assert_clean, run_everywhere, run_program, stats_counter, trace_lines

# Binary trees, strings, closures and a cache of a fixed size: a million-odd allocations, little kept.
CHURN = """\
class Tree { init(l, r) { this.l = l; this.r = r; } }
fun make(d) { if (d == 0) return Tree(nil, nil); return Tree(make(d - 1), make(d - 1)); }
fun count(t) { if (t.l == nil) return 1; return 1 + count(t.l) + count(t.r); }
fun adder(n) { fun add(x) { return x + n; } return add; }
class Cache { init() { this.a = nil; this.b = nil; this.c = nil; this.n = 0; }
  put(v) { this.c = this.b; this.b = this.a; this.a = v; this.n = this.n + 1; } }
var cache = Cache();
var long = make(10);
var total = 0;
for (var i = 0; i < 200; i = i + 1) {
  total = total + count(make(7));
  var s = "k" + "v";
  cache.put(adder(i));
  total = total + cache.a(0) - i;
}
print total;
print count(long);
print cache.n;
"""
CHURN_OUT = "51000\n2047\n200\n"


def test_churn_prints_the_same_in_every_mode_and_under_stress(tmp_path: Path) -> None:
    """The churn program agrees in stage 5's modes, each also with a collection at every safepoint."""
    run = run_everywhere(tmp_path, CHURN)
    assert run.stdout == CHURN_OUT


def test_allocating_forever_stays_in_a_bounded_heap(tmp_path: Path) -> None:
    """Ten million short-lived instances: the heap never grows past a nursery and a chunk."""
    source = "class P { init(x) { this.x = x; } }\nvar s = 0;\n" \
             "for (var i = 0; i < 10000000; i = i + 1) { var p = P(i); s = s + p.x; }\nprint s;\n"
    run = run_program(tmp_path, source, "--stats")
    assert_clean(run, 0)
    assert run.stdout == "5e+13\n"
    # A nursery and a chunk past it: the heap does not creep up by a chunk per collection (it did while
    # the nursery count was only brought up to date when a free run was used up).
    assert stats_counter(run.stderr, "gc.heap_kb") <= 4096 + 256
    assert stats_counter(run.stderr, "gc.allocated_kb") > 200 * 1024
    assert stats_counter(run.stderr, "gc.collections") > 20


def test_keeping_everything_ends_in_out_of_memory(tmp_path: Path) -> None:
    """A list that only grows ends with 'Out of memory.' and status 70 at the heap limit, in every tier."""
    source = "class L { init(n) { this.next = n; this.pad = \"........\"; } }\n" \
             "var head = nil;\nwhile (true) head = L(head);\n"
    for flags in (("--jit=off",), (), ("--jit=eager",)):
        run = run_program(tmp_path, source, *flags, "--set", "heap_limit_mb=48")
        assert_clean(run, 70)
        assert run.stderr.splitlines()[0] == "Out of memory.", (flags, run.stderr)


def test_trace_gc_and_stats_describe_each_collection(tmp_path: Path) -> None:
    """``--trace=gc`` prints one line per collection; ``--stats`` counts them and gives the pauses."""
    run = run_program(tmp_path, CHURN, "--trace=gc", "--stats", "--set", "nursery_kb=256")
    assert_clean(run, 0)
    lines = trace_lines(run.stderr, "gc")
    assert lines and lines[0].startswith("#1 young (nursery full): heap ")
    assert stats_counter(run.stderr, "gc.collections") == len([x for x in lines if x.startswith("#")])
    assert "pauses: p50 " in run.stderr


def test_dump_heap_counts_reachable_objects_per_kind(tmp_path: Path) -> None:
    """``--dump=heap`` lists the reachable objects at exit, per kind, and the instances per class."""
    run = run_program(tmp_path, "class P {}\nvar keep = P();\nvar s = \"a\" + \"b\";\n", "--dump=heap")
    assert_clean(run, 0)
    assert "=== heap: reachable objects per kind ===" in run.stderr
    rows = {line.split()[0]: int(line.split()[1]) for line in run.stderr.splitlines()
            if line and line.split()[0] in ("instance", "string", "class")}
    assert rows["instance"] == 1 and rows["class"] == 1 and rows["string"] >= 2
    assert "instances per class:" in run.stderr
    assert any(line.split()[:2] == ["P", "1"] for line in run.stderr.splitlines() if line.startswith("  "))


def test_help_lists_the_collector_flags(tmp_path: Path) -> None:
    """``--help`` tells the truth about the stress and verify modes; ``--help-settings`` the heap sizes."""
    run = run_program(tmp_path, "", "--help")
    assert "--gc-stress" in run.stdout and "--gc-verify" in run.stdout
    settings = run_program(tmp_path, "", "--help-settings")
    for name in ("nursery_kb", "heap_limit_mb", "full_gc_growth", "gc_random_interval"):
        assert name in settings.stdout, name


def test_random_intervals_with_a_seed(tmp_path: Path) -> None:
    """``gc_random_interval`` collects after a random number of allocations, repeatably per seed."""
    flags = ("--gc-stress", "--gc-verify", "--set", "gc_random_interval=50", "--set", "gc_seed=7", "--stats")
    first = run_program(tmp_path, CHURN, *flags)
    second = run_program(tmp_path, CHURN, *flags)
    assert first.stdout == second.stdout == CHURN_OUT
    assert stats_counter(first.stderr, "gc.collections") > 10





def test_collections_are_spans_on_the_timeline(tmp_path: Path) -> None:
    """``--trace-file`` puts each collection on the main thread's track as a ``gc`` span."""
    import json
    trace = tmp_path / "timeline.json"
    run = run_program(tmp_path, CHURN, f"--trace-file={trace}", "--set", "nursery_kb=256", "--stats")
    assert_clean(run, 0)
    spans = [e for e in json.loads(trace.read_text())["traceEvents"] if e.get("cat") == "gc"]
    assert len(spans) == stats_counter(run.stderr, "gc.collections") > 0
    assert spans[0]["name"] == "gc #1 young" and spans[0]["ph"] == "X" and spans[0]["dur"] > 0


# A class (and a subclass) declared per call, with fields in an order that depends on the call: shapes
# come and go, so freed addresses are handed out again while sites still cache the older ones.
CLASS_FACTORY = """\
fun make(i, flip) {
  class Base { init(x) { if (flip) { this.x = x; this.y = 2 * x; } else { this.y = 2 * x; this.x = x; } }
               total() { return this.x + this.y; } }
  class Derived < Base { init(x) { super.init(x); this.z = i; } total() { return super.total() + this.z; } }
  return Derived(i);
}
fun read(o) { return o.y - o.x; }
var kept = make(1, true);
var sum = 0;
var flip = false;
for (var i = 0; i < 60; i = i + 1) { flip = !flip; var o = make(i, flip); sum = sum + o.total() + read(o) + read(kept); }
print sum;
print kept.total();
"""


def test_classes_made_per_call_are_forgotten_and_the_program_agrees(tmp_path: Path) -> None:
    """A program that declares classes in a loop prints the same in every mode and under stress, with a
    full collection (which forgets dead classes) every 64 registered classes and shapes."""
    modes = {name: (*flags, "--set", "full_gc_registered=64") for name, flags in {**MODES, **STRESS_MODES}.items()}
    run = run_everywhere(tmp_path, CLASS_FACTORY, modes)
    assert run.stdout == "8910\n4\n"


def test_a_class_per_call_runs_in_a_bounded_heap(tmp_path: Path) -> None:
    """20,000 classes declared, one kept: the heap stays small and nearly all are forgotten."""
    source = CLASS_FACTORY.replace("60", "20000").replace("print sum;\n", "")
    run = run_program(tmp_path, source, "--stats")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "classes.total") == 40002
    assert stats_counter(run.stderr, "gc.classes_forgotten") > 39000
    assert stats_counter(run.stderr, "gc.heap_kb") < 8 * 1024


# ``quiet`` has no call, loop or allocation: calling it cannot reach a safepoint in any tier, so compiled
# callers need not spill around it; ``busy`` loops and joins strings, so they must.
QUIET = """\
class Box { init(v) { this.v = v; } }
fun quiet(a) { return a * 2; }
fun busy(a) { var s = ""; for (var i = 0; i < 2; i = i + 1) s = s + "x"; return a; }
fun callsQuiet(o) { var x = quiet(1); return o.v + x; }
fun callsBusy(o) { var x = busy(1); return o.v + x; }
var box = Box(1);
var total = 0;
for (var i = 0; i < 1000; i = i + 1) total = total + callsQuiet(box) + callsBusy(box);
print total;
"""


def function_ir(ir_text: str, function: str) -> str:
    """The unoptimised IR of ``function``."""
    bodies = [body for body in ir_text.split("define ")[1:] if f"_{function}\"(" in body.split("{")[0]]
    assert len(bodies) == 1, function
    return bodies[0]


def test_a_call_of_a_quiet_function_needs_no_spill(tmp_path: Path) -> None:
    """The reference ``o`` lives across both calls. ``callsQuiet`` calls only a quiet function, so it
    never publishes a root area; ``callsBusy`` calls one that may stop, so its prologue publishes its area
    with ``o`` in it (an unassigned parameter: stored once, not at the spill); and the program agrees in
    every mode and under stress."""
    run = run_program(tmp_path, QUIET, "--dump", "ir")
    assert_clean(run, 0)
    published = 'store i64 %"roots_address"'
    assert published not in function_ir(run.stderr, "callsQuiet")
    busy = function_ir(run.stderr, "callsBusy")
    assert published in busy
    assert 'store i64 %".2", i64* %"' in busy             # o (the argument after the closure) into the area
    assert run_everywhere(tmp_path, QUIET).stdout == "5000\n"
