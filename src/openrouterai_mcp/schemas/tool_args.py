"""The arguments of the catalog, key, conversation and usage tools."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from .base import ConversationId, NonEmptyStr, StrictModel


class Capabilities(StrictModel):
    functions: bool | None = None
    tools: bool | None = None
    vision: bool | None = None
    json_mode: bool | None = None
    audio_input: bool | None = None
    file_input: bool | None = None
    video_input: bool | None = None
    image_output: bool | None = None
    reasoning: bool | None = None


class SearchArgs(StrictModel):
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


class ModelArgs(StrictModel):
    model: NonEmptyStr = Field(description="Model id, e.g. anthropic/claude-3.5-sonnet.")


class NoArgs(StrictModel):
    pass


class ListConversationsArgs(StrictModel):
    query: Annotated[str, Field(max_length=512)] | None = Field(
        default=None, description="Case-insensitive text in the title or any message."
    )
    limit: int = Field(default=10, ge=1, le=50, description="Most conversations to return.")


class GetConversationArgs(StrictModel):
    conversation_id: ConversationId = Field(description="The conversation, as chat_completion returned it.")
    offset: int = Field(default=0, ge=0, description="First message to return (0-based; a system message counts).")
    limit: int | None = Field(default=None, ge=1, le=1000, description="Most messages to return (default 50).")
    char_offset: int | None = Field(
        default=None,
        ge=0,
        description="With limit 1: return the message at `offset` from this character on (to read a long answer "
        "page by page).",
    )


class ConversationArgs(StrictModel):
    conversation_id: ConversationId = Field(description="The conversation, as chat_completion returned it.")


class UsageArgs(StrictModel):
    period: Literal["today", "7d", "30d", "month", "all"] = Field(
        default="today", description="today (UTC day), 7d, 30d, month (UTC calendar month) or all."
    )
    group_by: Literal["model", "day", "provider"] = Field(default="model", description="Breakdown by.")
