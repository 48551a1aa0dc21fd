"""CPython twin of bench/closures.lox: many closures created and called."""

import time


def makeCounter():
    count = 0

    def increment():
        nonlocal count
        count = count + 1
        return count

    return increment


def makeAdder(n):
    def add(x):
        return x + n

    return add


def compose(f, g):
    def composed(x):
        return f(g(x))

    return composed


total = 0
made = makeCounter()
addThree = makeAdder(3)


def round_(i):
    global total
    counter = makeCounter()
    counter()
    counter()
    both = compose(makeAdder(i), addThree)
    total = total + both(counter())
    twice = compose(addThree, addThree)
    total = total + twice(counter()) - made() + made()
    while total >= 999983:
        total = total - 999983


def batch(start_at, end):
    i = start_at
    while i < end:
        round_(i)
        i = i + 1


# Warm-up, outside the timed section (as in the Lox program).
batch(0, 1500)

start = time.perf_counter()
n = 0
while n < 10:
    batch(n * 15000, n * 15000 + 15000)
    n = n + 1
print("%g" % total)
print("%g" % made())
print(time.perf_counter() - start)
