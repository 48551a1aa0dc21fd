"""Test helpers for lox-frontend: make the package importable from a source checkout."""

from __future__ import annotations

import pathlib
import sys

try:
    import lox_frontend  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))
