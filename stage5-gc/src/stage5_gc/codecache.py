"""Object images kept between runs, so code that never changes (the collector's tracer) is compiled once per machine.

An image is keyed by the SHA-256 of its IR text and of what else the machine
code depends on (llvmlite's version, the target triple, CPU and features,
the optimisation level), so a changed tracer or another machine never reads
a stale image. Only code that names no address can be kept: the tracer reads
the heap's addresses from its context. The directory is ``$LOX_CODE_CACHE``
(``off`` turns the cache off), else ``$XDG_CACHE_HOME/lox-vm``, else
``~/.cache/lox-vm``; a directory that cannot be written just means compiling
every time. Files are written whole and renamed into place, so a reader
never sees half an image.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stage0_jit.engine import JitEngine


def cache_directory() -> Path | None:
    """Where images are kept (None: the cache is off)."""
    chosen = os.environ.get("LOX_CODE_CACHE")
    if chosen is not None:
        return None if chosen in ("", "off") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lox-vm"


def cached_image(engine: "JitEngine", text: str, title: str, level: int) -> tuple[bytes, bool]:
    """The object image of IR ``text`` optimised at ``level``: (image, whether it came from the cache)."""
    directory = cache_directory()
    key = hashlib.sha256(f"{engine.machine_key()}|O{level}\n{text}".encode()).hexdigest()
    path = directory / f"{key}.o" if directory is not None else None
    if path is not None:
        try:
            return path.read_bytes(), True
        except OSError:
            pass
    image = engine.object_image(text, title, level=level)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(image)
            os.replace(partial, path)
        except OSError:
            pass
    return image, False
