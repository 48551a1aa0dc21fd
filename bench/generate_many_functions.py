"""Write bench/many_functions.lox, its CPython twin and its expected output.

The program is large on purpose: NUM_FUNCTIONS distinct functions, each
called only a few times, plus a little top-level work. It measures what a
stage pays before it runs anything (parsing, compiling, start-up), so its
whole-process time matters more than its in-program time.

Output is deterministic (a fixed seed); run it again after changing it:

    python bench/generate_many_functions.py
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

NUM_FUNCTIONS = 300
CALLS_PER_FUNCTION = 3
SEED = 20240501
MODULUS = 1000000

HERE = Path(__file__).resolve().parent


def _leaf(rng: random.Random, n: int, kind: int) -> tuple[str, str]:
    """One function that calls no other generated function, as (Lox, Python)."""
    k1, k2, k3 = rng.randint(1, 9), rng.randint(1, 60), rng.randint(0, 99)
    name = f"f{n}"
    if kind == 0:
        return (
            f"fun {name}(a, b) {{\n"
            f"  var x = a * {k1} + b - {k2};\n"
            f"  if (x < 0) x = -x;\n"
            f"  return x + {k3};\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f"    x = a * {k1} + b - {k2}\n"
            f"    if x < 0:\n"
            f"        x = -x\n"
            f"    return x + {k3}\n",
        )
    if kind == 1:
        return (
            f"fun {name}(a, b) {{\n"
            f"  var s = {k3};\n"
            f"  for (var i = 0; i < {k1}; i = i + 1) {{\n"
            f"    s = s + a - i;\n"
            f"  }}\n"
            f"  return s + b;\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f"    s = {k3}\n"
            f"    i = 0\n"
            f"    while i < {k1}:\n"
            f"        s = s + a - i\n"
            f"        i = i + 1\n"
            f"    return s + b\n",
        )
    if kind == 2:
        return (
            f"fun {name}(a, b) {{\n"
            f"  var t = a + {k2};\n"
            f"  fun inner(y) {{\n"
            f"    return y * {k1} + t;\n"
            f"  }}\n"
            f"  t = t + 1;\n"
            f"  return inner(b) + inner({k3});\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f"    t = a + {k2}\n"
            f"\n"
            f"    def inner(y):\n"
            f"        return y * {k1} + t\n"
            f"\n"
            f"    t = t + 1\n"
            f"    return inner(b) + inner({k3})\n",
        )
    if kind == 3:
        return (
            f"fun {name}(a, b) {{\n"
            f'  var s = "w{n}";\n'
            f'  if (a > b) s = s + "x";\n'
            f'  if (s == "w{n}x") return a - b + {k3};\n'
            f"  return b - a + {k2};\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f'    s = "w{n}"\n'
            f"    if a > b:\n"
            f'        s = s + "x"\n'
            f'    if s == "w{n}x":\n'
            f"        return a - b + {k3}\n"
            f"    return b - a + {k2}\n",
        )
    if kind == 4:
        k4 = rng.randint(1, 40)
        return (
            f"fun {name}(a, b) {{\n"
            f"  if (a < {k2}) return a + {k3};\n"
            f"  else if (b < {k4}) return b * {k1};\n"
            f"  return a + b;\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f"    if a < {k2}:\n"
            f"        return a + {k3}\n"
            f"    elif b < {k4}:\n"
            f"        return b * {k1}\n"
            f"    return a + b\n",
        )
    if kind == 5:
        k4 = rng.randint(1, 40)
        return (
            f"fun {name}(a, b) {{\n"
            f"  var ok = a > {k4} and b < {k2} or a == b;\n"
            f"  if (ok) return a + {k3};\n"
            f"  return b - {k3};\n"
            f"}}\n",
            f"def {name}(a, b):\n"
            f"    ok = a > {k4} and b < {k2} or a == b\n"
            f"    if ok:\n"
            f"        return a + {k3}\n"
            f"    return b - {k3}\n",
        )
    step = rng.randint(2, 9)
    return (
        f"fun {name}(a, b) {{\n"
        f"  var n = a;\n"
        f"  var c = 0;\n"
        f"  while (n > 0) {{\n"
        f"    n = n - {step};\n"
        f"    c = c + 1;\n"
        f"  }}\n"
        f"  return c * {k1} + b;\n"
        f"}}\n",
        f"def {name}(a, b):\n"
        f"    n = a\n"
        f"    c = 0\n"
        f"    while n > 0:\n"
        f"        n = n - {step}\n"
        f"        c = c + 1\n"
        f"    return c * {k1} + b\n",
    )


def _caller(rng: random.Random, n: int, leaves: list[int]) -> tuple[str, str]:
    """One function that calls two earlier leaf functions, as (Lox, Python)."""
    m1, m2 = rng.choice(leaves), rng.choice(leaves)
    k1, k2 = rng.randint(0, 40), rng.randint(0, 99)
    return (
        f"fun f{n}(a, b) {{\n"
        f"  return f{m1}(b, a) + f{m2}(a, {k1}) - {k2};\n"
        f"}}\n",
        f"def f{n}(a, b):\n"
        f"    return f{m1}(b, a) + f{m2}(a, {k1}) - {k2}\n",
    )


def generate() -> tuple[str, str]:
    """Return the text of many_functions.lox and of its Python twin."""
    rng = random.Random(SEED)
    lox: list[str] = [
        "// many_functions: a LARGE program, generated by bench/generate_many_functions.py\n"
        "// (do not edit by hand). It has many distinct functions, each called only\n"
        "// a few times, and a little top-level work: it measures compile and\n"
        "// start-up cost, so look at its whole-process time.\n\n"
        "var sum = 0;\n"
        "var calls = 0;\n\n"
        "fun check(v) {\n"
        "  calls = calls + 1;\n"
        "  sum = sum + v;\n"
        "}\n\n"
        "fun wrap(x) {\n"
        f"  while (x >= {MODULUS}) x = x - {MODULUS};\n"
        f"  while (x < 0) x = x + {MODULUS};\n"
        "  return x;\n"
        "}\n\n"
    ]
    py: list[str] = [
        '"""CPython twin of bench/many_functions.lox, generated by '
        'bench/generate_many_functions.py."""\n\n'
        "import time\n\n"
        "sum = 0\n"
        "calls = 0\n\n\n"
        "def check(v):\n"
        "    global calls, sum\n"
        "    calls = calls + 1\n"
        "    sum = sum + v\n\n\n"
        "def wrap(x):\n"
        f"    while x >= {MODULUS}:\n"
        f"        x = x - {MODULUS}\n"
        "    while x < 0:\n"
        f"        x = x + {MODULUS}\n"
        "    return x\n\n\n"
    ]
    leaves: list[int] = []
    for n in range(NUM_FUNCTIONS):
        if leaves and rng.random() < 0.25:
            lox_text, py_text = _caller(rng, n, leaves)
        else:
            lox_text, py_text = _leaf(rng, n, rng.randrange(7))
            leaves.append(n)
        lox.append(lox_text + "\n")
        py.append(py_text + "\n\n")

    lox.append("var start = clock();\n")
    py.append("start = time.perf_counter()\n")
    for n in range(NUM_FUNCTIONS):
        for _ in range(CALLS_PER_FUNCTION):
            a, b = rng.randint(0, 50), rng.randint(0, 50)
            lox.append(f"check(f{n}({a}, {b}));\n")
            py.append(f"check(f{n}({a}, {b}))\n")
    lox.append("print wrap(sum);\nprint calls;\nprint clock() - start;\n")
    py.append('print("%g" % wrap(sum))\nprint("%g" % calls)\nprint(time.perf_counter() - start)\n')
    return "".join(lox), "".join(py)


def main() -> None:
    """Write the .lox program, the Python twin and the .expected file."""
    lox_text, py_text = generate()
    (HERE / "many_functions.lox").write_text(lox_text)
    twin = HERE / "python" / "many_functions.py"
    twin.write_text(py_text)
    out = subprocess.run([sys.executable, str(twin)], check=True, capture_output=True, text=True)
    lines = out.stdout.splitlines()[:-1]  # drop the timing line
    (HERE / "many_functions.expected").write_text("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    main()
