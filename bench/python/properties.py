"""CPython twin of bench/properties.lox: field reads and writes on bouncing particles."""

import time


class Particle:
    def __init__(self, x, y, vx, vy, next):
        self.x = x
        self.y = y
        self.vx = vx
        self.vy = vy
        self.bounces = 0
        self.next = next

    def move(self):
        self.x = self.x + self.vx
        self.y = self.y + self.vy
        if self.x < 0 or self.x > 1000:
            self.vx = -self.vx
            self.bounces = self.bounces + 1
        if self.y < 0 or self.y > 1000:
            self.vy = -self.vy
            self.bounces = self.bounces + 1


class Stats:
    def __init__(self):
        self.sum = 0
        self.far = 0
        self.steps = 0


start = time.perf_counter()
first = None
k = 0
while k < 8:
    first = Particle(100 * k + 7, 900 - 90 * k, 3 + k, 11 - k, first)
    k = k + 1
stats = Stats()
step = 0
while step < 400000:
    p = first
    while p is not None:
        p.move()
        stats.sum = stats.sum + p.x - p.y
        if p.x > p.y:
            stats.far = stats.far + 1
        p = p.next
    while stats.sum >= 999983:
        stats.sum = stats.sum - 999983
    while stats.sum < 0:
        stats.sum = stats.sum + 999983
    if stats.far >= 999983:
        stats.far = stats.far - 999983
    stats.steps = stats.steps + 1
    step = step + 1
bounces = 0
p = first
while p is not None:
    bounces = bounces + p.bounces
    p = p.next
print("%g" % stats.sum)
print("%g" % stats.far)
print("%g" % stats.steps)
print("%g" % bounces)
print("%g" % first.x)
print("%g" % first.vy)
print(time.perf_counter() - start)
