"""Stage 4 as a user runs it: --help, --help-settings, --trace=shapes,ic,deopt, --stats, --dump=shapes, --shapes-dot, --ic=off.

Each test starts real processes (``python -m stage4_shapes ...``).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stage4_shapes.settings import Settings
from stage4_helpers import (assert_clean, run_everywhere, run_program, run_vm, section, stats_counter,
                            trace_lines)

DEFAULTS = Settings()

# Two classes: Point gets 101 instances (slack tracking learns 2 fields at the 64th) and then one with a
# third field (past the learned inline slots); Bag's fields come in two orders.
SHAPES = """\
class Point { init(x, y) { this.x = x; this.y = y; } }
class Bag {}
var s = 0;
for (var i = 0; i < 100; i = i + 1) { var p = Point(i, 1); s = s + p.x; }
var p = Point(1, 2);
p.z = 3;
var b = Bag(); b.a = 1; b.b = 2; b.c = 3;
var c = Bag(); c.c = 1; c.b = 2; c.a = 3;
print s + p.z + b.c + c.c;
"""
SHAPES_OUT = "4957\n"

SHAPES_TRACE = [
    "new root shape #0 Point{} with 8 inline slots",
    "new root shape #1 Bag{} with 8 inline slots",
    "transition #0 Point{} --x--> #2 Point{x} (field 0, inline)",
    "transition #2 Point{x} --y--> #3 Point{x,y} (field 1, inline)",
    "class Point: slack tracking done after 64 instances: at most 2 fields, so its 3 shapes keep 2 inline slots "
    "(was 8)",
    "transition #3 Point{x,y} --z--> #4 Point{x,y,z} (field 2, overflow)",
    "transition #1 Bag{} --a--> #5 Bag{a} (field 0, inline)",
    "transition #5 Bag{a} --b--> #6 Bag{a,b} (field 1, inline)",
    "transition #6 Bag{a,b} --c--> #7 Bag{a,b,c} (field 2, inline)",
    "transition #1 Bag{} --c--> #8 Bag{c} (field 0, inline)",
    "transition #8 Bag{c} --b--> #9 Bag{c,b} (field 1, inline)",
    "transition #9 Bag{c,b} --a--> #10 Bag{c,b,a} (field 2, inline)",
]

SHAPES_TREES = """\
=== shapes ===
class Point: 101 instances made by the runtime, 4 shapes
  #0 Point{}  (0 fields, 2 inline slots)
    --x-->
      #2 Point{x}  (1 fields, 2 inline slots)
        --y-->
          #3 Point{x,y}  (2 fields, 2 inline slots)
            --z-->
              #4 Point{x,y,z}  (3 fields, 2 inline slots)
class Bag: 2 instances made by the runtime, 7 shapes
  #1 Bag{}  (0 fields, 8 inline slots)
    --a-->
      #5 Bag{a}  (1 fields, 8 inline slots)
        --b-->
          #6 Bag{a,b}  (2 fields, 8 inline slots)
            --c-->
              #7 Bag{a,b,c}  (3 fields, 8 inline slots)
    --c-->
      #8 Bag{c}  (1 fields, 8 inline slots)
        --b-->
          #9 Bag{c,b}  (2 fields, 8 inline slots)
            --a-->
              #10 Bag{c,b,a}  (3 fields, 8 inline slots)
