"""Where a part's data comes from: http(s) URLs pass unchanged, `data:` URIs are checked, local files are read.

`SourceLoader.load(source, place, expect)` is the one entry point, used by `content.py` for each part and
attachment. An http(s) URL is never fetched; a `data:` URI must decode, its media type must fit the part and
its content must not contradict that type; a local file is read through the sandbox (`files.py`), its type
told from its content, and it is sent as base64. The loader also keeps the call's size accounting
(`OPENROUTER_MAX_FILE_MB`, `OPENROUTER_MAX_REQUEST_MB`) and the list of strings it vouches for (see
`jsonbody.splice`). Blocking work (reading, base64) runs in worker threads.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

import anyio.to_thread

from . import media
from .errors import ValidationFailure
from .files import FileRefused, FileTooLarge, LocalFile, local_path, read_inside
from .media import MIB, Kind, Media
from .parts import SOURCE_HINT
from .settings import Settings

# Checking base64 of small payloads inline is cheaper than a thread hop.
_INLINE_CHECK_CHARS = 256 * 1024
# A path quoted in an error is cut to this length.
_SHOWN_CHARS = 200
KIND_NAMES = {"image": "an image", "audio": "audio", "video": "a video", "document": "a document"}
PART_FOR_KIND = {"image": "image_url", "audio": "input_audio", "video": "video_url", "document": "file"}


@dataclass(slots=True)
class Loaded:
    """A part's data after checking: the value to send and, when known, its media type."""

    value: str
    media: Media | None = None
    name: str | None = None


@dataclass(slots=True)
class SourceLoader:
    """Checks or reads the sources of one call, counting their sizes against the limits."""

    settings: Settings
    used: int = 0
    # Strings checked here (valid base64, a well-formed data: URI) or built here: see jsonbody.splice.
    vouched: list[str] = field(default_factory=list[str])
    file_limit: int = field(init=False)
    request_limit: int = field(init=False)

    def __post_init__(self) -> None:
        self.file_limit = int(self.settings.max_file_mb * MIB)
        self.request_limit = int(self.settings.max_request_mb * MIB)

    async def load(self, source: str, place: str, expect: Kind | None, *, raw_base64: bool = False) -> Loaded:
        """Check or read one source. `expect` None: any kind (attachments), told from the content."""
        if is_url(source):
            return Loaded(source)
        if source[:5].lower() == "data:":
            return await self._data_uri(source, place, expect, raw_base64)
        path = local(source, place)
        if path is None:
            hint = "base64 data, a data:audio/... URI, a file:// URL or an absolute path" if expect == "audio" else ""
            raise ValidationFailure(f"{place}: expected {hint or SOURCE_HINT}")
        shown = source if len(source) <= _SHOWN_CHARS else source[:_SHOWN_CHARS] + "…"
        return await self._file(shown, path, place, expect, raw_base64)

    async def _data_uri(self, source: str, place: str, expect: Kind | None, raw_base64: bool) -> Loaded:
        try:
            uri = media.parse_data_uri(source)
        except ValueError as exc:
            raise ValidationFailure(f"{place}: {exc}") from None
        kind = media.kind_of_mime(uri.mime)
        if expect is not None and kind != expect:
            raise ValidationFailure(
                f"{place}: the data: URI is {uri.mime}, not {KIND_NAMES[expect]}"
                + (f" (send it in a part of type {PART_FOR_KIND[kind]})" if expect == "document" else "")
            )
        self.take(uri.decoded_size, place)
        await self.check_base64(uri.payload, place)
        sniffed = media.sniff(media.decode_head(uri.payload))
        if sniffed is not None and sniffed.kind != kind:
            raise ValidationFailure(
                f"{place}: the data: URI says {uri.mime} but its content is {sniffed.mime} ({KIND_NAMES[sniffed.kind]})"
            )
        audio_format = media.audio_format_of(uri.mime) or (sniffed.audio_format if sniffed else None)
        found = Media(uri.mime, kind, audio_format)
        value = uri.payload if raw_base64 else source
        if raw_base64 or uri.header_is_json_safe:
            self.vouched.append(value)
        return Loaded(value, found)

    async def _file(self, given: str, path: str, place: str, expect: Kind | None, raw_base64: bool) -> Loaded:
        limit = min(self.file_limit, self.request_limit - self.used)
        try:
            found_file: LocalFile = await anyio.to_thread.run_sync(
                _read_and_type, given, path, self.settings.file_roots, limit, expect in (None, "document")
            )
        except FileTooLarge as exc:
            raise self._too_large(exc.size, place) from None
        except FileRefused as exc:
            raise ValidationFailure(f"{place}: {exc}") from None
        found = found_file.media
        if found is None:
            raise ValidationFailure(
                f"{place}: {given}: its content is not a type this server sends ({media.KNOWN_TYPES}); "
                "the type is told from the content, not the name"
            )
        if expect is not None and found.kind != expect:
            raise ValidationFailure(
                f"{place}: {given}: its content is {found.mime} ({KIND_NAMES[found.kind]}), not "
                f"{KIND_NAMES[expect]}; the type is told from the content, not the name"
                + (f" (send it in a part of type {PART_FOR_KIND[found.kind]})" if expect == "document" else "")
            )
        self.take(found_file.size, place)
        # The encoder takes the bytes out of `found_file`, so they are freed as soon as they are encoded.
        value = await anyio.to_thread.run_sync(_encode, found.mime, found_file, raw_base64)
        self.vouched.append(value)
        return Loaded(value, found, found_file.name)

    # --- limits ----------------------------------------------------------------------------------

    def _too_large(self, size: int, place: str) -> ValidationFailure:
        if size > self.file_limit:
            return ValidationFailure(
                f"{place}: {_over(size, self.file_limit)} is over the {_mb(self.file_limit)} per-file limit "
                "(OPENROUTER_MAX_FILE_MB)"
            )
        total = self.used + size
        return ValidationFailure(
            f"{place}: with it the call's files come to {_over(total, self.request_limit)}, over the "
            f"{_mb(self.request_limit)} per-call limit (OPENROUTER_MAX_REQUEST_MB)"
        )

    def take(self, size: int, place: str) -> None:
        """Count `size` decoded bytes against the per-file and per-call limits."""
        if size > self.file_limit or self.used + size > self.request_limit:
            raise self._too_large(size, place)
        self.used += size

    async def check_base64(self, payload: str, place: str) -> None:
        if len(payload) <= _INLINE_CHECK_CHARS:
            valid = media.check_base64(payload)
        else:
            valid = await anyio.to_thread.run_sync(media.check_base64, payload)
        if not valid:
            raise ValidationFailure(f"{place}: the data is not valid base64")


