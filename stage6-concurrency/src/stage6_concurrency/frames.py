"""Length-prefixed pickled messages from a compile process to the VM (both ends are this code)."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

_LENGTH = struct.Struct("<Q")


def write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    """Send one message and flush it."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:             # an unbuffered pipe may take less than asked
        written = stream.write(view)
        view = view[written or 0:]
    stream.flush()


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None when the other end has closed (or died mid-message)."""
    header = _read_exactly(stream, _LENGTH.size)
    if header is None:
        return None
    data = _read_exactly(stream, _LENGTH.unpack(header)[0])
    if data is None:
        return None
    message: dict[str, Any] = pickle.loads(data)
    return message


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """``size`` bytes, or None at end of stream."""
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
