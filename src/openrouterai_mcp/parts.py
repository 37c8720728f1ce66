"""Content parts of chat messages, in OpenRouter's (= OpenAI's) shapes, and the schema `tools/list` shows.

Union tags are written `<...>` so error locations can leave them out (`messages[0].content[2]: ...`).
The models are plain to walk: `Message.content` is a `str` or a list of these part models, and each
part's data sits in one field (`image_url.url`, `file.file_data`, `input_audio.data`, `video_url.url`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from .jsonshape import as_dict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_PARTS = 64
SOURCE_HINT = "an http(s) URL, a data: URI, a file:// URL or an absolute path (read inside OPENROUTER_FILE_ROOTS)"
AUDIO_DATA_HINT = "Base64 audio, a data:audio/... URI, or a file:// URL / absolute path (never an http URL)."
AUDIO_FORMAT_HINT = "wav, mp3, flac, ogg, m4a, aac, ...; detected for files and data: URIs."


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ImageUrl(_Strict):
    url: Annotated[str, Field(min_length=1)] = Field(description=f"The image: {SOURCE_HINT}.")
    detail: Literal["auto", "low", "high", "original"] | None = None


class ImagePart(_Strict):
    type: Literal["image_url"]
    image_url: ImageUrl


class FileData(_Strict):
    filename: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    file_data: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, description=f"The document (e.g. a PDF): {SOURCE_HINT}."
    )
    file_id: Annotated[str, Field(min_length=1, max_length=512)] | None = None

    @model_validator(mode="after")
    def _has_data(self) -> FileData:
        if self.file_data is None and self.file_id is None:
            raise ValueError("file_data (or file_id) is required")
        return self


class FilePart(_Strict):
    type: Literal["file"]
    file: FileData


class InputAudio(_Strict):
    data: Annotated[str, Field(min_length=1)] = Field(description=AUDIO_DATA_HINT)
    format: Annotated[str, Field(min_length=1, max_length=16)] | None = Field(
        default=None, description=AUDIO_FORMAT_HINT
    )


class AudioPart(_Strict):
    type: Literal["input_audio"]
    input_audio: InputAudio


class VideoUrl(_Strict):
    url: Annotated[str, Field(min_length=1)] = Field(description=f"The video: {SOURCE_HINT}.")


class VideoPart(_Strict):
    type: Literal["video_url"]
    video_url: VideoUrl


PART_TYPES = ("text", "image_url", "file", "input_audio", "video_url")


def _part_tag(value: Any) -> str | None:
    kind = as_dict(value).get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return f"<{kind}>" if kind in PART_TYPES else None


ContentPart = Annotated[
    Annotated[TextPart, Tag("<text>")]
    | Annotated[ImagePart, Tag("<image_url>")]
    | Annotated[FilePart, Tag("<file>")]
    | Annotated[AudioPart, Tag("<input_audio>")]
    | Annotated[VideoPart, Tag("<video_url>")],
    Discriminator(
        _part_tag,
        custom_error_type="unknown_part",
        custom_error_message="unknown content part type; expected one of text, image_url, file, input_audio, video_url",
    ),
]
ContentParts = Annotated[list[ContentPart], Field(min_length=1, max_length=MAX_PARTS)]


def _content_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<string>"
    return "<parts>" if isinstance(value, list) else None


MessageContent = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[ContentParts, Tag("<parts>")],
    Discriminator(
        _content_tag,
        custom_error_type="content_type",
        custom_error_message="expected a string or an array of content parts",
    ),
]
