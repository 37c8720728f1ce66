"""The arguments of chat_completion (and compare_models, which takes the same call): messages, sampling,
provider routing, response format, reasoning, attachments and output modalities.

`provider` is the one argument model that keeps unknown fields: it passes further OpenRouter routing fields on.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PrivateAttr, field_validator

from ..jsonshape import as_dict, as_list
from ..parts import MessageContent
from .base import ConversationId, NonEmptyStr, StrictModel

ProviderName = Annotated[str, Field(min_length=1, max_length=256)]
MAX_EXTRA_DEPTH = 4


class Message(StrictModel):
    role: Literal["system", "user", "assistant"] = Field(description="Who wrote the message.")
    content: MessageContent = Field(
        description="The message text, or an array of 1..64 parts: text, image_url, file, input_audio, video_url."
    )


PROVIDER_SORTS = ("price", "throughput", "latency")


class ProviderSortBy(StrictModel):
    by: Literal["price", "throughput", "latency"]
    partition: Literal["model", "none"] | None = None


class MaxPrice(StrictModel):
    prompt: float | str | None = Field(default=None, description="USD per million prompt tokens")
    completion: float | str | None = Field(default=None, description="USD per million completion tokens")
    image: float | str | None = None
    audio: float | str | None = None
    request: float | str | None = None


class ProviderPreferences(BaseModel):
    """OpenRouter provider routing. Fields not listed here are passed on unchanged."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    quantizations: list[NonEmptyStr] | None = Field(
        default=None, description='Only providers serving these quantizations, e.g. ["fp16", "int8"].'
    )
    ignore: list[ProviderName] | None = Field(default=None, description="Provider names never to use.")
    sort: Literal["price", "throughput", "latency"] | ProviderSortBy | None = Field(
        default=None, description='Sort providers by "price", "throughput" or "latency".'
    )
    order: list[ProviderName] | None = Field(default=None, description="Providers to try first, in order.")
    require_parameters: bool | None = Field(
        default=None, description="Only providers that support every parameter of the request."
    )
    data_collection: Literal["allow", "deny"] | None = Field(
        default=None, description='"deny" skips providers that may store or train on prompts.'
    )
    allow_fallbacks: bool | None = Field(
        default=None, description="false: fail rather than use providers outside `order`."
    )
    zdr: bool | None = Field(default=None, description="Only zero-data-retention endpoints.")
    only: list[ProviderName] | None = Field(default=None, description="Only these providers.")
    max_price: MaxPrice | None = Field(default=None, description="Highest price to pay (USD per million tokens).")
    preferred_min_throughput: float | dict[str, float] | None = None
    preferred_max_latency: float | dict[str, float] | None = None

    @field_validator("sort", mode="before")
    @classmethod
    def _sort_word(cls, value: Any) -> Any:
        # Without this, a wrong word gets the union's error for each branch (literal and object) in turn.
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        if word not in PROVIDER_SORTS:
            raise ValueError(
                f'expected price, throughput or latency (or {{"by": …, "partition": "model" or "none"}}), not {value!r}'
            )
        return word

    def model_post_init(self, context: Any, /) -> None:
        extras = self.model_extra or {}
        for name, value in extras.items():
            if _depth(value) > MAX_EXTRA_DEPTH:
                raise ValueError(f"{name}: nested more than {MAX_EXTRA_DEPTH} levels deep")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_EXTRA_DEPTH + 1:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in as_dict(value).values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in as_list(value)), default=level + 1)
    return level


class JsonSchemaFormat(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    schema_: dict[str, JsonValue] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ResponseFormat(StrictModel):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class Reasoning(StrictModel):
    # Any value is passed on: the upstream knows which efforts each model takes (the catalog lists `max` for some)
    # and new ones appear; refusing one here would block a model we cannot know about.
    effort: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="e.g. max, xhigh, high, medium, low, minimal, none; the model's supported_efforts decide",
    )
    max_tokens: int | None = Field(default=None, ge=1)
    exclude: bool | None = None
    enabled: bool | None = None


class ChatArgs(StrictModel):
    model: NonEmptyStr | None = Field(
        default=None,
        description="Model id, e.g. openai/gpt-4o. Suffixes :nitro, :floor, :online, :free pass through. "
        "Defaults to the configured default model, else openrouter/auto.",
    )
    messages: list[Message] = Field(min_length=1, max_length=100, description="The conversation, oldest first.")
    temperature: float | None = Field(default=None, ge=0, le=2, description="Sampling temperature (default 1).")
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens to generate.")
    provider: ProviderPreferences | None = Field(
        default=None, description="Provider routing; each field overrides its OPENROUTER_PROVIDER_* default."
    )
    stream: bool | None = Field(default=None, description="Stream from the upstream; the answer is still one result.")
    top_p: float | None = Field(default=None, ge=0, le=1, description="Nucleus sampling.")
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    # OpenRouter's ChatRequest (like OpenAI's) accepts at most 4 stop sequences.
    stop: Annotated[str, Field(max_length=512)] | Annotated[list[str], Field(max_length=4)] | None = Field(
        default=None, description="Stop sequence(s), at most 4."
    )
    response_format: ResponseFormat | None = Field(
        default=None, description="text, json_object, or json_schema with {name, schema, strict}."
    )
    models: list[NonEmptyStr] | None = Field(
        default=None, min_length=1, max_length=32, description="OpenRouter fallback list, tried in order."
    )
    reasoning: Reasoning | None = Field(default=None, description="Reasoning effort/budget for thinking models.")
    seed: int | None = None
    top_k: int | None = Field(default=None, ge=0)
    repetition_penalty: float | None = Field(default=None, gt=0, le=2)
    conversation_id: ConversationId | None = Field(
        default=None,
        description="Continue this stored conversation (from an earlier result): its messages are sent first, "
        "then these. Any model may continue any conversation.",
    )
    attachments: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=16)] | None = (
        Field(
            default=None,
            description="Files or URLs added to the last user message: local paths (inside OPENROUTER_FILE_ROOTS), "
            "file://, http(s):// or data: URIs. Images, PDFs, audio, video.",
        )
    )
    modalities: Annotated[list[Literal["text", "image", "audio"]], Field(min_length=1, max_length=3)] | None = Field(
        default=None, description='Output modalities, e.g. ["image", "text"] for image-generation models.'
    )
    image_config: dict[str, JsonValue] | None = Field(
        default=None, description='Image generation options, e.g. {"aspect_ratio": "16:9"}.'
    )
    # Set once local files and data: URIs have been read and checked (content.resolve_content).
    _resolved: bool = PrivateAttr(default=False)
    # Large strings resolve_content checked or built (base64, data: URIs): JSON-safe without a rescan.
    _vouched: list[str] = PrivateAttr(default_factory=list)

    @property
    def vouched_strings(self) -> list[str]:
        return self._vouched

    @property
    def media_resolved(self) -> bool:
        """Whether content.resolve_content read or checked parts of this call (it then carries media)."""
        return self._resolved

    def has_media(self) -> bool:
        """Whether any content part or attachment needs resolving (text-only calls skip all of it)."""
        if self._resolved:
            return False
        return self.attachments is not None or any(not isinstance(m.content, str) for m in self.messages)

    @field_validator("attachments", mode="before")
    @classmethod
    def _one_attachment(cls, value: Any) -> Any:
        # "attachments": "/home/me/shot.png" is what an assistant writes for one file: take it as a list of one.
        return [value] if isinstance(value, str) else value
