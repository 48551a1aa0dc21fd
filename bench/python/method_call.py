"""CPython twin of bench/method_call.lox: switch objects with chained method calls and super calls."""

import time


class Switch:
    def __init__(self, on):
        self.on = on

    def isOn(self):
        return self.on

    def flip(self):
        self.on = not self.on
        return self


class SlowSwitch(Switch):
    def __init__(self, on, every):
        super().__init__(on)
        self.every = every
        self.count = 0

    def flip(self):
        self.count = self.count + 1
        if self.count >= self.every:
            self.count = 0
            super().flip()
        return self


def lox_bool(value):
    """How Lox prints a boolean."""
    return "true" if value else "false"


start = time.perf_counter()
fast = Switch(True)
slow = SlowSwitch(False, 5)
fastOn = 0
slowOn = 0
i = 0
while i < 1600000:
    if fast.flip().isOn():
        fastOn = fastOn + 1
    if fast.flip().flip().isOn():
        fastOn = fastOn + 2
    if slow.flip().isOn():
        slowOn = slowOn + i
    if slow.flip().flip().isOn():
        slowOn = slowOn + 1
    while fastOn >= 999983:
        fastOn = fastOn - 999983
    while slowOn >= 999983:
        slowOn = slowOn - 999983
    i = i + 1
print("%g" % fastOn)
print("%g" % slowOn)
print(lox_bool(fast.isOn()))
print(lox_bool(slow.isOn()))
print(time.perf_counter() - start)
