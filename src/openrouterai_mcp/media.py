"""Media types: told from content (magic bytes), read from `data:` URIs, and the part kind each implies.

Pure functions, no I/O. A file's name never decides its type: a PDF named `shot.png` is a PDF.
Kinds: `image` (png, jpeg, webp, gif), `audio` (wav, mp3, flac, ogg, m4a, aac), `video` (mp4, webm,
mov) and `document` (PDF, and UTF-8 text for `file` parts).
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Literal

Kind = Literal["image", "audio", "video", "document"]
MIB = 1024 * 1024
# How many leading bytes `sniff` needs.
HEAD_BYTES = 64


@dataclass(frozen=True, slots=True)
class Media:
    mime: str
    kind: Kind
    # `input_audio.format` for audio (OpenRouter's names), else None.
    audio_format: str | None = None

    @property
    def extension(self) -> str:
        return _EXTENSIONS.get(self.mime, "bin")


PNG = Media("image/png", "image")
JPEG = Media("image/jpeg", "image")
GIF = Media("image/gif", "image")
WEBP = Media("image/webp", "image")
PDF = Media("application/pdf", "document")
TEXT = Media("text/plain", "document")
WAV = Media("audio/wav", "audio", "wav")
MP3 = Media("audio/mpeg", "audio", "mp3")
FLAC = Media("audio/flac", "audio", "flac")
OGG = Media("audio/ogg", "audio", "ogg")
M4A = Media("audio/mp4", "audio", "m4a")
AAC = Media("audio/aac", "audio", "aac")
MP4 = Media("video/mp4", "video")
WEBM = Media("video/webm", "video")
MOV = Media("video/quicktime", "video")

KNOWN_TYPES = "png, jpeg, webp, gif, PDF, UTF-8 text, wav, mp3, flac, ogg, m4a, aac, mp4, webm, mov"

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
}
# What a URL's path ending says (URLs are never fetched, so the name is all there is).
_BY_EXTENSION: dict[str, Kind] = {
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".wav": "audio",
    ".mp3": "audio",
    ".flac": "audio",
    ".ogg": "audio",
    ".m4a": "audio",
    ".aac": "audio",
    ".mp4": "video",
    ".webm": "video",
    ".mov": "video",
}
# Audio formats by media type, for `data:audio/...` URIs.
_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/m4a": "m4a",
    "audio/aac": "aac",
}
_M4A_BRANDS = (b"M4A ", b"M4B ", b"M4P ")


def sniff(head: bytes) -> Media | None:
    """The media type of content starting with `head` (at least `HEAD_BYTES` when the content is that long)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"%PDF-"):
        return PDF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"ID3"):
        return MP3
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _M4A_BRANDS:
            return M4A
        return MOV if brand == b"qt  " else MP4
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF0 == 0xF0:
        # MPEG audio frame sync: layer bits 00 mean AAC in an ADTS frame, anything else MP3.
        return AAC if head[1] & 0x06 == 0 else MP3
    return None


def is_text(data: bytes | bytearray) -> bool:
    """UTF-8 without NUL bytes: sent as a text/plain document."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def kind_of_mime(mime: str) -> Kind:
    major = mime.split("/", 1)[0]
    if major in ("image", "audio", "video"):
        return major  # type: ignore[return-value]
    return "document"


def audio_format_of(mime: str) -> str | None:
    return _AUDIO_FORMATS.get(mime)


def kind_of_url_path(path: str) -> Kind | None:
    lowered = path.lower()
    dot = lowered.rfind(".")
    return _BY_EXTENSION.get(lowered[dot:]) if dot >= 0 else None


@dataclass(frozen=True, slots=True)
class DataUri:
    mime: str
    payload: str  # the base64 text, as given
    header: str  # everything before the comma

    @property
    def header_is_json_safe(self) -> bool:
        """Whether the header holds nothing JSON would escape (the payload is checked as base64)."""
        return self.header.isascii() and self.header.isprintable() and not any(c in self.header for c in '"\\')

    @property
    def decoded_size(self) -> int:
        return decoded_size(self.payload)


def parse_data_uri(uri: str) -> DataUri:
    """`data:<type>[;params];base64,<payload>`. Raises ValueError (without echoing the payload)."""
    header, comma, payload = uri.partition(",")
    if not comma:
        raise ValueError("the data: URI has no ',' before its data")
    params = header[len("data:") :].split(";")
    mime = params[0].strip().lower()
    if "base64" not in (param.strip().lower() for param in params[1:]):
        raise ValueError("the data: URI must be base64-encoded (data:<type>;base64,...)")
    if "/" not in mime:
        raise ValueError("the data: URI has no media type (data:<type>/<subtype>;base64,...)")
    return DataUri(mime, payload, header)


def decoded_size(payload: str) -> int:
    """Bytes the base64 text decodes to, from its length alone."""
    length = len(payload)
    padding = 2 if payload.endswith("==") else 1 if payload.endswith("=") else 0
    return max(0, length * 3 // 4 - padding)


def decode_head(payload: str) -> bytes:
    """The first bytes of base64 text (for sniffing) without decoding all of it."""
    chunk = payload[: HEAD_BYTES * 4 // 3 + 4]
    chunk = chunk[: len(chunk) - len(chunk) % 4]
    try:
        return binascii.a2b_base64(chunk)
    except binascii.Error:
        return b""


_CHECK_SLICE = 4 * 256 * 1024  # characters: a multiple of 4, so only the last slice may be padded


def check_base64(payload: str) -> bool:
    """Whether the text is valid base64 (strict alphabet and padding), checked in slices (short C calls)."""
    try:
        for start in range(0, len(payload), _CHECK_SLICE):
            if start:
                time.sleep(0)  # hand the GIL to the event loop between slices (this runs in a thread)
            base64.b64decode(payload[start : start + _CHECK_SLICE], validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