=== sites ===
"""


def ladder(classes: int, calls: int = 100) -> str:
    """One ``o.x`` site fed instances of ``classes`` classes, ``calls`` of each in turn (900 calls at most
    stay interpreted, so every one is recorded)."""
    names = [f"K{n}" for n in range(classes)]
    lines = [f"class {name} {{ init() {{ this.x = {n + 1}; }} }}" for n, name in enumerate(names)]
    lines += ["fun get(o) { return o.x; }", "var s = 0;"]
    lines += [f"for (var i = 0; i < {calls}; i = i + 1) s = s + get({name}());" for name in names]
    lines.append("print s;")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- usage and help
def flat_help(text: str) -> str:
    """Help text with its wrapped lines joined (``opt-\\n    ir`` becomes ``opt-ir``)."""
    return re.sub(r"\s+", " ", re.sub(r"-\n\s+", "-", text))


def test_help_lists_shapes_dot_and_the_shapes_trace_and_dump() -> None:
    run = run_vm("--help")
    assert_clean(run, 0)
    text = flat_help(run.stdout)
    assert "--shapes-dot PATH write the shape trees and each property site's cache as a Graphviz DOT file" in text
    assert re.search(r"--trace CATEGORIES comma-separated: tier,compile,ic,deopt,osr,startup,shapes \(", text), text
    assert re.search(r"--dump KINDS comma-separated: [\w,-]*,deopt,shapes \(", text), text
    for flag in ("--jit", "--threshold", "--trace-file", "--stats", "--set", "--help-settings", "--ic", "--deopt",
                 "--deopt-stress", "--osr"):
        assert flag in run.stdout, flag


@pytest.mark.parametrize("name, default", [("inline_slots_while_tracking", "8"), ("slack_tracking_instances", "64"),
                                           ("shape_polymorphism_limit", "8"), ("max_shape_fields", "64"),
                                           ("max_shapes_per_class", "128")])
def test_help_settings_list_the_stage_4_settings_with_reasons(name: str, default: str) -> None:
    run = run_vm("--help-settings")
    assert_clean(run, 0)
    match = re.search(rf"^{name} = {default}\n    (\S.*)$", run.stdout, re.MULTILINE)
    assert match, run.stdout
    assert len(match.group(1)) > 60           # a reason, not a placeholder
    assert re.search(r"^site_deopt_limit = 2$", run.stdout, re.MULTILINE)     # stage 3's are still there


@pytest.mark.parametrize("flags", [["--trace=shapes,bogus"], ["--dump=shape"], ["--shapes-dot"],
                                   ["--set", "max_shape_fields=0"], ["--set", "max_shapes_per_class=-1"],
                                   ["--set", "slack_tracking_instances=0"], ["--set", "shape_polymorphism_limit=0"],
                                   ["--set", "inline_slots_while_tracking=65"],
                                   ["--set", "inline_slots_while_tracking=many"]])
def test_bad_stage_4_flags_and_settings_are_usage_errors(tmp_path: Path, flags: list[str]) -> None:
    # --shapes-dot with no PATH takes the file name as its argument: then there is no program to run.
    run = run_vm(*flags) if flags == ["--shapes-dot"] else run_program(tmp_path, "print 1;\n", *flags)
    assert_clean(run, 64)
    assert run.stdout == ""
    assert "usage:" in run.stderr


# ---------------------------------------------------------------- --trace=shapes
def test_trace_shapes_prints_root_shapes_transitions_and_slack_tracking(tmp_path: Path) -> None:
    run = run_program(tmp_path, SHAPES, "--trace=shapes")
    assert_clean(run, 0)
    assert run.stdout == SHAPES_OUT
    assert trace_lines(run.stderr, "shapes") == SHAPES_TRACE


def test_trace_shapes_explains_each_fall_back_to_dictionary_mode(tmp_path: Path) -> None:
    run = run_program(tmp_path, SHAPES, "--trace=shapes", "--set", "max_shape_fields=2", "--set",
                      "max_shapes_per_class=5", "--set", "slack_tracking_instances=10")
    assert_clean(run, 0)
    assert run.stdout == SHAPES_OUT
    lines = trace_lines(run.stderr, "shapes")
    assert "class Point: slack tracking done after 10 instances: at most 2 fields, so its 3 shapes keep 2 inline " \
           "slots (was 8)" in lines
    dictionary = [line for line in lines if "dictionary mode" in line]
    assert dictionary == ["Point{x,y} + z: dictionary mode (3 fields > max_shape_fields (2))",
                          "Bag{a,b} + c: dictionary mode (3 fields > max_shape_fields (2))",
                          "Bag{c} + b: dictionary mode (class has 5 shapes = max_shapes_per_class (5))"]


# ---------------------------------------------------------------- --stats and --dump=shapes
def test_stats_count_shapes_transitions_classes_and_shape_cache_states(tmp_path: Path) -> None:
    run = run_program(tmp_path, SHAPES, "--stats")
    assert_clean(run, 0)
    assert run.stdout == SHAPES_OUT
    assert stats_counter(run.stderr, "shapes.total") == 11
    assert stats_counter(run.stderr, "shapes.transitions") == 9
    assert stats_counter(run.stderr, "shapes.dictionary_instances") == 0
    assert stats_counter(run.stderr, "classes.total") == 2
    # 13 property sites, all monomorphic (the script's two class calls are type caches, counted by stage 2).
    assert stats_counter(run.stderr, "ic.shape.monomorphic") == 13
    run = run_program(tmp_path, ladder(DEFAULTS.shape_polymorphism_limit + 1), "--stats")
    assert_clean(run, 0)
    assert stats_counter(run.stderr, "ic.shape.megamorphic") == 1
    assert stats_counter(run.stderr, "ic.shape.monomorphic") == DEFAULTS.shape_polymorphism_limit + 1   # inits
    run = run_program(tmp_path, ladder(2), "--stats")
    assert stats_counter(run.stderr, "ic.shape.polymorphic") == 1
    assert stats_counter(run.stderr, "ic.shape.megamorphic") == 0


def test_dump_shapes_prints_each_class_tree_and_every_site(tmp_path: Path) -> None:
    run = run_program(tmp_path, SHAPES, "--dump=shapes")
    assert_clean(run, 0)
    assert run.stdout == SHAPES_OUT
    assert run.stderr.startswith(SHAPES_TREES)
    sites = run.stderr[len(SHAPES_TREES):].splitlines()
    assert len(sites) == 17
    for line in ("<script> line 4 CALL: monomorphic: class Point",
                 "<script> line 4 GET_PROPERTY 'x': monomorphic: #3 Point{x,y}: field inline slot 0",
                 "<script> line 6 SET_PROPERTY 'z': monomorphic: #3 -> #4 Point{x,y} -> Point{x,y,z}: add field 2 "
                 "(grow overflow)",
                 "<script> line 8 SET_PROPERTY 'b': monomorphic: #8 -> #9 Bag{c} -> Bag{c,b}: add field 1",
                 "<script> line 9 GET_PROPERTY 'z': monomorphic: #4 Point{x,y,z}: field overflow 0",
                 "<script> line 9 GET_PROPERTY 'c': monomorphic: #10 Bag{c,b,a}: field inline slot 0",
                 "init line 1 SET_PROPERTY 'y': monomorphic: #2 -> #3 Point{x} -> Point{x,y}: add field 1"):
        assert line in sites, line


def test_dump_shapes_shows_which_shapes_a_megamorphic_site_saw(tmp_path: Path) -> None:
    limit = DEFAULTS.shape_polymorphism_limit
    run = run_program(tmp_path, ladder(limit + 1), "--dump=shapes")
    assert_clean(run, 0)
    (site,) = [line for line in run.stderr.splitlines() if line.startswith("get line ")]
    seen = "; ".join(f"#{limit + 1 + n} K{n}{{x}}: field inline slot 0" for n in range(limit))
    assert site == f"get line {limit + 2} GET_PROPERTY 'x': megamorphic: {seen} " \
                   "(and more: past the polymorphism limit)"
    # A polymorphic site lists what it holds and nothing more.
    run = run_program(tmp_path, ladder(2), "--dump=shapes")
    (site,) = [line for line in run.stderr.splitlines() if line.startswith("get line ")]
    assert site == "get line 3 GET_PROPERTY 'x': polymorphic: #2 K0{x}: field inline slot 0; " \
                   "#3 K1{x}: field inline slot 0"


# ---------------------------------------------------------------- --shapes-dot
@dataclass
class Graph:
    """What a DOT file says: its nodes (with attributes), edges, and clusters (label -> node ids)."""

    kind: str = ""
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, list[str]] = field(default_factory=dict)


TOKEN = re.compile(r'\s*(?:(->|--|[{}\[\];,=])|"((?:[^"\\]|\\.)*)"|([A-Za-z_0-9.]+))')


class DotParser:
    """A parser for the DOT language's statements (graph, subgraph, node, edge, attribute, ``a=b``)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        position = 0
        text = text.rstrip()
        while position < len(text):
            match = TOKEN.match(text, position)
            assert match and match.end() > position, f"not DOT at {text[position:position + 40]!r}"
            punctuation, quoted, word = match.groups()
            self.tokens.append(punctuation or (f'"{quoted}"' if quoted is not None else word))
            position = match.end()
        self.at = 0
        self.graph = Graph()

    def peek(self) -> str:
        """The next token ('' at the end)."""
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        """The next token (which must be ``expected``, if given)."""
        token = self.peek()
        assert token, "unexpected end of the DOT file"
        assert expected is None or token == expected, f"expected {expected!r}, found {token!r}"
        self.at += 1
        return token

    def ident(self) -> str:
        """An identifier or a quoted string (unquoted)."""
        token = self.take()
        assert token not in "{}[];,=" and token not in ("->", "--"), f"expected an identifier, found {token!r}"
        return token[1:-1] if token.startswith('"') else token

    def parse(self) -> Graph:
        """The whole file: ``digraph NAME { ... }``."""
        self.graph.kind = self.take()
        assert self.graph.kind in ("graph", "digraph"), self.graph.kind
        if self.peek() != "{":
            self.ident()
        self.body(None)
        assert self.peek() == "", f"text after the graph: {self.tokens[self.at:]}"
        return self.graph

    def body(self, cluster: str | None) -> list[str]:
        """``{ statements }``; returns the node ids declared in it."""
        self.take("{")
        declared: list[str] = []
        while self.peek() != "}":
            declared += self.statement(cluster)
            if self.peek() == ";":
                self.take()
        self.take("}")
        return declared

    def statement(self, cluster: str | None) -> list[str]:
        """One statement; returns the node ids it declared."""
        if self.peek() == "subgraph":
            self.take()
            name = self.ident() if self.peek() != "{" else ""
            start = self.at
            declared = self.body(name)
            label = next((self.tokens[i + 2][1:-1] for i in range(start, self.at - 2)
                          if self.tokens[i] == "label" and self.tokens[i + 1] == "="), name)
            if name.startswith("cluster"):
                self.graph.clusters[label] = declared
            return declared
        if self.peek() in ("graph", "node", "edge"):
            self.take()
            self.attributes()
            return []
        first = self.ident()
        if self.peek() == "=":
            self.take()
            self.ident()
            return []
        if self.peek() in ("->", "--"):
            ends = [first]
            while self.peek() in ("->", "--"):
                arrow = self.take()
                assert arrow == ("->" if self.graph.kind == "digraph" else "--"), arrow
                ends.append(self.ident())
            attributes = self.attributes()
            self.graph.edges += [(a, b, attributes) for a, b in zip(ends, ends[1:])]
            return []
        self.graph.nodes[first] = self.attributes()
        return [first]

    def attributes(self) -> dict[str, str]:
        """``[a=b, c=d]`` (optional)."""
        found: dict[str, str] = {}
        while self.peek() == "[":
            self.take()
            while self.peek() != "]":
                name = self.ident()
                self.take("=")
                found[name] = self.ident()
                if self.peek() in (",", ";"):
                    self.take()
            self.take("]")
        return found


