"""Stage 4's tunables: stage 3's plus the shape limits and slack tracking."""

from __future__ import annotations

from stage3_deopt.settings import Settings as Stage3Settings


class Settings(Stage3Settings):
    """Stage 4 settings."""

    inline_slots_while_tracking: int = 8
    slack_tracking_instances: int = 64
    shape_polymorphism_limit: int = 8
    max_shape_fields: int = 64
    max_shapes_per_class: int = 128

    WHY: dict[str, str] = {
        "inline_slots_while_tracking":
            "inline field slots of a class's first instances, while it learns how many fields they get "
            "(and the most any instance is given inline): a field in the instance is one load from its "
            "address, an overflow field two",
        "slack_tracking_instances":
            "instances made before a class fixes its inline slots to the most fields its instances got "
            "(V8's slack tracking), so a 2-field Point is 32 bytes; not fewer, because a constructor that "
            "builds children first (a tree node's init making its subtrees) leaves its first instances "
            "unfinished for as many instances as the tree is deep",
        "shape_polymorphism_limit":
            "shapes a property or method site (or superclasses a super site) may cache before it goes "
            "megamorphic (class-call sites are call caches and keep polymorphism_limit): each is one compare, and up to 8 compares with direct, inlinable calls "
            "behind them beat the generic lookup (measured: bench/zoo.lox's sites see 5 classes, "
            "timed section 1.03 s at 4, 0.51 s at 8); type caches keep polymorphism_limit",
        "max_shape_fields":
            "fields an instance may have in a shape; past it the instance goes to dictionary mode "
            "(its own name -> value table), so an object used as a map cannot grow the shape tree "
            "without bound",
        "max_shapes_per_class":
            "shapes in one class's transition tree; instances of a class whose fields come in too many "
            "orders go to dictionary mode instead of growing the tree without bound",
    }

    def validate(self) -> None:
        """Stage 3's checks plus the shape limits."""
        super().validate()
        if not 0 <= self.inline_slots_while_tracking <= 64:
            raise ValueError("inline_slots_while_tracking must be between 0 and 64")
        for name in ("slack_tracking_instances", "max_shape_fields", "max_shapes_per_class",
                     "shape_polymorphism_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
