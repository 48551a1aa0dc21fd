"""CPython twin of bench/instances_loop.lox: ten million short-lived instances made in a top-level loop."""

import time


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


start = time.perf_counter()
sum_ = 0
i = 0
while i < 10000000:
    p = Point(i, 1)
    sum_ = sum_ + p.y
    i = i + 1
print("%g" % sum_)
print(time.perf_counter() - start)
