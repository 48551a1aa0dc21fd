"""CPython twin of bench/strings.lox: string concatenation and equality."""

import time


def piece(k):
    if k == 0:
        return "al"
    if k == 1:
        return "be"
    if k == 2:
        return "ga"
    return "de"


def repeat(s, n):
    out = ""
    i = 0
    while i < n:
        out = out + s
        i = i + 1
    return out


built = 0
matches = 0
same = 0
differ = 0


def words(rounds):
    global built, matches, same, differ
    r = 0
    while r < rounds:
        a = 0
        while a < 4:
            pa = piece(a)
            pa4 = pa + pa + pa + pa
            b = 0
            while b < 4:
                pb = pa + piece(b)
                c = 0
                while c < 4:
                    pc = pb + piece(c)
                    d = 0
                    while d < 4:
                        word = pc + piece(d)
                        built = built + 1
                        if word == "gabealde":
                            matches = matches + 1
                        if word == pc + "de":
                            same = same + 1
                        if word != pa4:
                            differ = differ + 1
                        d = d + 1
                    c = c + 1
                b = b + 1
            a = a + 1
        r = r + 1


long = 0


def longWords(start_at, end):
    global long
    r = start_at
    while r < end:
        left = repeat("lox", 20 + r / 40)
        right = repeat("lox", 20 + r / 40)
        if left == right:
            long = long + 1
        if left == right + "x":
            long = long + 1000
        if left + "x" == right + "y":
            long = long + 1000
        r = r + 1


# Warm-up, outside the timed section (as in the Lox program).
words(10)
longWords(0, 1200)

start = time.perf_counter()
k = 0
while k < 20:
    words(100)
    k = k + 1
longWords(0, 2000)
print("%g" % built)
print("%g" % matches)
print("%g" % same)
print("%g" % differ)
print("%g" % long)
print(time.perf_counter() - start)
