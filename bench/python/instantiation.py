"""CPython twin of bench/instantiation.lox: many small instances created through __init__."""

import time


class Marker:
    pass


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Triple:
    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c


def lox_bool(value):
    """How Lox prints a boolean."""
    return "true" if value else "false"


start = time.perf_counter()
sum = 0
markers = 0
last = None
i = 0
while i < 1500000:
    m = Marker()
    p = Point(i, 3)
    q = Point(p.y, p.x)
    t = Triple(p, q, m)
    if t.c == m:
        markers = markers + 1
    sum = sum + t.b.y - t.a.y + 1
    while sum >= 999983:
        sum = sum - 999983
    last = t
    i = i + 1
print("%g" % sum)
print(lox_bool(markers == 1500000))
print("%g" % last.b.x)
print(time.perf_counter() - start)
