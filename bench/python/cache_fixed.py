"""CPython twin of bench/cache_fixed.lox: a ring of 1,000 slots whose entries are replaced 300,000 times."""

import time


class Slot:
    def __init__(self):
        self.entry = None


class Entry:
    def __init__(self, key, value):
        self.key = key
        self.value = value

        def get():
            return value
        self.get = get


class Link:
    def __init__(self, slot, next_):
        self.slot = slot
        self.next = next_


start = time.perf_counter()
slots = None
i = 0
while i < 1000:
    slots = Link(Slot(), slots)
    i = i + 1
ring = slots
while ring.next is not None:
    ring = ring.next
ring.next = slots
cursor = slots
hits = 0
i = 0
while i < 300000:
    old = cursor.slot.entry
    if old is not None:
        get = old.get
        hits = hits + get() - old.value + 1
    cursor.slot.entry = Entry("k" + "v", i)
    cursor = cursor.next
    i = i + 1
print("%g" % hits)
print("%g" % cursor.slot.entry.value)
print(time.perf_counter() - start)
