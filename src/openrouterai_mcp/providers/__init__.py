"""Wire formats: OpenAI Chat Completions (OpenRouter and compatibles) and Anthropic Messages."""

from __future__ import annotations

from ..settings import Settings
from . import anthropic, openai


def models_path(settings: Settings) -> str:
    """Where the configured API lists its models, relative to the base URL."""
    if settings.api_format == "anthropic":
        return anthropic.api_path(settings.resolved_base_url, "models") + "?limit=1000"
    return openai.MODELS_PATH
