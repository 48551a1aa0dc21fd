"""CPython twin of bench/calls_main.lox: small helpers called from a loop inside main(), called once."""

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


def clamp(x, low, high):
    if x < low:
        return low
    if x > high:
        return high
    return x


def main():
    start = time.perf_counter()
    x = 1
    y = 0
    z = 0
    i = 0
    while i < 2400000:
        x = wrap(add(mul(x, 3), add(i, 7)), 999983)
        y = wrap(add(mul(y, 2), x), 999983)
        z = add(z, clamp(sub(x, y), -100, 100))
        i = i + 1
    print("%g" % x)
    print("%g" % y)
    print("%g" % z)
    print(time.perf_counter() - start)


main()
