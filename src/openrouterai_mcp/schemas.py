"""Pydantic types: tool arguments (whose JSON Schema is what `tools/list` shows) and upstream payloads.

Argument models forbid unknown fields, except `provider`, which passes further OpenRouter routing
fields on. Upstream payload models keep unknown fields, because the API grows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PrivateAttr, ValidationInfo, field_validator
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from .jsonshape import as_dict, as_list
from .parts import (
    MAX_PARTS,
    PART_TYPES,
    SOURCE_HINT,
    AudioPart,
    ContentPart,
    FileData,
    FilePart,
    ImagePart,
    ImageUrl,
    InputAudio,
    MessageContent,
    TextPart,
    VideoPart,
    VideoUrl,
)

NonEmptyStr = Annotated[str, Field(min_length=1, max_length=512)]
ConversationId = Annotated[str, Field(min_length=1, max_length=64)]
ProviderName = Annotated[str, Field(min_length=1, max_length=256)]
MAX_EXTRA_DEPTH = 4


__all__ = [
    "MAX_PARTS",
    "PART_TYPES",
    "SOURCE_HINT",
    "AudioPart",
    "ContentPart",
    "FileData",
    "FilePart",
    "ImagePart",
    "ImageUrl",
    "InputAudio",
    "MessageContent",
    "TextPart",
    "VideoPart",
    "VideoUrl",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Message(_Strict):
    role: Literal["system", "user", "assistant"] = Field(description="Who wrote the message.")
    content: MessageContent = Field(
        description="The message text, or an array of 1..64 parts: text, image_url, file, input_audio, video_url."
    )


PROVIDER_SORTS = ("price", "throughput", "latency")


class ProviderSortBy(_Strict):
    by: Literal["price", "throughput", "latency"]
    partition: Literal["model", "none"] | None = None


class MaxPrice(_Strict):
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


class JsonSchemaFormat(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    schema_: dict[str, JsonValue] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ResponseFormat(_Strict):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class Reasoning(_Strict):
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


class ChatArgs(_Strict):
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


class Capabilities(_Strict):
    functions: bool | None = None
    tools: bool | None = None
    vision: bool | None = None
    json_mode: bool | None = None
    audio_input: bool | None = None
    file_input: bool | None = None
    video_input: bool | None = None
    image_output: bool | None = None
    reasoning: bool | None = None


class SearchArgs(_Strict):
    query: Annotated[str, Field(max_length=512)] | None = Field(
        default=None,
        description="Case-insensitive text in the model's id, name or description; several words must all "
        "appear (-_/.: count as spaces), e.g. 'gpt 4o mini'.",
    )
    provider: Annotated[str, Field(max_length=256)] | None = Field(
        default=None, description="The id's part before '/', e.g. anthropic."
    )
    minContextLength: int | None = Field(default=None, ge=0, description="Smallest context window, in tokens.")
    maxContextLength: int | None = Field(default=None, ge=0, description="Largest context window, in tokens.")
    maxPromptPrice: float | None = Field(default=None, ge=0, description="USD per 1K prompt tokens; 0 = free only.")
    maxCompletionPrice: float | None = Field(default=None, ge=0, description="USD per 1K completion tokens.")
    capabilities: Capabilities | None = Field(default=None, description="Each true capability is required.")
    supported_parameters: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None,
        max_length=32,
        description='Parameters the model must all support, e.g. ["tools", "response_format"].',
    )
    sort: Literal["price", "context", "newest"] | None = Field(
        default=None,
        description="price: cheapest first (variable prices last); context: largest first; newest: most recent "
        "first. Without it, a query ranks exact id matches first, then id, name, description matches.",
    )
    limit: int = Field(default=10, ge=1, le=50, description="Most results to return.")

    @field_validator("maxContextLength", mode="after")
    @classmethod
    def _bounds_agree(cls, value: int | None, info: ValidationInfo) -> int | None:
        # A floor above the ceiling matches no model: say so instead of an empty list.
        floor = info.data.get("minContextLength")
        if value is not None and floor is not None and floor > value:
            raise ValueError(f"{value} is below minContextLength {floor}, so no model can match")
        return value


class ModelArgs(_Strict):
    model: NonEmptyStr = Field(description="Model id, e.g. anthropic/claude-3.5-sonnet.")


class NoArgs(_Strict):
    pass


class ListConversationsArgs(_Strict):
    query: Annotated[str, Field(max_length=512)] | None = Field(
        default=None, description="Case-insensitive text in the title or any message."
    )
    limit: int = Field(default=10, ge=1, le=50, description="Most conversations to return.")


class GetConversationArgs(_Strict):
    conversation_id: ConversationId = Field(description="The conversation, as chat_completion returned it.")
    offset: int = Field(default=0, ge=0, description="First message to return (0-based; a system message counts).")
    limit: int | None = Field(default=None, ge=1, le=1000, description="Most messages to return (default 50).")
    char_offset: int | None = Field(
        default=None,
        ge=0,
        description="With limit 1: return the message at `offset` from this character on (to read a long answer "
        "page by page).",
    )


class ConversationArgs(_Strict):
    conversation_id: ConversationId = Field(description="The conversation, as chat_completion returned it.")


class UsageArgs(_Strict):
    period: Literal["today", "7d", "30d", "month", "all"] = Field(
        default="today", description="today (UTC day), 7d, 30d, month (UTC calendar month) or all."
    )
    group_by: Literal["model", "day", "provider"] = Field(default="model", description="Breakdown by.")


# --- upstream payloads -------------------------------------------------------------------------


class CatalogModel(BaseModel):
    """One entry of a `/models` list: OpenRouter's rich shape, or a bare OpenAI/Anthropic one."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    id: str
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    created: int | float | None = None
    created_at: str | None = None
    owned_by: str | None = None
    context_length: int | None = None
    pricing: dict[str, Any] | None = None
    architecture: dict[str, Any] | None = None
    top_provider: dict[str, Any] | None = None
    supported_parameters: list[str] | None = None
    per_request_limits: dict[str, Any] | None = None


# --- JSON Schema as tools/list shows it ----------------------------------------------------------


class _PlainJsonSchema(GenerateJsonSchema):
    """Optional fields are shown as their type (not `anyOf [T, null]`), without titles or null defaults."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> dict[str, Any]:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            generated.pop("default")
        return generated


def tool_input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """An inline JSON Schema (no `$ref`, no titles) for a tool's arguments."""
    schema = model.model_json_schema(by_alias=True, schema_generator=_PlainJsonSchema)
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            mapping = as_dict(node)
            ref = mapping.get("$ref")
            if isinstance(ref, str):
                return inline(definitions[ref.rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in mapping.items() if key != "title"}
        if isinstance(node, list):
            return [inline(item) for item in as_list(node)]
        return node

    result: dict[str, Any] = inline(schema)
    return result
