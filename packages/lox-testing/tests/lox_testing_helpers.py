"""Helpers shared by the lox-testing tests (a unique module name, safe beside other packages' tests)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, relpath: str, text: str) -> Path:
    """Write a program into a corpus directory and return its path."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path
