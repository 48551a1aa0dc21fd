"""Pictures of the shape trees and of every property site's cache: ``--dump=shapes`` (text) and ``--shapes-dot`` (Graphviz).

A learner reads why a site went megamorphic here: each site lists the
shapes it cached (by number, as in the trees above it) and its state; a
megamorphic site shows the shapes it saw before it gave up. The DOT file
draws the same: one cluster per class with its transition tree, one box per
site coloured by its state, dashed edges from a site to the shapes it
cached. When Graphviz's ``dot`` is on the PATH it is also rendered to SVG.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Hashable

from stage2_ic.feedback import ICState

from .caches import ClassTarget, FieldHit, MethodHit, ShapeCache, StoreHit
from .shapes import Shape

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from .vm import ShapesVM

_COLOURS = {ICState.UNINITIALISED: "grey80", ICState.MONOMORPHIC: "palegreen",
            ICState.POLYMORPHIC: "khaki", ICState.MEGAMORPHIC: "salmon"}


def shape_keys(case: Hashable) -> list[int]:
    """The header words (shapes) a cached case is about."""
    if isinstance(case, (FieldHit, MethodHit)):
        return [case.header]
    if isinstance(case, StoreHit):
        return [case.header] if case.header == case.new_header else [case.header, case.new_header]
    return []


def describe_case(vm: "ShapesVM", case: Hashable) -> str:
    """A case with its shapes named by number."""
    table = vm.objects.shapes.by_header
    keys = shape_keys(case)
    return " -> ".join(f"#{table[key].id}" for key in keys) + f" {case}" if keys else str(case)


def sites(vm: "ShapesVM") -> list[ShapeCache]:
    """Every shape cache (property, method, super and class-call sites), in program order per function."""
    found = []
    for record in vm.records:
        for offset in sorted(record.feedback):
            cache = record.feedback[offset]
            if isinstance(cache, ShapeCache) or any(isinstance(c, ClassTarget) for c in getattr(cache, "cases", [])):
                found.append(cache)
    return found


def tree_lines(shape: Shape, depth: int) -> list[str]:
    """One shape and, indented below it, the shapes its transitions lead to."""
    lines = [f"{'  ' * depth}#{shape.id} {shape.describe()}  ({len(shape.fields)} fields, "
             f"{shape.inline_capacity} inline slots)"]
    for name, child in shape.transitions.items():
        lines.append(f"{'  ' * (depth + 1)}--{name}-->")
        lines.extend(tree_lines(child, depth + 2))
    return lines


def text(vm: "ShapesVM") -> str:
    """``--dump=shapes``: every class's shape trees, then every site's cache."""
    model = vm.objects
    out = ["=== shapes ==="]
    for klass in model.classes.values():
        roots = [s for s in model.shapes.shapes.values() if s.klass is klass and s.parent is None and not s.dictionary]
        out.append(f"class {klass.name}: {klass.instances} instances made by the runtime, {klass.shapes} shapes")
        for root in roots:
            out.extend("  " + line for line in tree_lines(root, 0))
        if klass.dictionary_shape is not None:
            out.append(f"  #{klass.dictionary_shape.id} {klass.dictionary_shape.describe()} "
                       f"(instances that outgrew the limits)")
    out.append("=== sites ===")
    for cache in sites(vm):
        cases = "; ".join(describe_case(vm, c) for c in cache.cases) or "nothing yet"
        more = " (and more: past the polymorphism limit)" if cache.state is ICState.MEGAMORPHIC else ""
        out.append(f"{cache.describe()}: {cache.state.value}: {cases}{more}")
    return "\n".join(out) + "\n"


def dot(vm: "ShapesVM") -> str:
    """The Graphviz picture (see the module docstring)."""
    model = vm.objects
    out = ["digraph shapes {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for klass in model.classes.values():
        out.append(f'  subgraph cluster_{klass.id} {{ label="class {klass.name}"; style=rounded;')
        for shape in model.shapes.shapes.values():
            if shape.klass is klass:
                style = ', style=dashed' if shape.dictionary else ""
                out.append(f'    s{shape.id} [label="#{shape.id} {shape.describe()}\\n'
                           f'{shape.inline_capacity} inline", shape=ellipse{style}];')
        out.append("  }")
        for shape in model.shapes.shapes.values():
            if shape.klass is klass:
                for name, child in shape.transitions.items():
                    out.append(f'  s{shape.id} -> s{child.id} [label="{name}"];')
    for n, cache in enumerate(sites(vm)):
        label = f"{cache.describe()}\\n{cache.state.value}".replace('"', "'")
        out.append(f'  site{n} [label="{label}", shape=box, style=filled, fillcolor={_COLOURS[cache.state]}];')
        for case in cache.cases:
            for key in shape_keys(case):
                target = model.shapes.by_header.get(key)
                if target is not None:
                    out.append(f"  site{n} -> s{target.id} [style=dashed, arrowhead=open];")
    out.append("}")
    return "\n".join(out) + "\n"


def write_dot(vm: "ShapesVM", path: str) -> str:
    """Write the DOT file (and an SVG next to it when Graphviz is installed); returns what was written."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(dot(vm))
    written = path
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg", path, "-o", path + ".svg"], capture_output=True, check=False)
        if done.returncode == 0:
            written += f" and {path}.svg"
    return written
