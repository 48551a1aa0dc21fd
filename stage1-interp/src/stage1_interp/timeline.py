"""``--trace-file``: the run's timeline as Chrome/Perfetto trace-event JSON (open it in ui.perfetto.dev).

Spans (``"ph": "X"``) for interpreting (one per entry into the interpreter:
the script, and each call arriving from compiled code) and for compiling
(one per module, listing its functions) on their own tracks, plus instant
events (``"ph": "i"``) for tier changes. Interpreter spans past a limit are
counted instead of kept, so deep recursion cannot produce a huge file.
"""

from __future__ import annotations

import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INTERPRETER_TRACK = 1
COMPILER_TRACK = 2


class Timeline:
    """Collects trace events in memory; :meth:`write` saves them."""

    def __init__(self, path: str | None, limit: int) -> None:
        self.path = path
        self.enabled = path is not None
        self.limit = limit
        self.events: list[dict[str, Any]] = []
        self.dropped = 0
        self.origin = time.perf_counter()
        self.pid = os.getpid()
        self.tracks: dict[int, str] = {}     # more tracks (stage 6's compile processes), by id

    def now(self) -> float:
        """Microseconds since the run started."""
        return (time.perf_counter() - self.origin) * 1e6

    def span(self, name: str, category: str, track: int, start_us: float, args: dict[str, Any] | None = None,
             end_us: float | None = None) -> None:
        """Record a finished span that began at ``start_us`` (and ended now, or at ``end_us``)."""
        if not self.enabled:
            return
        if category == "interpret" and len(self.events) >= self.limit:
            self.dropped += 1
            return
        self.events.append({"name": name, "cat": category, "ph": "X", "ts": start_us,
                            "dur": max((self.now() if end_us is None else end_us) - start_us, 0.01),
                            "pid": self.pid, "tid": track,
                            "args": args or {}})

    def instant(self, name: str, category: str, args: dict[str, Any] | None = None) -> None:
        """Record a point event (a function became hot, code was installed)."""
        if self.enabled:
            self.events.append({"name": name, "cat": category, "ph": "i", "s": "t", "ts": self.now(),
                                "pid": self.pid, "tid": INTERPRETER_TRACK, "args": args or {}})

    def write(self) -> None:
        """Write the JSON file (a no-op without ``--trace-file``)."""
        if not self.enabled or self.path is None:
            return
        names = [{"name": "thread_name", "ph": "M", "pid": self.pid, "tid": INTERPRETER_TRACK,
                  "args": {"name": f"main: interpreter ({threading.current_thread().name})"}},
                 {"name": "thread_name", "ph": "M", "pid": self.pid, "tid": COMPILER_TRACK,
                  "args": {"name": "main: compiling (synchronous in stage 1)"}}]
        names += [{"name": "thread_name", "ph": "M", "pid": self.pid, "tid": track, "args": {"name": name}}
                  for track, name in self.tracks.items()]
        document = {"traceEvents": names + self.events, "displayTimeUnit": "ms",
                    "otherData": {"interpreter_spans_dropped": self.dropped}}
        with open(self.path, "w", encoding="utf-8") as handle:
            import json   # only when a trace file is written: start-up stays free of it

            json.dump(document, handle)
