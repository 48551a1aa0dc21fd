"""CPython twin of bench/calls_toplevel.lox: a module-level loop calling small helpers."""

import time


def add(a, b):
    return a + b


def mul(a, b):
    return a * b


def sub(a, b):
    return a - b


def wrap(x, m):
    while x >= m:
        x = sub(x, m)
    return x


def mix(a, b):
    return wrap(add(mul(a, 5), b), 999983)


start = time.perf_counter()
x = 1
y = 0
hits = 0
i = 0
while i < 1500000:
    x = wrap(add(mul(x, 3), add(i, 7)), 999983)
    y = mix(y, x)
    if y < 50000:
        hits = hits + 1
    i = i + 1
print("%g" % x)
print("%g" % y)
print("%g" % hits)
print(time.perf_counter() - start)
