"""CPython twin of bench/loop.lox: nested counting loops at module level."""

import time

start = time.perf_counter()
sum = 0
last = 0
i = 0
while i < 1200:
    row = 0
    j = 0
    while j < 2000:
        row = row + j * 3 - i
        if row > 100000:
            row = row - 99991
        j = j + 1
    sum = sum + row
    while sum >= 999983:
        sum = sum - 999983
    while sum < 0:
        sum = sum + 999983
    last = row
    i = i + 1
print("%g" % sum)
print("%g" % last)
print(time.perf_counter() - start)
