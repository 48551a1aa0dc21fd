"""CPython twin of bench/strings_built.lox: lines built by concatenation in a loop and dropped."""

import time

start = time.perf_counter()
pieces = 0
changes = 0
last = ""
i = 0
while i < 200000:
    line = ""
    j = 0
    while j < 20:
        if j == 0:
            line = line + "<"
        else:
            line = line + "-"
        pieces = pieces + 1
        j = j + 1
    if line != last:
        changes = changes + 1
    last = line
    i = i + 1
print("%g" % pieces)
print("%g" % changes)
print(time.perf_counter() - start)
