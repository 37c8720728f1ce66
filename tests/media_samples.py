"""Small, real-shaped media files for the multimodal tests (unit and end to end), built in code."""

from __future__ import annotations

import base64
import contextlib
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path


def png(width: int = 1, height: int = 1, *, padding: int = 0) -> bytes:
    """A valid RGB PNG; `padding` adds an ancillary chunk so the file reaches a wanted size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    extra = chunk(b"teXt", b"c\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WAV = (
    b"RIFF"
    + struct.pack("<I", 36 + 8)
    + b"WAVEfmt "
    + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    + b"data"
    + struct.pack("<I", 8)
    + b"\x00" * 8
)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 32
TEXT = b"Quarterly notes: revenue up 4%, costs flat.\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{b64(data)}"


@contextlib.contextmanager
def fifo_watchdog(path: Path, after: float = 5.0) -> Iterator[threading.Event]:
    """If a reader is still blocked opening the FIFO `after` seconds on, open it for writing (which frees
    the reader, so a regression fails the test instead of hanging it) and set the returned event."""
    fired = threading.Event()

    def unblock() -> None:
        fired.set()
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    timer = threading.Timer(after, unblock)
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
