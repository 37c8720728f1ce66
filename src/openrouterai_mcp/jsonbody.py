"""A JSON request body whose large strings (base64 data URIs) are sent in slices, never encoded whole.

`json.dumps` of a body holding a 20 MB data URI is one C call that holds the GIL for tens of
milliseconds and makes two more full copies (the text, then its bytes). `splice(body)` instead
dumps the body with each large JSON-safe string swapped for a marker, and yields the pieces: the
small JSON text around them as bytes, the large strings as ASCII slices of `SLICE` characters. The
event loop gets control between slices, and memory holds the strings once. The client sends it with
an explicit Content-Length (no chunked encoding) and can iterate it again for a retry.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Collection
from typing import Any

from .jsonshape import as_dict, as_list

# Strings at least this long are spliced; shorter ones are cheaper to dump in place.
SPLICE_FROM = 64 * 1024
SLICE = 512 * 1024


class SplicedBody:
    """An async iterable of the body's bytes, with its total length known up front."""

    def __init__(self, pieces: list[bytes | str]) -> None:
        self._pieces = pieces
        self.length = sum(len(piece) for piece in pieces)  # large strings are ASCII: one byte per character

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            for start in range(0, len(piece), SLICE):
                yield piece[start : start + SLICE].encode("ascii")


_ESCAPED = bytes(range(0x20)) + b'"\\'


def _json_safe(text: str) -> bool:
    """ASCII with nothing JSON would escape: it can go between quotes as it is (base64 and data: URIs).

    Checked in slices, so no single C call holds the GIL long (`splice` runs in a worker thread)."""
    if not text.isascii():
        return False
    for start in range(0, len(text), SLICE):
        if start:
            time.sleep(0)  # hand the GIL to the event loop between slices
        piece = text[start : start + SLICE].encode("ascii")
        if len(piece.translate(None, _ESCAPED)) != len(piece):
            return False
    return True


def splice(body: dict[str, Any], vouched: Collection[str] = ()) -> SplicedBody | None:
    """The body as slices when it holds large JSON-safe strings; None when a plain dump is as good.

    `vouched`: strings already known to be JSON-safe (checked base64, data: URIs this server built);
    they are not scanned again. Blocking (it may scan other large strings): run it in a worker thread."""
    known = {id(text) for text in vouched}
    marker = f"@splice-{os.urandom(6).hex()}-"
    found: list[str] = []

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            if len(node) >= SPLICE_FROM and (id(node) in known or _json_safe(node)):
                found.append(node)
                return f"{marker}{len(found) - 1}"
            return node
        if isinstance(node, dict):
            return {key: walk(value) for key, value in as_dict(node).items()}
        if isinstance(node, list):
            return [walk(item) for item in as_list(node)]
        return node

    skeleton = walk(body)
    if not found:
        return None
    text = json.dumps(skeleton, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    pieces: list[bytes | str] = []
    for index, large in enumerate(found):
        before, text = text.split(f'"{marker}{index}"', 1)
        pieces += [(before + '"').encode(), large, b'"']
    pieces.append(text.encode())
    return SplicedBody(pieces)
