"""Content parts and attachments -> the parts sent upstream (OpenRouter's shapes).

`resolve_content(args, settings)` is the one entry point, called by the chat path before the body is
built: each part's source is checked or read by `sources.py` (http(s) URLs pass unchanged and are never
fetched, `data:` URIs are checked, local files are read through the sandbox and sent as base64), the
API_FORMAT=anthropic limits are applied, and `attachments` become parts of the last user message.
Text-only calls return at once, untouched.
Every refusal is a `ValidationFailure` naming the place (`messages[0].content[2].image_url.url: ...`)
and nothing is sent. Blocking work (reading, base64) runs in worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from . import media
from .errors import ValidationFailure
from .media import MIB, Kind
from .parts import (
    MAX_PARTS,
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
from .sources import PART_FOR_KIND, Loaded, SourceLoader, is_url, local

ANTHROPIC_IMAGE_LIMIT = 5 * MIB
ANTHROPIC_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
ANTHROPIC_DOCUMENT_TYPES = frozenset({"application/pdf", "text/plain"})


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
class _Resolver:
    settings: Settings
    sources: SourceLoader = field(init=False)

    def __post_init__(self) -> None:
        self.sources = SourceLoader(self.settings)

    @property
    def vouched(self) -> list[str]:
        return self.sources.vouched

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

    def _anthropic_check(self, loaded: Loaded, kind: Kind, place: str) -> None:
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
            raise ValidationFailure(f"{place}: {PART_FOR_KIND[kind]} parts are not supported with API_FORMAT=anthropic")

    # --- parts -----------------------------------------------------------------------------------

    async def part(self, part: ContentPart, place: str) -> ContentPart:
        if isinstance(part, TextPart):
            return part
        if isinstance(part, ImagePart):
            where = f"{place}.image_url.url"
            loaded = await self.sources.load(part.image_url.url, where, "image")
            self._anthropic_check(loaded, "image", where)
            return ImagePart(type="image_url", image_url=ImageUrl(url=loaded.value, detail=part.image_url.detail))
        if isinstance(part, VideoPart):
            loaded = await self.sources.load(part.video_url.url, f"{place}.video_url.url", "video")
            return VideoPart(type="video_url", video_url=VideoUrl(url=loaded.value))
        if isinstance(part, AudioPart):
            return await self._audio(part.input_audio, f"{place}.input_audio")
        if part.file.file_data is None:
            return part
        where = f"{place}.file.file_data"
        loaded = await self.sources.load(part.file.file_data, where, "document")
        self._anthropic_check(loaded, "document", where)
        return FilePart(
            type="file",
            file=FileData(
                filename=part.file.filename or loaded.name, file_data=loaded.value, file_id=part.file.file_id
            ),
        )

    async def _audio(self, audio: InputAudio, place: str) -> AudioPart:
        source = audio.data
        if is_url(source):
            raise ValidationFailure(
                f"{place}.data: audio cannot be given as a URL (OpenRouter refuses them); use a local file "
                "inside OPENROUTER_FILE_ROOTS, a data:audio/... URI or base64 data"
            )
        if source[:5].lower() == "data:" or local(source, f"{place}.data") is not None:
            loaded = await self.sources.load(source, f"{place}.data", "audio", raw_base64=True)
            detected = loaded.media.audio_format if loaded.media else None
            return _audio_part(loaded.value, detected or audio.format, place)
        # Plain base64, as OpenRouter takes it.
        size = media.decoded_size(source)
        self.sources.take(size, f"{place}.data")
        await self.sources.check_base64(source, f"{place}.data")
        self.sources.vouched.append(source)
        if audio.format is None:
            sniffed = media.sniff(media.decode_head(source))
            if sniffed is None or sniffed.audio_format is None:
                raise ValidationFailure(f"{place}.format: required (wav, mp3, flac, ogg, m4a, aac, ...)")
            return _audio_part(source, sniffed.audio_format, place)
        return AudioPart(type="input_audio", input_audio=InputAudio(data=source, format=audio.format))

    async def attachment(self, source: str, place: str) -> ContentPart:
        if is_url(source):
            path = urlsplit(source).path
            kind = media.kind_of_url_path(path) or "document"
            if kind == "audio":
                raise ValidationFailure(
                    f"{place}: audio cannot be given as a URL (OpenRouter refuses them); attach a local file instead"
                )
            if self.anthropic and kind == "video":
                raise ValidationFailure(f"{place}: video_url parts are not supported with API_FORMAT=anthropic")
            return _part_of(kind, source, unquote(path.rsplit("/", 1)[-1]) or None)
        loaded = await self.sources.load(source, place, None)
        kind = loaded.media.kind if loaded.media else "document"
        self._anthropic_check(loaded, kind, place)
        if kind == "audio":
            prefix = loaded.value.index(",") + 1
            fmt = loaded.media.audio_format if loaded.media else None
            return _audio_part(loaded.value[prefix:], fmt, place)
        name = loaded.name or (f"attachment.{loaded.media.extension}" if loaded.media else None)
        return _part_of(kind, loaded.value, name)


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
