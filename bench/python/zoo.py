"""CPython twin of bench/zoo.lox: five animal classes sharing method names, walked at polymorphic sites."""

import time


class Animal:
    def __init__(self, next):
        self.next = next
        self.fed = 0

    def feed(self, amount):
        self.fed = self.fed + amount
        if self.fed > 1000:
            self.fed = self.fed - 1000
        return self.fed


class Dog(Animal):
    def __init__(self, next):
        self.tail = 1
        super().__init__(next)

    def legs(self):
        return 4

    def noise(self):
        return 3 + self.tail


class Bird(Animal):
    def __init__(self, next):
        super().__init__(next)
        self.wings = 2

    def legs(self):
        return 2

    def noise(self):
        return 5

    def feed(self, amount):
        return super().feed(amount + self.wings)


class Fish(Animal):
    def __init__(self, next):
        self.fins = 5
        self.scales = 100
        super().__init__(next)

    def legs(self):
        return 0

    def noise(self):
        return 0


class Spider(Animal):
    def legs(self):
        return 8

    def noise(self):
        return 1


class Snake(Animal):
    def __init__(self, next):
        self.length = 3
        super().__init__(next)

    def legs(self):
        return 0

    def noise(self):
        return 7

    def feed(self, amount):
        self.length = self.length + 1
        if self.length > 9:
            self.length = 3
        return super().feed(amount * self.length)


# Twelve animals, in an order that mixes the classes.
def makeZoo():
    zoo = None
    k = 0
    while k < 12:
        kind = k
        while kind >= 5:
            kind = kind - 5
        if kind == 0:
            zoo = Dog(zoo)
        if kind == 1:
            zoo = Snake(zoo)
        if kind == 2:
            zoo = Bird(zoo)
        if kind == 3:
            zoo = Spider(zoo)
        if kind == 4:
            zoo = Fish(zoo)
        k = k + 1
    return zoo


start = time.perf_counter()
zoo = makeZoo()
legs = 0
noise = 0
food = 0
bite = 0
walk = 0
while walk < 360000:
    bite = bite + 1
    if bite > 7:
        bite = 1
    animal = zoo
    while animal is not None:
        legs = legs + animal.legs()
        noise = noise + animal.noise()
        food = food + animal.feed(bite)
        animal = animal.next
    while legs >= 999983:
        legs = legs - 999983
    while noise >= 999983:
        noise = noise - 999983
    while food >= 999983:
        food = food - 999983
    walk = walk + 1
print("%g" % legs)
print("%g" % noise)
print("%g" % food)
print("%g" % zoo.fed)
print(time.perf_counter() - start)
