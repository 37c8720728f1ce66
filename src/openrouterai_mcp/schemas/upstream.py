"""Upstream payloads parsed at the client boundary. They keep unknown fields, because the API grows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


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
