"""The managed heap: lines of 256 bytes, mark bytes, free runs, and the allocation slow path.

Allocation is stage 0's, unchanged on the fast path: compiled code and the
interpreter bump the heap's ``TOP`` word up to its ``LIMIT`` (one compare and
one add). What changed is what ``[TOP, LIMIT)`` is: a **free run**, a stretch
of whole lines that held no live object at the last collection (or fresh
memory past the ``frontier``). When a run is used up, the slow path
(``allocate_slow``) takes the next run that fits, zeroes it and goes on; it
never collects. It counts the bytes it hands out, and once a nursery's worth
has gone out it sets the heap's safepoint word: the program collects at its
next safepoint (see ``collector.py``), where every value it holds is where the
collector can see it.

Nothing moves. An object's address is fixed from allocation to death, so
compiled code, caches and Python may hold addresses freely; what must stay
alive is kept by ``keep`` (pins, scanned at every collection). Objects the
runtime holds in registries it can forget (classes and shapes) are
*registered* instead: roots of every young collection, but a full collection
keeps only what something else reaches (``weak.py``). Marks are one
byte per heap word (the object's first), lines one byte each; both are
side tables, so clearing them for a full collection is one ``memset``.
Objects of ``large_object`` bytes or more are placed in whole lines of their
own at the frontier, never in a recycled run, and are reclaimed like any
other object: their lines come free when they die.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from stage0_jit import values
from stage0_jit.heap import Heap, NativeRegion, OutOfMemory
from stage0_jit.layout import Kind, Layout, round_up

from .descriptors import GRANULE_SHIFT, LINE_SHIFT

LINE = 1 << LINE_SHIFT


class ManagedHeap(Heap):
    """Stage 0's heap with lines, marks, pins and a slow path that finds free runs (see the module docstring)."""

    barrier = True
    slow_allocation = True

    def __init__(self, reserve: int, limit: int, nursery: int, chunk: int, large_object: int,
                 min_run_lines: int) -> None:
        super().__init__(reserve)
        self.limit = limit                # bytes of heap a program may use (past it: a full collection)
        self.hard_limit = min(reserve, limit + max(limit // 8, 8 << 20))   # the reserve while waiting for it
        self.nursery = nursery            # bytes handed out between collections
        self.chunk = chunk                # fresh memory taken from the frontier at a time
        self.large_object = large_object
        self.min_run_lines = min_run_lines
        self.marks = NativeRegion(reserve >> GRANULE_SHIFT)
        self.lines = NativeRegion(reserve >> LINE_SHIFT)
        self.pins = NativeRegion(reserve >> 10)              # kept objects, as object values
        self.pin_count = 0
        self._kept: set[int] = set()
        self.registered = NativeRegion(reserve >> 4)       # registered objects, as object values
        self.registered_count = 0
        self.registered_limit = 1 << 62      # set by the collector
        # Kind -> what happens to a new object of it: kept for good (Python holds functions, globals and
        # natives by address) or registered (the runtime adds the kinds its registries hold).
        self.holders: dict[int, Callable[[int], object]] = {
            Kind.FUNCTION: self.keep, Kind.GLOBAL: self.keep, Kind.NATIVE: self.keep}
        self.frontier = self.base + round_up_line(self.START)
        # The free runs found by the last sweep: (start line, end line) pairs, used in order.
        self.runs = NativeRegion(8 + (reserve >> LINE_SHIFT) * 8)
        self.run_count = 0
        self.next_run = 0
        self.handed_out = 0               # bytes handed out since the last collection
        self.total_handed_out = 0
        self.large_bytes = 0
        self.stress_interval = 0          # >0: ask for a collection every that many slow-path allocations
        self.stress_countdown = 0
        self.requested = False
        self.empty_run()

    # ------------------------------------------------------------ allocation
    def empty_run(self) -> None:
        """No current run: the next allocation of any size takes the slow path."""
        self.words[self.TOP] = self.frontier
        self.words[self.LIMIT] = self.frontier
        self.run_end = self.frontier
        self.run_start = self.frontier

    def allocate(self, layout: Layout, tail_bytes: int = 0) -> int:
        """Stage 0's bump allocation, with the slow path when the run is used up; the kinds in ``holders``
        are kept for good or registered as they are made."""
        size = round_up(layout.fixed_size + tail_bytes)
        words = self.words
        top = words[self.TOP]
        if top + size > words[self.LIMIT] or size >= self.large_object:
            top = self.allocate_slow(size)
        else:
            words[self.TOP] = top + size
        words[(top - self.base) >> 3] = int(layout.kind)
        hold = self.holders.get(layout.kind)
        if hold is not None:
            hold(top)
        return top

    def allocate_slow(self, size: int) -> int:
        """``size`` bytes from the next free run that fits (or the frontier); makes it the current run.
        Raises ``OutOfMemory`` only when the reserve past the heap limit is used up too."""
        self.retire_run()
        if self.stress_interval:
            self.stress_countdown -= 1
            if self.stress_countdown <= 0:
                self.stress_countdown = self.stress_interval
                self.request()
        if size >= self.large_object:
            return self.allocate_large(size)
        if self.stress_interval:
            top = self.words[self.TOP]
            if top + size <= self.run_end:       # stress: the same run, one allocation at a time
                self.words[self.TOP] = self.words[self.LIMIT] = top + size
                return top
        lines = self.runs.words
        base = self.base
        while self.next_run < self.run_count:
            i = self.next_run
            start = base + (lines[2 * i] << LINE_SHIFT)
            end = base + (lines[2 * i + 1] << LINE_SHIFT)
            if end - start < size:
                self.next_run += 1
                continue
            # At most a chunk at a time (the rest stays a free run), so the nursery count is never far
            # behind what the program has used (see ``take``).
            cut = start + max(round_up_line(size), min(end - start, self.chunk))
            if cut < end:
                lines[2 * i] = (cut - base) >> LINE_SHIFT
            else:
                self.next_run += 1
            ctypes.memset(start, 0, cut - start)          # dead objects' words must not look like references
            return self.take(start, cut, size)
        start = self.frontier
        end = start + max(self.chunk, round_up_line(size))
        self.advance_frontier(end)
        return self.take(start, end, size)

    def take(self, start: int, end: int, size: int) -> int:
        """Make ``[start + size, end)`` the current run (under stress the limit stays at the top, so that
        every allocation comes back here). When this run takes the count past a nursery, the collection is
        asked for now, while the run still has room: allocation cannot collect, and asking only once the
        free runs were used up would take a fresh chunk past the frontier at every collection."""
        if self.handed_out + (end - start) >= self.nursery:
            self.request()
        self.run_end = end
        self.run_start = start
        self.words[self.TOP] = start + size
        self.words[self.LIMIT] = start + size if self.stress_interval else end
        return start

    def retire_run(self) -> None:
        """Count what the current run handed out (its used part) before the slow path moves on."""
        top = self.words[self.TOP]
        self.count_out(top - self.run_start)
        self.run_start = top

    def allocate_large(self, size: int) -> int:
        """A large object in lines of its own at the frontier (the current run is left as it is)."""
        start = self.frontier
        self.advance_frontier(start + round_up_line(size))
        self.large_bytes += size
        self.count_out(size)
        return start

    def advance_frontier(self, end: int) -> None:
        """Take fresh memory up to ``end``; past the heap limit, ask for a full collection."""
        if end - self.base > self.hard_limit:
            raise OutOfMemory()
        self.frontier = end
        if end - self.base > self.limit:
            self.request()

    def count_out(self, size: int) -> None:
        """Count bytes allocated; a nursery's worth asks for a collection."""
        self.handed_out += size
        self.total_handed_out += size
        if self.handed_out >= self.nursery:
            self.request()

    def request(self) -> None:
        """Ask the program to stop at its next safepoint (a call or a loop back-edge) and collect."""
        self.requested = True
        self.flags[self.SAFEPOINT] = 1

    # ------------------------------------------------------------ after a collection
    def reset_after_collection(self, run_count: int) -> None:
        """The sweep found ``run_count`` free runs: allocate from them next, from the first."""
        self.run_count = run_count
        self.next_run = 0
        self.handed_out = 0
        self.requested = False
        self.flags[self.SAFEPOINT] = 0
        self.empty_run()

    # ------------------------------------------------------------ pins and barriers
    def keep(self, value: int) -> int:
        """Keep the object alive for as long as the VM runs: its address is held by Python or by code."""
        address = value & values.ADDRESS_MASK
        if address not in self._kept:
            self._kept.add(address)
            self.pins.words[self.pin_count] = values.OBJ_TAG | address
            self.pin_count += 1
        return value

    def register(self, address: int) -> None:
        """A root of young collections until a full collection finds it dead (see the module docstring)."""
        self.registered.words[self.registered_count] = values.OBJ_TAG | address
        self.registered_count += 1
        if self.registered_count > self.registered_limit:
            self.request()                   # past the collector's trigger: a full collection is due

    def keep_registered(self, survivors: list[int]) -> None:
        """After a full collection: the registered objects still alive (as addresses)."""
        words = self.registered.words
        for i, address in enumerate(survivors):
            words[i] = values.OBJ_TAG | address
        self.registered_count = len(survivors)

    # ------------------------------------------------------------ facts
    @property
    def bytes_allocated(self) -> int:
        """Bytes handed out since the start (what stage 0 reports as allocated)."""
        return self.total_handed_out

    @property
    def used_lines(self) -> int:
        """Lines from the heap's start to the frontier."""
        return (self.frontier - self.base) >> LINE_SHIFT

    def is_marked(self, address: int) -> bool:
        """Whether the object at ``address`` was marked (is old, or survived the last collection)."""
        return self.marks.bytes[(address - self.base) >> GRANULE_SHIFT] != 0


def round_up_line(size: int) -> int:
    """Round up to whole lines."""
    return (size + LINE - 1) & ~(LINE - 1)
