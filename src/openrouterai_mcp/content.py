"""Content parts and attachments -> the parts sent upstream (OpenRouter's shapes).

`resolve_content(args, settings)` is the one entry point, called by the chat path before the body is
built: http(s) URLs pass unchanged (never fetched), `data:` URIs are checked (decodes, media type fits
the part, size), local files are read through the sandbox (`files.py`) and sent as base64, and
`attachments` become parts of the last user message. Text-only calls return at once, untouched.
Every refusal is a `ValidationFailure` naming the place (`messages[0].content[2].image_url.url: ...`)
and nothing is sent. Blocking work (reading, base64) runs in worker threads.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from . import media
from .errors import ValidationFailure
from .files import FileRefused, FileTooLarge, LocalFile, local_path, read_inside
from .media import MIB, Kind, Media
from .parts import (
    MAX_PARTS,
    SOURCE_HINT,
    AudioPart,
    ContentPart,
    FileData,
    FilePart,
    ImagePart,
    ImageUrl,
    InputAudio,
    TextPart,
    VideoPart,
    VideoUrl,
)
from .schemas import ChatArgs, Message
from .settings import Settings

# Checking base64 of small payloads inline is cheaper than a thread hop.
_INLINE_CHECK_CHARS = 256 * 1024
ANTHROPIC_IMAGE_LIMIT = 5 * MIB
# A path quoted in an error is cut to this length.
_SHOWN_CHARS = 200
ANTHROPIC_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
ANTHROPIC_DOCUMENT_TYPES = frozenset({"application/pdf", "text/plain"})
_KIND_NAMES = {"image": "an image", "audio": "audio", "video": "a video", "document": "a document"}
_PART_FOR_KIND = {"image": "image_url", "audio": "input_audio", "video": "video_url", "document": "file"}


ArgsT = TypeVar("ArgsT", bound=ChatArgs)


async def resolve_content(args: ArgsT, settings: Settings) -> ArgsT:
    """The arguments with every part's data checked or read, and attachments added; idempotent."""
    if not args.has_media():
        return args
    resolver = _Resolver(settings)
    messages = list(args.messages)
    for index, message in enumerate(messages):
        if not isinstance(message.content, str):
            for position, part in enumerate(message.content):
                resolver.check_static(part, message.role, f"messages[{index}].content[{position}]")
    for index, message in enumerate(messages):
        if not isinstance(message.content, str):
            parts = [
                await resolver.part(part, f"messages[{index}].content[{position}]")
                for position, part in enumerate(message.content)
            ]
            messages[index] = Message.model_construct(role=message.role, content=parts)
    if args.attachments:
        messages = await _attach(resolver, messages, args.attachments)
    resolved = args.model_copy(update={"messages": messages, "attachments": None})
    resolved._resolved = True  # pyright: ignore[reportPrivateUsage]
    resolved._vouched = resolver.vouched  # pyright: ignore[reportPrivateUsage]
    return resolved


async def _attach(resolver: _Resolver, messages: list[Message], attachments: list[str]) -> list[Message]:
    target = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)
    if target is None:
        raise ValidationFailure("attachments: there is no user message to add them to")
    added = [await resolver.attachment(source, f"attachments[{i}]") for i, source in enumerate(attachments)]
    content = messages[target].content
    if isinstance(content, str):
        base: list[ContentPart] = [TextPart(type="text", text=content)] if content else []
    else:
        base = list(content)
    if len(base) + len(added) > MAX_PARTS:
        raise ValidationFailure(
            f"attachments: messages[{target}] would have {len(base) + len(added)} parts, more than {MAX_PARTS}"
        )
    result = list(messages)
    result[target] = Message.model_construct(role="user", content=base + added)
    return result


@dataclass(slots=True)
class _Loaded:
    """A part's data after checking: the value to send and, when known, its media type."""

    value: str
    media: Media | None = None
    name: str | None = None


