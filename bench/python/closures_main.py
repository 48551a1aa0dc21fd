"""CPython twin of bench/closures_main.lox: a closure-heavy loop inside main(), called once."""

import time


def makeCounter(start_at):
    count = start_at

    def increment():
        nonlocal count
        count = count + 1
        return count

    return increment


def makeAdder(n):
    def add(x):
        return x + n

    return add


def main():
    start = time.perf_counter()
    total = 0
    bumps = 0
    shared = makeCounter(0)
    i = 0
    while i < 2500000:
        counter = makeCounter(i)
        counter()
        add = makeAdder(shared())
        step = i

        def bump(by):
            nonlocal total, bumps
            total = total + by + step
            bumps = bumps + 1
            return total

        bump(add(counter()))
        while total >= 999983:
            total = total - 999983
        i = i + 1
    print("%g" % total)
    print("%g" % (shared() - bumps))
    print(time.perf_counter() - start)


main()
