"""CPython twin of bench/loop_main.lox: an arithmetic loop inside main(), called once."""

import time


def main():
    start = time.perf_counter()
    sum = 0
    last = 0
    i = 0
    while i < 3000:
        row = i
        j = 0
        while j < 6000:
            row = row + j * 5 - i * 2
            if row > 200000:
                row = row - 199999
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


main()