def test_the_dot_parser_rejects_what_is_not_dot() -> None:
    with pytest.raises(AssertionError):
        DotParser("digraph { a -> }").parse()
    with pytest.raises(AssertionError):
        DotParser("digraph { a [label=x }").parse()
    graph = DotParser('digraph g { subgraph cluster_1 { label="c"; x; } x -> y [style=dashed]; }').parse()
    assert graph.clusters == {"c": ["x"]} and graph.edges == [("x", "y", {"style": "dashed"})]


def test_shapes_dot_writes_a_digraph_with_a_cluster_per_class_and_dashed_site_edges(tmp_path: Path) -> None:
    path = tmp_path / "shapes.dot"
    source = SHAPES + ladder(DEFAULTS.shape_polymorphism_limit + 1).replace("var s = 0;", "s = 0;")
    run = run_program(tmp_path, source, f"--shapes-dot={path}", "--trace=shapes", "--set", "max_shape_fields=2")
    assert_clean(run, 0)
    graph = DotParser(path.read_text(encoding="utf-8")).parse()
    assert graph.kind == "digraph"
    classes = ["Point", "Bag"] + [f"K{n}" for n in range(DEFAULTS.shape_polymorphism_limit + 1)]
    assert sorted(graph.clusters) == sorted(f"class {name}" for name in classes)
    shapes = {node: attrs for node, attrs in graph.nodes.items() if attrs.get("shape") == "ellipse"}
    assert sorted(sum(graph.clusters.values(), [])) == sorted(shapes)
    labels = {node: attrs["label"].split("\\n")[0] for node, attrs in shapes.items()}
    point = sorted(labels[n] for n in graph.clusters["class Point"])
    assert point == ["#0 Point{}", "#2 Point{x}", "#3 Point{x,y}", "#4 Point{dictionary}"]
    # The dictionary shape is drawn dashed; transitions are labelled with the field they add.
    dictionary = next(n for n in shapes if labels[n] == "#4 Point{dictionary}")
    assert shapes[dictionary].get("style") == "dashed"
    transitions = [(labels[a], attrs["label"], labels[b]) for a, b, attrs in graph.edges if a in shapes]
    assert ("#0 Point{}", "x", "#2 Point{x}") in transitions
    assert ("#2 Point{x}", "y", "#3 Point{x,y}") in transitions
    assert all(b in shapes for a, b, _ in graph.edges if a in shapes)
    # Each site is a filled box coloured by its state, with dashed edges to the shapes it cached.
    sites = {node: attrs for node, attrs in graph.nodes.items() if attrs.get("shape") == "box"}
    assert sites and all(attrs.get("style") == "filled" for attrs in sites.values())
    site_edges = [(a, b, attrs) for a, b, attrs in graph.edges if a in sites]
    assert site_edges and all(attrs.get("style") == "dashed" and b in shapes for _, b, attrs in site_edges)
    get = next(n for n, attrs in sites.items() if attrs["label"].startswith("get line "))
    assert sites[get]["label"].endswith("\\nmegamorphic")
    assert sites[get]["fillcolor"] == "salmon"
    assert sorted(labels[b].split(" ")[1] for a, b, _ in site_edges if a == get) == \
        sorted(f"K{n}{{x}}" for n in range(DEFAULTS.shape_polymorphism_limit))
    z = next(n for n, attrs in sites.items() if attrs["label"].startswith("<script> line 4 GET_PROPERTY 'x'"))
    assert [labels[b] for a, b, _ in site_edges if a == z] == ["#3 Point{x,y}"]
    assert sites[z]["fillcolor"] == "palegreen"
    # The trace says what was written: the SVG too only when Graphviz's dot is installed.
    (wrote,) = [line for line in trace_lines(run.stderr, "shapes") if line.startswith("wrote ")]
    svg = Path(f"{path}.svg")
    if shutil.which("dot"):
        assert wrote == f"wrote {path} and {svg}"
        assert "<svg" in svg.read_text(encoding="utf-8")
    else:
        assert wrote == f"wrote {path}"
        assert not svg.exists()


