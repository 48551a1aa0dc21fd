"""Stage 5's tunables: stage 4's plus the heap's sizes and the collector's stress and verify modes."""

from __future__ import annotations

from stage4_shapes.settings import Settings as Stage4Settings


class Settings(Stage4Settings):
    """Stage 5 settings."""

    nursery_kb: int = 4096
    heap_limit_mb: int = 2048
    full_gc_growth: float = 2.0
    full_gc_floor_mb: int = 8
    full_gc_registered: int = 4096
    chunk_kb: int = 256
    large_object_kb: int = 8
    min_run_lines: int = 4
    gc_stress: bool = False
    gc_interval: int = 1
    gc_random_interval: int = 0
    gc_seed: int = 1
    gc_verify: bool = False

    WHY: dict[str, str] = {
        "nursery_kb":
            "bytes allocated between two young collections. A young collection costs what survives, not "
            "what died, so a bigger nursery means fewer, equally short pauses, until it outgrows the "
            "cache: 4 MiB keeps binary_trees' pauses well under a millisecond",
        "heap_limit_mb":
            "the most heap a program may hold live; past it a full collection runs, and if the live data "
            "still does not fit the program ends with 'Out of memory.' (exit 70) instead of meeting the "
            "machine's OOM killer",
        "full_gc_growth":
            "a full collection runs when the old objects (marked lines) have grown by this factor since "
            "the last full one: garbage among old objects is only found by a full collection, and "
            "doubling keeps its cost proportional to allocation (each full collection is paid for by "
            "as much new old data as it traced)",
        "full_gc_floor_mb":
            "no full collection below this much old data: small programs never pay for one. Old objects "
            "that die (a long-lived tree whose subtrees are replaced) wait for a full collection, so this "
            "is also how much dead old data may pile up: bench/trees.lox run ten times longer peaks at "
            "148 MB with 32 and 120 MB with 8, collecting for 48 ms and 37 ms",
        "full_gc_registered":
            "a full collection also runs when the registered classes and shapes number more than this "
            "(or full_gc_growth times the survivors of the last full one): each also costs the object "
            "model about 1.5 KiB of Python records, which only a full collection frees. Measured on a "
            "class declared in a function called 300,000 times: 494 MB peak with only the old-data "
            "trigger, 120 MB with this one (a program making 3,000 classes peaks at 111 MB)",
        "chunk_kb":
            "fresh memory taken past the frontier at a time when no free run is left: each take is a "
            "Python call, so small chunks cost calls and large ones delay the next collection's count",
        "large_object_kb":
            "objects at least this big get whole lines of their own at the frontier instead of a free "
            "run (a long string would not fit most runs and would waste the ones it skips)",
        "min_run_lines":
            "free runs shorter than this many 256-byte lines are not reused until a collection merges "
            "them with their neighbours: each run costs a Python call to take",
        "gc_stress":
            "ask for a collection at every allocation that reaches the slow path, and give every "
            "allocation its own run (so all of them do): a collection at the next safepoint after each "
            "allocation, in every tier",
        "gc_interval":
            "under gc_stress, collect after every this many allocations instead of after each",
        "gc_random_interval":
            "under gc_stress, a random interval from 1 to this many allocations, drawn again after each "
            "collection (V8's --random-gc-interval); 0: the fixed gc_interval",
        "gc_seed":
            "seed of the random interval, so a failing run can be repeated",
        "gc_verify":
            "after each collection, mark everything reachable again into a second set of marks and fail "
            "if the collection left a reachable object unmarked (a missed root or write barrier) or "
            "reached an object whose header names no kind",
    }

    def validate(self) -> None:
        """Stage 4's checks plus the heap's."""
        super().validate()
        for name in ("nursery_kb", "heap_limit_mb", "full_gc_floor_mb", "full_gc_registered", "chunk_kb", "large_object_kb",
                     "min_run_lines", "gc_interval", "gc_seed"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.gc_random_interval < 0:
            raise ValueError("gc_random_interval must be at least 0")
        if self.full_gc_growth < 1.1:
            raise ValueError("full_gc_growth must be at least 1.1")
        if (self.heap_limit_mb << 20) * 9 // 8 > self.heap_reserve_mb << 20:
            raise ValueError("heap_limit_mb must leave an eighth of heap_reserve_mb spare")
        if self.large_object_kb << 10 > self.chunk_kb << 10:
            raise ValueError("large_object_kb must not exceed chunk_kb")