def is_url(source: str) -> bool:
    lowered = source[:8].lower()
    return lowered.startswith(("http://", "https://"))


def local(source: str, place: str) -> str | None:
    """The local path a source names (absolute, `~` or `file://`), or None when it is not local."""
    try:
        return local_path(source)
    except FileRefused as exc:
        raise ValidationFailure(f"{place}: {exc}") from None


def _read_and_type(given: str, path: str, roots: list[str] | None, limit: int, text_allowed: bool) -> LocalFile:
    """Read through the sandbox and tell the type from the content (in a worker thread)."""
    found = read_inside(given, path, roots, limit)
    assert found.data is not None
    found.media = media.sniff(bytes(found.data[: media.HEAD_BYTES]))
    if found.media is None and text_allowed and media.is_text(found.data):
        found.media = media.TEXT
    return found


# Base64 is encoded (and checked) in slices, with the GIL handed over between them: each C call is
# short, so the event loop thread keeps serving other calls instead of waiting for a whole file.
_ENCODE_SLICE = 3 * 256 * 1024


def _encode(mime: str, found: LocalFile, raw_base64: bool) -> str:
    data, found.data = found.data, None
    assert data is not None
    prefix = b"" if raw_base64 else f"data:{mime};base64,".encode("ascii")
    # Sized once: growing it slice by slice would copy the whole buffer at every reallocation.
    buffer = bytearray(len(prefix) + 4 * -(-len(data) // 3))
    buffer[: len(prefix)] = prefix
    position = len(prefix)
    view = memoryview(data)
    for start in range(0, len(view), _ENCODE_SLICE):
        encoded = base64.b64encode(view[start : start + _ENCODE_SLICE])
        buffer[position : position + len(encoded)] = encoded
        position += len(encoded)
        time.sleep(0)  # hand the GIL to the event loop between slices
    view.release()
    del data
    return buffer.decode("ascii")


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size % MIB else f"{size // MIB} MB"


def _over(size: int, limit: int) -> str:
    """A size over `limit`, in bytes when MB rounded to one decimal would not show it is over."""
    return _mb(size) if round(size / MIB, 1) > limit / MIB else f"{size:,} bytes"