@dataclass(slots=True)
class _Resolver:
    settings: Settings
    used: int = 0
    # Strings checked here (valid base64, a well-formed data: URI) or built here: see jsonbody.splice.
    vouched: list[str] = field(default_factory=list[str])
    file_limit: int = field(init=False)
    request_limit: int = field(init=False)

    def __post_init__(self) -> None:
        self.file_limit = int(self.settings.max_file_mb * MIB)
        self.request_limit = int(self.settings.max_request_mb * MIB)

    @property
    def anthropic(self) -> bool:
        return self.settings.api_format == "anthropic"

    # --- checks that need no data ----------------------------------------------------------------

    def check_static(self, part: ContentPart, role: str, place: str) -> None:
        if part.type == "text":
            return
        if role == "system":
            raise ValidationFailure(f"{place}: a system message may hold text parts only")
        if self.anthropic and part.type in ("input_audio", "video_url"):
            raise ValidationFailure(f"{place}: {part.type} parts are not supported with API_FORMAT=anthropic")
        if self.anthropic and isinstance(part, FilePart) and part.file.file_data is None:
            raise ValidationFailure(f"{place}.file.file_id: not supported with API_FORMAT=anthropic")

    def _anthropic_check(self, loaded: _Loaded, kind: Kind, place: str) -> None:
        if not self.anthropic or loaded.media is None:
            return
        mime = loaded.media.mime
        if kind == "image":
            if mime not in ANTHROPIC_IMAGE_TYPES:
                raise ValidationFailure(f"{place}: {mime} images are not supported with API_FORMAT=anthropic")
            encoded = len(loaded.value) - loaded.value.index(",") - 1
            if encoded > ANTHROPIC_IMAGE_LIMIT:
                raise ValidationFailure(
                    f"{place}: the image is {encoded} bytes in base64, over Anthropic's 5 MB image limit "
                    f"({ANTHROPIC_IMAGE_LIMIT} bytes)"
                )
        elif kind == "document" and mime not in ANTHROPIC_DOCUMENT_TYPES:
            raise ValidationFailure(
                f"{place}: {mime} documents are not supported with API_FORMAT=anthropic (PDF and plain text are)"
            )
        elif kind in ("audio", "video"):
            raise ValidationFailure(
                f"{place}: {_PART_FOR_KIND[kind]} parts are not supported with API_FORMAT=anthropic"
            )

    # --- parts -----------------------------------------------------------------------------------

    async def part(self, part: ContentPart, place: str) -> ContentPart:
        if isinstance(part, TextPart):
            return part
        if isinstance(part, ImagePart):
            where = f"{place}.image_url.url"
            loaded = await self._load(part.image_url.url, where, "image")
            self._anthropic_check(loaded, "image", where)
            return ImagePart(type="image_url", image_url=ImageUrl(url=loaded.value, detail=part.image_url.detail))
        if isinstance(part, VideoPart):
            loaded = await self._load(part.video_url.url, f"{place}.video_url.url", "video")
            return VideoPart(type="video_url", video_url=VideoUrl(url=loaded.value))
        if isinstance(part, AudioPart):
            return await self._audio(part.input_audio, f"{place}.input_audio")
        if part.file.file_data is None:
            return part
        where = f"{place}.file.file_data"
        loaded = await self._load(part.file.file_data, where, "document")
        self._anthropic_check(loaded, "document", where)
        return FilePart(
            type="file",
            file=FileData(
                filename=part.file.filename or loaded.name, file_data=loaded.value, file_id=part.file.file_id
            ),
        )

    async def _audio(self, audio: InputAudio, place: str) -> AudioPart:
        source = audio.data
        if _is_url(source):
            raise ValidationFailure(
                f"{place}.data: audio cannot be given as a URL (OpenRouter refuses them); use a local file "
                "inside OPENROUTER_FILE_ROOTS, a data:audio/... URI or base64 data"
            )
        if source[:5].lower() == "data:" or _local(source, f"{place}.data") is not None:
            loaded = await self._load(source, f"{place}.data", "audio", raw_base64=True)
            detected = loaded.media.audio_format if loaded.media else None
            return _audio_part(loaded.value, detected or audio.format, place)
        # Plain base64, as OpenRouter takes it.
        size = media.decoded_size(source)
        self._take(size, f"{place}.data")
        await self._check_base64(source, f"{place}.data")
        self.vouched.append(source)
        if audio.format is None:
            sniffed = media.sniff(media.decode_head(source))
            if sniffed is None or sniffed.audio_format is None:
                raise ValidationFailure(f"{place}.format: required (wav, mp3, flac, ogg, m4a, aac, ...)")
            return _audio_part(source, sniffed.audio_format, place)
        return AudioPart(type="input_audio", input_audio=InputAudio(data=source, format=audio.format))

    async def attachment(self, source: str, place: str) -> ContentPart:
        if _is_url(source):
            path = urlsplit(source).path
            kind = media.kind_of_url_path(path) or "document"
            if kind == "audio":
                raise ValidationFailure(
                    f"{place}: audio cannot be given as a URL (OpenRouter refuses them); attach a local file instead"
                )
            if self.anthropic and kind == "video":
                raise ValidationFailure(f"{place}: video_url parts are not supported with API_FORMAT=anthropic")
            return _part_of(kind, source, unquote(path.rsplit("/", 1)[-1]) or None)
        loaded = await self._load(source, place, None)
        kind = loaded.media.kind if loaded.media else "document"
        self._anthropic_check(loaded, kind, place)
        if kind == "audio":
            prefix = loaded.value.index(",") + 1
            fmt = loaded.media.audio_format if loaded.media else None
            return _audio_part(loaded.value[prefix:], fmt, place)
        name = loaded.name or (f"attachment.{loaded.media.extension}" if loaded.media else None)
        return _part_of(kind, loaded.value, name)

    # --- sources ---------------------------------------------------------------------------------

    async def _load(self, source: str, place: str, expect: Kind | None, *, raw_base64: bool = False) -> _Loaded:
        """Check or read one source. `expect` None: any kind (attachments), told from the content."""
        if _is_url(source):
            return _Loaded(source)
        if source[:5].lower() == "data:":
            return await self._data_uri(source, place, expect, raw_base64)
        path = _local(source, place)
        if path is None:
            hint = "base64 data, a data:audio/... URI, a file:// URL or an absolute path" if expect == "audio" else ""
            raise ValidationFailure(f"{place}: expected {hint or SOURCE_HINT}")
        shown = source if len(source) <= _SHOWN_CHARS else source[:_SHOWN_CHARS] + "…"
        return await self._file(shown, path, place, expect, raw_base64)

    async def _data_uri(self, source: str, place: str, expect: Kind | None, raw_base64: bool) -> _Loaded:
        try:
            uri = media.parse_data_uri(source)
        except ValueError as exc:
            raise ValidationFailure(f"{place}: {exc}") from None
        kind = media.kind_of_mime(uri.mime)
        if expect is not None and kind != expect:
            raise ValidationFailure(
                f"{place}: the data: URI is {uri.mime}, not {_KIND_NAMES[expect]}"
                + (f" (send it in a part of type {_PART_FOR_KIND[kind]})" if expect == "document" else "")
            )
        self._take(uri.decoded_size, place)
        await self._check_base64(uri.payload, place)
        sniffed = media.sniff(media.decode_head(uri.payload))
        if sniffed is not None and sniffed.kind != kind:
            raise ValidationFailure(
                f"{place}: the data: URI says {uri.mime} but its content is {sniffed.mime} "
                f"({_KIND_NAMES[sniffed.kind]})"
            )
        audio_format = media.audio_format_of(uri.mime) or (sniffed.audio_format if sniffed else None)
        found = Media(uri.mime, kind, audio_format)
        value = uri.payload if raw_base64 else source
        if raw_base64 or uri.header_is_json_safe:
            self.vouched.append(value)
        return _Loaded(value, found)

    async def _file(self, given: str, path: str, place: str, expect: Kind | None, raw_base64: bool) -> _Loaded:
        limit = min(self.file_limit, self.request_limit - self.used)
        try:
            local: LocalFile = await anyio.to_thread.run_sync(
                _read_and_type, given, path, self.settings.file_roots, limit, expect in (None, "document")
            )
        except FileTooLarge as exc:
            raise self._too_large(exc.size, place) from None
        except FileRefused as exc:
            raise ValidationFailure(f"{place}: {exc}") from None
        found = local.media
        if found is None:
            raise ValidationFailure(
                f"{place}: {given}: its content is not a type this server sends ({media.KNOWN_TYPES}); "
                "the type is told from the content, not the name"
            )
        if expect is not None and found.kind != expect:
            raise ValidationFailure(
                f"{place}: {given}: its content is {found.mime} ({_KIND_NAMES[found.kind]}), not "
                f"{_KIND_NAMES[expect]}; the type is told from the content, not the name"
                + (f" (send it in a part of type {_PART_FOR_KIND[found.kind]})" if expect == "document" else "")
            )
        self._take(local.size, place)
        # The encoder takes the bytes out of `local`, so they are freed as soon as they are encoded.
        value = await anyio.to_thread.run_sync(_encode, found.mime, local, raw_base64)
        self.vouched.append(value)
        return _Loaded(value, found, local.name)

    # --- limits ----------------------------------------------------------------------------------

    def _too_large(self, size: int, place: str) -> ValidationFailure:
        if size > self.file_limit:
            return ValidationFailure(
                f"{place}: {_mb(size)} is over the {_mb(self.file_limit)} per-file limit (OPENROUTER_MAX_FILE_MB)"
            )
        return ValidationFailure(
            f"{place}: with it the call's files come to {_mb(self.used + size)}, over the {_mb(self.request_limit)} "
            "per-call limit (OPENROUTER_MAX_REQUEST_MB)"
        )

    def _take(self, size: int, place: str) -> None:
        if size > self.file_limit or self.used + size > self.request_limit:
            raise self._too_large(size, place)
        self.used += size

    async def _check_base64(self, payload: str, place: str) -> None:
        if len(payload) <= _INLINE_CHECK_CHARS:
            valid = media.check_base64(payload)
        else:
            valid = await anyio.to_thread.run_sync(media.check_base64, payload)
        if not valid:
            raise ValidationFailure(f"{place}: the data is not valid base64")


