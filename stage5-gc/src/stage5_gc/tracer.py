"""The collector's inner loops, as native code built once from IR: visit, scan, scan cards, sweep lines.

Nothing here walks objects in Python. The object layouts come from the one
table every tier reads (``stage0_jit.layout.LAYOUTS``, with stage 4's kinds
registered): ``descriptors`` turns each kind into a row of words (how many fixed
words, which of them hold values or addresses, what the tail holds and where
its length is), and the scanner reads those words, so a kind added to the
table is traced without a line changed here.

The functions share one **context**, a small native array of words, so the
same code serves the collector (marking into the heap's mark bytes) and the
verifier (marking into a second set and checking each object against the
collector's marks)::

    ctx[MARKS]     mark bytes, one per heap word (an object's byte is at its first word)
    ctx[LINES]     line bytes, one per 256-byte line (0: do not mark lines)
    ctx[STACK]     the mark stack: addresses of marked objects still to scan
    ctx[SP]        entries on it
    ctx[CAPACITY]  its size in entries
    ctx[CHECK]     the verifier's reference marks (0: not verifying)
    ctx[MISSING]   objects reached that the reference marks lack (the verifier's finding)
    ctx[FIRST_BAD] the first such object's address
    ctx[OBJECTS]   objects scanned
    ctx[BYTES]     their bytes
    ctx[BAD_KINDS] objects reached whose header names no kind (a dangling or corrupt reference)
    ctx[CENSUS]    0, or a table of (objects, bytes) per kind that each scan adds to (``--dump=heap``)
    ctx[BY_ID]     0, or a table of (objects, bytes) per id of the object a header points to (an instance's
                   shape id: the census per class)
    ctx[IDS]       that table's size in entries
    ctx[HEAP_BASE], ctx[HEAP_SIZE], ctx[TABLE], ctx[CARDS]: the heap's start and size, the descriptor table,
                   the card table. Read from the context, not built in, so the code names no address and
                   its object image can be kept between runs (``codecache.py``)

Exports (all take and return ``i64``):

- ``gc_visit_values(ctx, words, n, stride)``: every ``stride``-th word of an array is a Lox value; mark
  the objects they point to (roots kept by Python, pins, frame records' closures).
- ``gc_visit_frames(ctx, records, depth)``: each compiled frame's root area (a frame record's third word).
- ``gc_scan_cards(ctx, first, end)``: push every marked (old) object that starts in a dirty card, and
  clean the card: the old objects written since the last collection (a card whose lines are all
  unmarked holds no old object and is only cleaned).
- ``gc_drain(ctx)``: scan objects until the mark stack is empty; returns 0, or 1 if it overflowed.
- ``gc_sweep(lines, first, end, runs, min_lines)``: write the free runs of lines (``start, end`` pairs of
  line numbers, at least ``min_lines`` long) to ``runs``; returns how many; the word after the last pair
  gets the number of marked lines.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from stage0_jit.irvalues import I8, I64, I8P, const, load_word, pointer
from stage0_jit.layout import HEADER_KIND_MASK, WORD
from stage0_jit.values import ADDRESS_MASK, OBJ_TAG

from .descriptors import (BAD_KINDS, BY_ID, BYTES, CAPACITY, CENSUS, CHECK, D_COUNT, D_FIXED, D_HEADER_ID,
                          D_POINTER_MASK, D_SCALE, D_TAIL, D_VALID, D_VALUE_MASK, D_VIA_HEADER, DESCRIPTOR_WORDS,
                          FIRST_BAD, GRANULE_SHIFT, IDS, LINE_SHIFT, LINES, MARKS, MISSING, OBJECTS, SP, STACK,
                          TAIL_NONE, TAIL_POINTERS, TAIL_VALUES, HEAP_BASE, HEAP_SIZE, TABLE, CARDS)

class TracerBuilder:
    """Builds the tracer's module for one heap (its base, size and descriptor table are constants in it)."""

    def __init__(self, module: ir.Module) -> None:
        self.module = module
        self.visit = self._function("gc_visit", 2, internal=True)      # (ctx, address): mark and push

    # ------------------------------------------------------------ small IR tools
    def _function(self, name: str, arguments: int, internal: bool = False) -> ir.Function:
        function = ir.Function(self.module, ir.FunctionType(I64, [I64] * arguments), name)
        if internal:
            function.linkage = "internal"
        return function

    @staticmethod
    def _loop(f: ir.Function, b: ir.IRBuilder, start: ir.Value, end: ir.Value,
              body: Callable[[ir.IRBuilder, ir.Value], None], step: int = 1) -> None:
        """``for (i = start; i < end; i += step) body(i)``; ``b`` continues after the loop."""
        entry = b.block
        head = f.append_basic_block("loop")
        inside = f.append_basic_block("body")
        after = f.append_basic_block("after")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(start, entry)
        b.cbranch(b.icmp_unsigned("<", i, end), inside, after)
        b.position_at_end(inside)
        body(b, i)
        i.add_incoming(b.add(i, const(step)), b.block)
        b.branch(head)
        b.position_at_end(after)

    @staticmethod
    def _byte(b: ir.IRBuilder, address: ir.Value) -> ir.Value:
        return b.inttoptr(address, I8P)

    def _report(self, b: ir.IRBuilder, ctx: ir.Value, counter: int, address: ir.Value) -> None:
        """Count a finding in context word ``counter``; the first finding's address goes to FIRST_BAD."""
        count = self._word(b, ctx, counter)
        with b.if_then(b.icmp_unsigned("==", b.load(count), const(0))):
            b.store(address, self._word(b, ctx, FIRST_BAD))
        b.store(b.add(b.load(count), const(1)), count)

    def _word(self, b: ir.IRBuilder, ctx: ir.Value, index: int) -> ir.Value:
        return pointer(b, ctx, index * WORD)

    # ------------------------------------------------------------ visit: mark one object, push it
    def build_visit(self) -> None:
        """``gc_visit(ctx, address)``: an address outside the heap (or 0) is ignored; an unmarked object is
        marked and pushed (under the verifier, checked against the reference marks first)."""
        f = self.visit
        f.attributes.add("alwaysinline")
        ctx, address = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))
        offset = b.sub(address, load_word(b, ctx, HEAP_BASE * WORD))
        with b.if_then(b.icmp_unsigned(">=", offset, load_word(b, ctx, HEAP_SIZE * WORD)), likely=False):
            b.ret(const(0))
        granule = b.lshr(offset, const(GRANULE_SHIFT))
        mark = self._byte(b, b.add(load_word(b, ctx, MARKS * WORD), granule))
        with b.if_then(b.icmp_unsigned("!=", b.load(mark), ir.Constant(I8, 0))):
            b.ret(const(0))
        b.store(ir.Constant(I8, 1), mark)
        check = load_word(b, ctx, CHECK * WORD)
        with b.if_then(b.icmp_unsigned("!=", check, const(0)), likely=False):
            reference = b.load(self._byte(b, b.add(check, granule)))
            with b.if_then(b.icmp_unsigned("==", reference, ir.Constant(I8, 0))):
                self._report(b, ctx, MISSING, address)
        sp_pointer = self._word(b, ctx, SP)
        sp = b.load(sp_pointer)
        with b.if_then(b.icmp_unsigned(">=", sp, load_word(b, ctx, CAPACITY * WORD)), likely=False):
            b.store(b.add(sp, const(1)), sp_pointer)      # counted, not stored: drain reports the overflow
            b.ret(const(0))
        b.store(address, pointer(b, b.add(load_word(b, ctx, STACK * WORD), b.shl(sp, const(3)))))
        b.store(b.add(sp, const(1)), sp_pointer)
        b.ret(const(0))

    def _visit_value(self, b: ir.IRBuilder, ctx: ir.Value, value: ir.Value) -> None:
        """Visit a Lox value: only an object value points anywhere."""
        tagged = b.icmp_unsigned("==", b.and_(value, const(OBJ_TAG)), const(OBJ_TAG))
        with b.if_then(tagged):
            b.call(self.visit, [ctx, b.and_(value, const(ADDRESS_MASK))])

    # ------------------------------------------------------------ roots
    def build_visit_values(self) -> None:
        """``gc_visit_values(ctx, words, n, stride)``."""
        f = self._function("gc_visit_values", 4)
        ctx, words, n, stride = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))
        self._loop(f, b, const(0), n, lambda b, i: self._visit_value(
            b, ctx, b.load(pointer(b, b.add(words, b.shl(b.mul(i, stride), const(3)))))))
        b.ret(const(0))

    def build_visit_frames(self, record_words: int, roots_word: int) -> None:
        """``gc_visit_frames(ctx, records, depth)``: each record's closure, and its root area's values
        (``[count, value...]``) when the record has one."""
        f = self._function("gc_visit_frames", 3)
        ctx, records, depth = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))

        def frame(b: ir.IRBuilder, i: ir.Value) -> None:
            record = b.add(records, b.mul(i, const(record_words * WORD)))
            self._visit_value(b, ctx, load_word(b, record))
            area = load_word(b, record, roots_word * WORD)
            with b.if_then(b.icmp_unsigned("!=", area, const(0))):
                count = load_word(b, area)
                self._loop(f, b, const(1), b.add(count, const(1)), lambda b, k: self._visit_value(
                    b, ctx, b.load(pointer(b, b.add(area, b.shl(k, const(3)))))))
        self._loop(f, b, const(0), depth, frame)
        b.ret(const(0))

    def build_scan_cards(self, card_shift: int) -> None:
        """``gc_scan_cards(ctx, first, end)``: returns the number of dirty cards."""
        f = self._function("gc_scan_cards", 3)
        ctx, first, end = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))
        dirty_count = b.alloca(I64)
        b.store(const(0), dirty_count)
        granules = 1 << (card_shift - GRANULE_SHIFT)

        def card(b: ir.IRBuilder, c: ir.Value) -> None:
            byte = self._byte(b, b.add(load_word(b, ctx, CARDS * WORD), c))
            with b.if_then(b.icmp_unsigned("!=", b.load(byte), ir.Constant(I8, 0))):
                b.store(ir.Constant(I8, 0), byte)
                b.store(b.add(b.load(dirty_count), const(1)), dirty_count)
                # Young objects' stores dirty cards too (the barrier does not ask how old an object is), and
                # a card of young objects only is most of them: its lines are unmarked (young objects get only
                # free lines), so one load of its line bytes skips it instead of a look at every granule.
                lines_type = ir.IntType(8 << (card_shift - LINE_SHIFT))
                line_bytes = b.inttoptr(b.add(load_word(b, ctx, LINES * WORD),
                                              b.shl(c, const(card_shift - LINE_SHIFT))), lines_type.as_pointer())
                old = b.load(line_bytes, align=1)
                with b.if_then(b.icmp_unsigned("!=", old, ir.Constant(lines_type, 0))):
                    first_granule = b.shl(c, const(card_shift - GRANULE_SHIFT))
                    marks = load_word(b, ctx, MARKS * WORD)

                    def granule(b: ir.IRBuilder, g: ir.Value) -> None:
                        marked = b.load(self._byte(b, b.add(marks, g)))
                        with b.if_then(b.icmp_unsigned("!=", marked, ir.Constant(I8, 0))):
                            base = load_word(b, ctx, HEAP_BASE * WORD)
                            self._push(b, ctx, b.add(base, b.shl(g, const(GRANULE_SHIFT))))
                    self._loop(f, b, first_granule, b.add(first_granule, const(granules)), granule)
        self._loop(f, b, first, end, card)
        b.ret(b.load(dirty_count))

    def _push(self, b: ir.IRBuilder, ctx: ir.Value, address: ir.Value) -> None:
        """Push an already marked object to be scanned again (an old object in a dirty card)."""
        sp_pointer = self._word(b, ctx, SP)
        sp = b.load(sp_pointer)
        fits = b.icmp_unsigned("<", sp, load_word(b, ctx, CAPACITY * WORD))
        with b.if_then(fits, likely=True):
            b.store(address, pointer(b, b.add(load_word(b, ctx, STACK * WORD), b.shl(sp, const(3)))))
        b.store(b.add(sp, const(1)), sp_pointer)

    # ------------------------------------------------------------ scanning objects
    def build_drain(self) -> None:
        """``gc_drain(ctx)``: pop and scan until the stack is empty; 1 if it ever overflowed."""
        f = self._function("gc_drain", 1)
        (ctx,) = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))
        sp_pointer = self._word(b, ctx, SP)
        with b.if_then(b.icmp_unsigned(">", b.load(sp_pointer), load_word(b, ctx, CAPACITY * WORD)),
                       likely=False):
            b.ret(const(1))
        head = f.append_basic_block("next")
        body = f.append_basic_block("scan")
        done = f.append_basic_block("done")
        b.branch(head)
        b.position_at_end(head)
        sp = b.load(sp_pointer)
        b.cbranch(b.icmp_unsigned("==", sp, const(0)), done, body)
        b.position_at_end(body)
        top = b.sub(sp, const(1))
        b.store(top, sp_pointer)
        address = load_word(b, b.add(load_word(b, ctx, STACK * WORD), b.shl(top, const(3))))
        self._scan(f, b, ctx, address)
        overflowed = b.icmp_unsigned(">", b.load(sp_pointer), load_word(b, ctx, CAPACITY * WORD))
        overflow = f.append_basic_block("overflow")
        b.cbranch(overflowed, overflow, head)
        ir.IRBuilder(overflow).ret(const(1))
        b.position_at_end(done)
        b.ret(const(0))

    def _scan(self, f: ir.Function, b: ir.IRBuilder, ctx: ir.Value, address: ir.Value) -> None:
        """Visit every value and address an object holds, mark the lines it covers, count it."""
        header = load_word(b, address)
        kind = b.and_(header, const(HEADER_KIND_MASK))
        d = b.add(load_word(b, ctx, TABLE * WORD), b.mul(kind, const(DESCRIPTOR_WORDS * WORD)))

        def word(i: int) -> ir.Value:
            return load_word(b, d, i * WORD)
        bad = f.append_basic_block("bad_kind")
        good = f.append_basic_block("good_kind")
        b.cbranch(b.icmp_unsigned("==", word(D_VALID), const(0)), bad, good)
        bb = ir.IRBuilder(bad)
        self._report(bb, ctx, BAD_KINDS, address)
        after = f.append_basic_block("scanned")
        bb.branch(after)
        b.position_at_end(good)
        fixed, value_mask, pointer_mask = word(D_FIXED), word(D_VALUE_MASK), word(D_POINTER_MASK)

        def field(b: ir.IRBuilder, i: ir.Value) -> None:
            w = load_word(b, b.add(address, b.shl(i, const(3))))
            bit = b.shl(const(1), i)
            with b.if_then(b.icmp_unsigned("!=", b.and_(value_mask, bit), const(0))):
                self._visit_value(b, ctx, w)
            with b.if_then(b.icmp_unsigned("!=", b.and_(pointer_mask, bit), const(0))):
                b.call(self.visit, [ctx, w])
        self._loop(f, b, const(1), fixed, field)
        # The tail: its length from a field of the object, or of the object its header points to.
        tail = word(D_TAIL)
        via_header = b.icmp_unsigned("!=", word(D_VIA_HEADER), const(0))
        counted = b.select(via_header, b.lshr(header, const(8)), address)
        has_tail = b.icmp_unsigned("!=", tail, const(TAIL_NONE))
        count_address = b.select(has_tail, b.add(counted, b.shl(word(D_COUNT), const(3))), address)
        count = b.select(has_tail, b.mul(load_word(b, count_address), word(D_SCALE)), const(0))
        words_tail = b.icmp_unsigned(">=", tail, const(TAIL_VALUES))
        tail_bytes = b.select(words_tail, b.shl(count, const(3)), count)
        size = b.and_(b.add(b.add(b.shl(fixed, const(3)), tail_bytes), const(WORD - 1)), const(~(WORD - 1)))
        tail_start = b.add(address, b.shl(fixed, const(3)))

        def element(b: ir.IRBuilder, k: ir.Value) -> None:
            w = load_word(b, b.add(tail_start, b.shl(k, const(3))))
            with b.if_then(b.icmp_unsigned("==", tail, const(TAIL_VALUES))):
                self._visit_value(b, ctx, w)
            with b.if_then(b.icmp_unsigned("==", tail, const(TAIL_POINTERS))):
                b.call(self.visit, [ctx, w])
        self._loop(f, b, const(0), b.select(words_tail, count, const(0)), element)
        # An instance's header points to its shape: keep it too.
        with b.if_then(via_header):
            b.call(self.visit, [ctx, b.lshr(header, const(8))])
        lines = load_word(b, ctx, LINES * WORD)
        with b.if_then(b.icmp_unsigned("!=", lines, const(0))):
            offset = b.sub(address, load_word(b, ctx, HEAP_BASE * WORD))
            first = b.lshr(offset, const(LINE_SHIFT))
            last = b.add(b.lshr(b.sub(b.add(offset, size), const(1)), const(LINE_SHIFT)), const(1))
            self._loop(f, b, first, last, lambda b, line: b.store(ir.Constant(I8, 1),
                                                                 self._byte(b, b.add(lines, line))))
        objects = self._word(b, ctx, OBJECTS)
        b.store(b.add(b.load(objects), const(1)), objects)
        total = self._word(b, ctx, BYTES)
        b.store(b.add(b.load(total), size), total)
        census = load_word(b, ctx, CENSUS * WORD)
        with b.if_then(b.icmp_unsigned("!=", census, const(0))):
            entry = b.add(census, b.shl(kind, const(4)))
            b.store(b.add(load_word(b, entry), const(1)), pointer(b, entry))
            b.store(b.add(load_word(b, entry, WORD), size), pointer(b, entry, WORD))
        by_id = load_word(b, ctx, BY_ID * WORD)
        id_word = word(D_HEADER_ID)
        with b.if_then(b.and_(b.icmp_unsigned("!=", by_id, const(0)), b.icmp_unsigned("!=", id_word, const(0)))):
            ident = load_word(b, b.add(b.lshr(header, const(8)), b.shl(id_word, const(3))))
            with b.if_then(b.icmp_unsigned("<", ident, load_word(b, ctx, IDS * WORD))):
                entry = b.add(by_id, b.shl(ident, const(4)))
                b.store(b.add(load_word(b, entry), const(1)), pointer(b, entry))
                b.store(b.add(load_word(b, entry, WORD), size), pointer(b, entry, WORD))
        b.branch(after)
        b.position_at_end(after)

    # ------------------------------------------------------------ sweeping lines into free runs
    def build_sweep(self) -> None:
        """``gc_sweep(lines, first, end, runs, min_lines)`` (see the module docstring)."""
        f = self._function("gc_sweep", 5)
        lines, first, end, runs, min_lines = f.args
        b = ir.IRBuilder(f.append_basic_block("entry"))
        run_start = b.alloca(I64)
        count = b.alloca(I64)
        marked = b.alloca(I64)
        b.store(const(-1), run_start)
        b.store(const(0), count)
        b.store(const(0), marked)

        def close_run(b: ir.IRBuilder, at: ir.Value) -> None:
            start = b.load(run_start)
            open_ = b.icmp_signed(">=", start, const(0))
            with b.if_then(b.and_(open_, b.icmp_unsigned(">=", b.sub(at, start), min_lines))):
                n = b.load(count)
                slot = b.add(runs, b.shl(n, const(4)))
                b.store(start, pointer(b, slot))
                b.store(at, pointer(b, slot, WORD))
                b.store(b.add(n, const(1)), count)
            b.store(const(-1), run_start)

        def line(b: ir.IRBuilder, i: ir.Value) -> None:
            used = b.icmp_unsigned("!=", b.load(self._byte(b, b.add(lines, i))), ir.Constant(I8, 0))
            with b.if_else(used) as (then, otherwise):
                with then:
                    b.store(b.add(b.load(marked), const(1)), marked)
                    close_run(b, i)
                with otherwise:
                    with b.if_then(b.icmp_signed("<", b.load(run_start), const(0))):
                        b.store(i, run_start)
        self._loop(f, b, first, end, line)
        close_run(b, end)
        n = b.load(count)
        b.store(b.load(marked), pointer(b, b.add(runs, b.shl(n, const(4)))))
        b.ret(n)

    def build(self, record_words: int, roots_word: int, card_shift: int) -> list[str]:
        """Every function; returns the exported names."""
        self.build_visit()
        self.build_visit_values()
        self.build_visit_frames(record_words, roots_word)
        self.build_scan_cards(card_shift)
        self.build_drain()
        self.build_sweep()
        return ["gc_visit_values", "gc_visit_frames", "gc_scan_cards", "gc_drain", "gc_sweep"]
