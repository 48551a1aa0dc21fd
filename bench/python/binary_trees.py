"""CPython twin of bench/binary_trees.lox: many perfect binary trees of instances built and walked."""

import time


class Node:
    def __init__(self, depth):
        if depth > 0:
            self.left = Node(depth - 1)
            self.right = Node(depth - 1)
        else:
            self.left = None
            self.right = None

    def count(self):
        if self.left is None:
            return 1
        return 1 + self.left.count() + self.right.count()


start = time.perf_counter()
minDepth = 4
maxDepth = 14

stretch = Node(maxDepth + 1)
print("%g" % stretch.count())
stretch = None

keep = Node(maxDepth)
built = 0
depth = minDepth
while depth <= maxDepth:
    trees = 8
    k = depth
    while k < maxDepth:
        trees = trees * 2
        k = k + 1
    nodes = 0
    i = 0
    while i < trees:
        nodes = nodes + Node(depth).count()
        i = i + 1
    built = built + trees
    print("%g" % depth)
    print("%g" % trees)
    print("%g" % nodes)
    depth = depth + 2
print("%g" % built)
print("%g" % keep.count())
print(time.perf_counter() - start)
