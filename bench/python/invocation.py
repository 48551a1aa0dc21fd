"""CPython twin of bench/invocation.lox: method invocations through a class hierarchy, super calls."""

import time


class Shape:
    def __init__(self, size):
        self.size = size

    def area(self):
        return self.size

    def sides(self):
        return 0

    def scaled(self, k):
        return self.size * k

    def score(self):
        return self.area() + self.sides()


class Polygon(Shape):
    def sides(self):
        return 3

    def area(self):
        return super().area() + 1


class Quad(Polygon):
    def sides(self):
        return super().sides() + 1

    def area(self):
        return super().area() * 2


class Square(Quad):
    def area(self):
        return super().area() + self.size

    def grow(self, by):
        self.size = self.size + by
        if self.size > 100:
            self.size = self.size - 97
        return self


start = time.perf_counter()
square = Square(3)
quad = Quad(5)
total = 0
i = 0
while i < 1400000:
    total = total + square.score() + square.scaled(2) - square.sides()
    total = total + quad.score() - quad.area()
    square.grow(1)
    while total >= 999983:
        total = total - 999983
    i = i + 1
print("%g" % total)
print("%g" % square.size)
print("%g" % square.score())
print("%g" % quad.score())
print(time.perf_counter() - start)