def _is_url(source: str) -> bool:
    lowered = source[:8].lower()
    return lowered.startswith(("http://", "https://"))


def _local(source: str, place: str) -> str | None:
    try:
        return local_path(source)
    except FileRefused as exc:
        raise ValidationFailure(f"{place}: {exc}") from None


def _read_and_type(given: str, path: str, roots: list[str] | None, limit: int, text_allowed: bool) -> LocalFile:
    """Read through the sandbox and tell the type from the content (in a worker thread)."""
    local = read_inside(given, path, roots, limit)
    assert local.data is not None
    local.media = media.sniff(bytes(local.data[: media.HEAD_BYTES]))
    if local.media is None and text_allowed and media.is_text(local.data):
        local.media = media.TEXT
    return local


# Base64 is encoded (and checked) in slices, with the GIL handed over between them: each C call is
# short, so the event loop thread keeps serving other calls instead of waiting for a whole file.
_ENCODE_SLICE = 3 * 256 * 1024


def _encode(mime: str, local: LocalFile, raw_base64: bool) -> str:
    data, local.data = local.data, None
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


def _audio_part(data: str, fmt: str | None, place: str) -> AudioPart:
    if fmt is None:
        raise ValidationFailure(f"{place}.format: required (wav, mp3, flac, ogg, m4a, aac, ...)")
    return AudioPart(type="input_audio", input_audio=InputAudio(data=data, format=fmt))


def _part_of(kind: Kind, value: str, name: str | None) -> ContentPart:
    if kind == "image":
        return ImagePart(type="image_url", image_url=ImageUrl(url=value))
    if kind == "video":
        return VideoPart(type="video_url", video_url=VideoUrl(url=value))
    return FilePart(type="file", file=FileData(filename=name, file_data=value))


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size % MIB else f"{size // MIB} MB"
