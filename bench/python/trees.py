"""CPython twin of bench/trees.lox: a long-lived tree whose leaves are replaced by fresh subtrees."""

import time


class Tree:
    def __init__(self, depth, value):
        self.value = value
        if depth > 0:
            self.left = Tree(depth - 1, value * 2)
            self.right = Tree(depth - 1, value * 2 + 1)
        else:
            self.left = None
            self.right = None

    def sum(self):
        s = self.value
        if self.left is not None:
            s = s + self.left.sum()
        if self.right is not None:
            s = s + self.right.sum()
        return s


start = time.perf_counter()
root = Tree(8, 1)
checksum = 0
round_ = 0
while round_ < 20000:
    node = root
    path = round_
    level = 0
    while level < 7:
        half = 0
        while path >= 2:
            path = path - 2
            half = half + 1
        if path == 0:
            node = node.left
        else:
            node = node.right
        path = half
        level = level + 1
    fresh = Tree(5, round_)
    if node.left.value < node.right.value:
        node.left = fresh
    else:
        node.right = fresh
    n = round_
    while n >= 100:
        n = n - 100
    if n == 0:
        checksum = checksum + root.sum()
        while checksum >= 1000000:
            checksum = checksum - 1000000
    round_ = round_ + 1
print("%g" % checksum)
print("%g" % (root.sum() - root.sum()))
print(time.perf_counter() - start)