# ---------------------------------------------------------------- --trace=ic and --trace=deopt
def test_trace_ic_shows_a_property_site_going_monomorphic_polymorphic_megamorphic(tmp_path: Path) -> None:
    limit = DEFAULTS.shape_polymorphism_limit
    run = run_program(tmp_path, ladder(limit + 2), "--trace=ic")
    assert_clean(run, 0)
    assert run.stdout == f"{100 * sum(range(1, limit + 3))}\n"
    site = f"get line {limit + 3} GET_PROPERTY 'x': "
    assert [line[len(site):] for line in trace_lines(run.stderr, "ic") if line.startswith(site)] == [
        "uninitialised -> monomorphic, saw K0{x}: field inline slot 0",
        "monomorphic -> polymorphic, saw K1{x}: field inline slot 0",
        f"polymorphic -> megamorphic, saw K{limit}{{x}}: field inline slot 0"]
    # --set shape_polymorphism_limit moves the step; type caches keep stage 2's limit.
    run = run_program(tmp_path, ladder(3), "--trace=ic", "--set", "shape_polymorphism_limit=2")
    assert_clean(run, 0)
    lines = [line for line in trace_lines(run.stderr, "ic") if line.startswith("get line 4 GET_PROPERTY")]
    assert lines[-1] == "get line 4 GET_PROPERTY 'x': polymorphic -> megamorphic, saw K2{x}: field inline slot 0"


