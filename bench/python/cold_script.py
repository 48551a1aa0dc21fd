"""CPython twin of bench/cold_script.lox: a short class-free script that never gets hot."""

import time

start = time.perf_counter()

greeting = "Hello"
separator = ", "
total = 0
calls = 0


def greet(name):
    global calls
    calls = calls + 1
    return greeting + separator + name + "!"


def abs_(x):
    if x < 0:
        return -x
    return x


def max_(a, b):
    if a > b:
        return a
    return b


def clamp(x, low, high):
    if x < low:
        return low
    if x > high:
        return high
    return x


def gcd(a, b):
    while a != b:
        if a > b:
            a = a - b
        else:
            b = b - a
    return a


def remainder(a, b):
    while a >= b:
        a = a - b
    return a


def isPrime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if remainder(n, d) == 0:
            return False
        d = d + 1
    return True


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def repeat(text, times):
    result = ""
    i = 0
    while i < times:
        result = result + text
        i = i + 1
    return result


def makeCounter(step):
    count = 0

    def next_():
        nonlocal count
        count = count + step
        return count

    return next_


def describe(n):
    if n is None:
        return "nothing"
    if n < 10:
        return "small"
    if n < 100:
        return "medium"
    return "large"


def lox_bool(value):
    """How Lox prints a boolean."""
    return "true" if value else "false"


print(greet("world"))
print(lox_bool(greet("Lox") == "Hello, Lox!"))
print(repeat("ab", 5))

primes = 0
primeSum = 0
n = 2
while n < 16:
    if isPrime(n):
        primes = primes + 1
        primeSum = primeSum + n
    n = n + 1
print("%g" % primes)
print("%g" % primeSum)

print("%g" % fib(8))
print("%g" % (clamp(abs_(-17), 0, 10) + max_(3, 8)))
print("%g" % (gcd(84, 36) + gcd(35, 64)))

byThree = makeCounter(3)
sizes = ""
k = 0
while k < 6:
    if k > 0:
        sizes = sizes + " "
    sizes = sizes + describe(byThree() * k)
    k = k + 1
print(sizes)
print(describe(None))

mixed = 0
i = 0
while i < 20:
    if i < 10 and not (i == 5):
        mixed = mixed + i
    else:
        mixed = mixed + 2 * i
    i = i + 1
total = primeSum + mixed + fib(6) + calls
print("%g" % total)
print(time.perf_counter() - start)
