"""CPython twin of bench/fib.lox: recursive Fibonacci, fib(30) three times."""

import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


# Warm-up, outside the timed section (as in the Lox program).
fib(20)

start = time.perf_counter()
result = 0
i = 0
while i < 3:
    result = fib(30)
    i = i + 1
print("%g" % result)
print(time.perf_counter() - start)