# An instance of a new shape reaches get's compiled monomorphic site.
NEW_SHAPE = """\
class P { init() { this.x = 1; } }
class Q { init() { this.y = 2; this.x = 3; } }
fun get(o) { return o.x; }
fun main() {
  var p = P();
  var s = 0;
  for (var i = 0; i < 2000; i = i + 1) s = s + get(p);
  print s;
  print get(Q());
}
main();
"""

# Objects first used after the hot top-level loop: the OSR entry's code past the loop never ran.
AFTER_THE_LOOP = """\
class P { init() { this.x = 1; } }
var s = 0;
for (var i = 0; i < 3000; i = i + 1) s = s + i;
var p = P();
print p.x + s;
"""


def test_trace_deopt_shows_a_shape_guard_failing(tmp_path: Path) -> None:
    run = run_program(tmp_path, NEW_SHAPE, "--trace=deopt", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "2000\n3\n"
    lines = trace_lines(run.stderr, "deopt")
    start = lines.index("get line 3 bytecode 1 GET_PROPERTY: guard 'shape' failed in get")
    assert re.fullmatch(r"  trusted: P\{x\}: field inline slot 0 seen \d+ times", lines[start + 1]), lines
    assert "Q{y,x}" in lines[start + 2] and lines[start + 2].startswith("  saw: ")
    assert lines[start + 4].startswith("  next: the interpreter resumes at bytecode 1; get's compiled code is "
                                       "discarded (deopt 1 of this site, 1 of get)")
    assert "  get: 1 deopts, guard 'shape'" in section(run.stderr, "deopts (function: count, guard)")


def test_trace_deopt_shows_no_feedback_yet_past_a_hot_top_level_loop(tmp_path: Path) -> None:
    run = run_program(tmp_path, AFTER_THE_LOOP, "--trace=deopt", "--stats")
    assert_clean(run, 0)
    assert run.stdout == "4.4985e+06\n"
    lines = trace_lines(run.stderr, "deopt")
    assert re.fullmatch(r"<script> line 4 bytecode \d+ CALL: guard 'no feedback yet' failed in <script> OSR at "
                        r"bytecode \d+", lines[0]), lines
    assert lines[1] == "  trusted: no feedback"
    assert "the interpreter records this site" in lines[4]
    assert "(not counted towards the deopt limits)" in lines[4]
    assert stats_counter(run.stderr, "osr.entered") == 1
    assert "  <script>: 1 deopts, guard 'no feedback yet'" in section(run.stderr, "deopts (function: count, guard)")


# ---------------------------------------------------------------- --ic=off
POLYMORPHIC = """\
class A { init() { this.x = 1; } m() { return 10; } }
class B { init() { this.y = 0; this.x = 2; } m() { return 20; } }
class C { init() { this.x = 3; } m() { return 30; } }
fun get(o) { return o.x + o.m(); }
fun main() {
  var s = 0;
  var k = 0;
  for (var i = 0; i < 6000; i = i + 1) {
    var o = A();
    if (k == 1) o = B();
    if (k == 2 and i > 3000) o = C();
    s = s + get(o);
    k = k + 1;
    if (k == 3) k = 0;
  }
  print s;
}
main();
"""


@pytest.mark.parametrize("name", ["SHAPES", "POLYMORPHIC", "NEW_SHAPE", "AFTER_THE_LOOP"])
def test_ic_off_prints_the_same_as_the_default(tmp_path: Path, name: str) -> None:
    source = globals()[name]
    run_everywhere(tmp_path, source, {"default": (), "ic-off": ("--ic=off",)})


def test_ic_off_compiled_code_takes_the_generic_path(tmp_path: Path) -> None:
    default = run_program(tmp_path, POLYMORPHIC, "--stats", "--set", "site_deopt_limit=1")
    off = run_program(tmp_path, POLYMORPHIC, "--stats", "--ic=off")
    assert_clean(default, 0)
    assert_clean(off, 0)
    assert default.stdout == off.stdout == "110000\n"
    # With caches, get's guards miss on C (its site stopped speculating after one deopt); without, there
    # are no guards to miss, and no deopts.
    misses = section(default.stderr, "guard misses per site (guarded sites in compiled code)")
    assert any(line.startswith("  get line 4 GET_PROPERTY 'x': ") and "misses (polymorphic" in line
               for line in misses), misses
    assert section(off.stderr, "guard misses per site (guarded sites in compiled code)") == ["  (none)"]
    assert stats_counter(off.stderr, "deopt.total") == 0
    assert stats_counter(off.stderr, "tier.compiled") >= 2
    # The compiled o.x calls the native generic lookup instead of comparing shapes.
    generic = 'call i64 @"lox_get_native"('
    ir = run_program(tmp_path, NEW_SHAPE, "--ic=off", "--dump=ir")
    assert_clean(ir, 0)
    assert "=== ir: main, get, main (OSR at bytecode " in ir.stderr
    assert ir.stderr.count(generic) == 1
    cached = run_program(tmp_path, NEW_SHAPE, "--dump=ir")
    assert_clean(cached, 0)
    assert "=== ir: main, get, main (OSR at bytecode " in cached.stderr
    assert generic not in cached.stderr
