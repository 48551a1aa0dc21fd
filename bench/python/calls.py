"""CPython twin of bench/calls.lox: many small function calls with arithmetic."""

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


def step(x, i):
    return wrap(add(mul(x, 3), add(i, 7)), 999983)


x = 1
y = 0


def batch(start_at, end):
    global x, y
    i = start_at
    while i < end:
        x = step(x, i)
        y = wrap(add(mul(y, 2), x), 999983)
        i = i + 1


# Warm-up, outside the timed section (as in the Lox program).
batch(0, 1500)

start = time.perf_counter()
n = 0
while n < 20:
    batch(n * 30000, n * 30000 + 30000)
    n = n + 1
print("%g" % x)
print("%g" % y)
print(time.perf_counter() - start)
