"""``--dump=heap``: a census of the reachable heap, objects and bytes per kind and instances per class."""

from __future__ import annotations


from stage0_jit.layout import Kind
from stage4_shapes.objects import ObjectKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .vm import GCVM


def kind_name(kind: int) -> str:
    """``instance``, ``string``... for a header's kind byte."""
    for enum in (Kind, ObjectKind):
        if kind in enum._value2member_map_:
            return enum(kind).name.lower()
    return f"kind {kind}"


def census(vm: "GCVM") -> str:
    """The dump's text."""
    heap = vm.gc_heap
    shapes = vm.objects.shapes.shapes
    counts, by_shape = vm.collector.census(vm.objects.shapes.shapes_made)
    lines = ["=== heap: reachable objects per kind ===",
             f"{'kind':<14}{'objects':>10}{'bytes':>14}"]
    total_objects = total_bytes = 0
    for kind, (objects, size) in sorted(counts.items(), key=lambda item: -item[1][1]):
        lines.append(f"{kind_name(kind):<14}{objects:>10}{size:>14}")
        total_objects += objects
        total_bytes += size
    lines.append(f"{'total':<14}{total_objects:>10}{total_bytes:>14}")
    by_class: dict[str, list[int]] = {}
    for shape_id, (objects, size) in by_shape.items():
        shape = shapes.get(shape_id)
        row = by_class.setdefault(shape.klass.name if shape is not None else f"shape #{shape_id}", [0, 0])
        row[0] += objects
        row[1] += size
    if by_class:
        lines.append("instances per class:")
        for name, (objects, size) in sorted(by_class.items(), key=lambda item: -item[1][1]):
            lines.append(f"  {name:<12}{objects:>10}{size:>14}")
    history = vm.collector.history
    lines.append(f"heap in use to the frontier: {(heap.frontier - heap.base) >> 10} KiB; "
                 f"{heap.pin_count} objects kept for good (pins); {len(history)} collections "
                 f"({sum(1 for c in history if c.full)} full)")
    return "\n".join(lines) + "\n"
