"""CPython twin of bench/fib_toplevel.lox: recursive fib(34) called once from module level."""

import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


start = time.perf_counter()
print("%g" % fib(34))
print(time.perf_counter() - start)
