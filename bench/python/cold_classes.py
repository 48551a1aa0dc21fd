"""CPython twin of bench/cold_classes.lox: a short class-based program that never gets hot."""

import time

start = time.perf_counter()


class Shape:
    def __init__(self, name):
        self.name = name
        self.moves = 0

    def area(self):
        return 0

    def perimeter(self):
        return 0

    def move(self, steps):
        self.moves = self.moves + steps
        return self

    def describe(self):
        return self.name + " of area " + self.label(self.area())

    def label(self, n):
        if n < 10:
            return "small"
        if n < 100:
            return "medium"
        return "large"


class Rect(Shape):
    def __init__(self, width, height):
        super().__init__("rect")
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height

    def perimeter(self):
        return 2 * (self.width + self.height)


class Square(Rect):
    def __init__(self, side):
        super().__init__(side, side)
        self.name = "square"

    def describe(self):
        return "a " + super().describe()


class Circle(Shape):
    def __init__(self, radius):
        super().__init__("circle")
        self.radius = radius

    def area(self):
        return 3 * self.radius * self.radius

    def perimeter(self):
        return 6 * self.radius


class Node:
    def __init__(self, value, next_):
        self.value = value
        self.next = next_


class Stack:
    def __init__(self):
        self.top = None
        self.size = 0

    def push(self, value):
        self.top = Node(value, self.top)
        self.size = self.size + 1

    def pop(self):
        node = self.top
        self.top = node.next
        self.size = self.size - 1
        return node.value

    def isEmpty(self):
        return self.top is None


class Account:
    def __init__(self, owner):
        self.owner = owner
        self.balance = 0
        self.history = ""

    def deposit(self, amount):
        self.balance = self.balance + amount
        self.history = self.history + "+"
        return self

    def withdraw(self, amount):
        if amount > self.balance:
            self.history = self.history + "!"
            return False
        self.balance = self.balance - amount
        self.history = self.history + "-"
        return True


def lox_bool(value):
    """How Lox prints a boolean."""
    return "true" if value else "false"


shapes = Stack()
shapes.push(Rect(3, 4))
shapes.push(Square(5))
shapes.push(Circle(2))
shapes.push(Square(1).move(3))
shapes.push(Circle(7))

areas = 0
perimeters = 0
moves = 0
names = ""
while not shapes.isEmpty():
    shape = shapes.pop()
    areas = areas + shape.area()
    perimeters = perimeters + shape.perimeter()
    moves = moves + shape.move(2).moves
    if names != "":
        names = names + ", "
    names = names + shape.describe()
print(names)
print("%g" % areas)
print("%g" % perimeters)
print("%g" % moves)

account = Account("ada")
i = 1
while i <= 8:
    account.deposit(i * 10)
    account.withdraw(i * 15)
    i = i + 1
print(account.owner + " " + account.history)
print("%g" % account.balance)
print(Square.__name__)  # Lox prints a class as its name
print(type(shapes).__name__ + " instance")  # and an instance as "NAME instance"
print(lox_bool(shapes.size == 0 and Square(2).area() == 4))
print(time.perf_counter() - start)
