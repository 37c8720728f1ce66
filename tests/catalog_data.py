"""A small hand-made model catalog in OpenRouter's real 2026 `/models` shape (a few models of each kind)."""

from __future__ import annotations

from typing import Any


def _model(
    model_id: str,
    name: str,
    *,
    prompt: str,
    completion: str,
    context: int,
    inputs: list[str],
    params: list[str],
    outputs: list[str] | None = None,
    description: str = "",
    created: int = 1_750_000_000,
) -> dict[str, Any]:
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "hugging_face_id": None,
        "name": name,
        "created": created,
        "description": description or f"{name} is a model for tests.",
        "context_length": context,
        "architecture": {
            "modality": "+".join(inputs) + "->" + "+".join(outputs or ["text"]),
            "input_modalities": inputs,
            "output_modalities": outputs or ["text"],
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion},
        "top_provider": {"context_length": context, "max_completion_tokens": 8192, "is_moderated": False},
        "per_request_limits": None,
        "supported_parameters": params,
        "default_parameters": {},
        "supported_voices": None,
        "knowledge_cutoff": None,
        "expiration_date": None,
        "links": {"details": f"/api/v1/models/{model_id}/endpoints"},
    }


# Public name for test modules that build their own catalog around the usual one.
model_entry = _model

TOOLS_PARAMS = ["max_tokens", "temperature", "tools", "tool_choice", "response_format", "structured_outputs"]
PLAIN_PARAMS = ["max_tokens", "temperature", "top_p", "stop"]


def catalog() -> dict[str, Any]:
    models = [
        _model(
            "openrouter/auto",
            "Auto Router",
            prompt="-1",
            completion="-1",
            context=2_000_000,
            inputs=["text", "image"],
            params=TOOLS_PARAMS,
            description="Your prompt will be processed by a meta-model and routed to one of dozens of models.",
        ),
        _model(
            "anthropic/claude-3.5-sonnet",
            "Anthropic: Claude 3.5 Sonnet",
            prompt="0.000003",
            completion="0.000015",
            context=200_000,
            inputs=["text", "image", "file"],
            params=TOOLS_PARAMS,
            description="Claude 3.5 Sonnet delivers better-than-Opus capabilities at Sonnet speeds.",
        ),
        _model(
            "openai/gpt-4o-mini",
            "OpenAI: GPT-4o-mini",
            prompt="0.00000015",
            completion="0.0000006",
            context=128_000,
            inputs=["text", "image"],
            params=TOOLS_PARAMS,
        ),
        _model(
            "meta-llama/llama-3.1-8b-instruct:free",
            "Meta: Llama 3.1 8B Instruct (free)",
            prompt="0",
            completion="0",
            context=131_072,
            inputs=["text"],
            params=PLAIN_PARAMS,
        ),
        _model(
            "google/gemini-2.5-flash",
            "Google: Gemini 2.5 Flash",
            prompt="0.0000003",
            completion="0.0000025",
            context=1_048_576,
            inputs=["text", "image", "audio", "video"],
            params=["max_tokens", "temperature", "tools", "response_format"],
        ),
        _model(
            "mistralai/mistral-7b-instruct",
            "Mistral: Mistral 7B Instruct",
            prompt="0.000000028",
            completion="0.000000054",
            context=32_768,
            inputs=["text"],
            params=PLAIN_PARAMS,
        ),
    ]
    return {"data": models, "total_count": len(models), "links": {"next": None}}
