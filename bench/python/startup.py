"""CPython twin of bench/startup.lox: start, print 42, exit."""

print(42)
