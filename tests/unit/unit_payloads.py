"""Small hand-made upstream payloads in the real OpenRouter (2026), OpenAI and Anthropic shapes.

Every function returns a fresh object, so a test may change what it gets.
"""

from __future__ import annotations

from typing import Any

BASE_URL = "http://upstream.test/api/v1"
SECRET = "sk-or-v1-unit-test-secret-0123456789"


def _model(
    model_id: str,
    name: str,
    description: str,
    *,
    context_length: int | None,
    prompt: str,
    completion: str,
    input_modalities: list[str],
    supported_parameters: list[str],
    tokenizer: str = "Other",
    created: int = 1_780_000_000,
    extra_pricing: dict[str, str] | None = None,
    per_request_limits: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": model_id,
        "canonical_slug": f"{model_id}-20260701",
        "hugging_face_id": None,
        "name": name,
        "created": created,
        "description": description,
        "context_length": context_length,
        "architecture": {
            "modality": "+".join(input_modalities) + "->text",
            "input_modalities": input_modalities,
            "output_modalities": ["text"],
            "tokenizer": tokenizer,
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion, **(extra_pricing or {})},
        "top_provider": {"context_length": context_length, "max_completion_tokens": 65536, "is_moderated": False},
        "per_request_limits": per_request_limits,
        "supported_parameters": supported_parameters,
        "default_parameters": {},
        "supported_voices": None,
        "knowledge_cutoff": None,
        "expiration_date": None,
        "links": {"details": f"/api/v1/models/{model_id}-20260701/endpoints"},
    }


# Public name for test modules that build their own catalog entries.
model_entry = _model


def catalog_models() -> list[dict[str, Any]]:
    """Five models: a vision+tools+json model, a premium one, a free one, a cheap text one, a router."""
    return [
        _model(
            "qwen/qwen3.8-27b",
            "Qwen: Qwen3.8 27B",
            "Qwen3.8 27B is an open-weight dense vision-language model for coding and agents.",
            context_length=262144,
            prompt="0.00000045",
            completion="0.0000032",
            input_modalities=["text", "image", "video"],
            supported_parameters=["max_tokens", "response_format", "temperature", "tool_choice", "tools", "top_p"],
            tokenizer="Qwen",
            extra_pricing={"input_cache_read": "0.00000005"},
        ),
        _model(
            "anthropic/claude-sonnet-4.5",
            "Anthropic: Claude Sonnet 4.5",
            "Anthropic's most capable Sonnet for real-world agents and long coding sessions.",
            context_length=1000000,
            prompt="0.000003",
            completion="0.000015",
            input_modalities=["text", "image", "file"],
            supported_parameters=["max_tokens", "reasoning", "stop", "structured_outputs", "tool_choice", "tools"],
            tokenizer="Claude",
            per_request_limits={"prompt_tokens": "1000000", "completion_tokens": "64000"},
        ),
        _model(
            "meta-llama/llama-3.3-8b-instruct:free",
            "Meta: Llama 3.3 8B Instruct (free)",
            "A lightweight, ultra-fast variant of Llama 3.3 70B.",
            context_length=128000,
            prompt="0",
            completion="0",
            input_modalities=["text"],
            supported_parameters=["max_tokens", "temperature", "top_p", "stop"],
            tokenizer="Llama3",
        ),
        _model(
            "mistralai/mistral-small-3.2",
            "Mistral: Mistral Small 3.2",
            "A compact model tuned for instruction following and FUNCTION calling.",
            context_length=32768,
            prompt="0.0000001",
            completion="0.0000003",
            input_modalities=["text"],
            supported_parameters=["max_tokens", "temperature", "tool_choice", "tools"],
            tokenizer="Mistral",
        ),
        _model(
            "openrouter/auto",
            "Auto Router",
            "Your prompt will be processed by a meta-model and routed to one of dozens of models.",
            context_length=2000000,
            prompt="-1",
            completion="-1",
            input_modalities=["text", "image", "audio", "file", "video"],
            supported_parameters=["max_tokens", "response_format", "structured_outputs", "temperature", "tools"],
            tokenizer="Router",
            created=1_699_401_600,
        ),
    ]


def catalog_payload() -> dict[str, Any]:
    """The 2026 `GET /models` shape: `{data, total_count, links}`."""
    models = catalog_models()
    return {"data": models, "total_count": len(models), "links": {"next": None}}


def old_catalog_payload() -> dict[str, Any]:
    """The 2025 shape: `{data}` only, every pricing key present (zeros as "0"), no `links`."""
    models = catalog_models()
    for model in models:
        model.pop("links")
        for key in ("request", "image", "web_search", "internal_reasoning"):
            model["pricing"].setdefault(key, "0")
    return {"data": models}


def openai_model_list() -> dict[str, Any]:
    """A bare OpenAI-compatible `/v1/models` list."""
    return {
        "object": "list",
        "data": [
            {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
            {"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "openai-internal"},
        ],
    }


def anthropic_model_list() -> dict[str, Any]:
    """Anthropic's `/v1/models` list."""
    return {
        "data": [
            {
                "type": "model",
                "id": "claude-sonnet-4-5-20250929",
                "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z",
            }
        ],
        "has_more": False,
        "first_id": "claude-sonnet-4-5-20250929",
        "last_id": "claude-sonnet-4-5-20250929",
    }


def chat_completion(content: str = "ok", **overrides: Any) -> dict[str, Any]:
    """A non-streamed OpenRouter chat completion (the model that answered differs from the one asked)."""
    body: dict[str, Any] = {
        "id": "gen-1778777138-y0iwbTSBFZ0eELM0EhLt",
        "provider": "Google",
        "model": "anthropic/claude-4.5-sonnet-20250929",
        "object": "chat.completion",
        "created": 1778777138,
        "choices": [
            {
                "logprobs": None,
                "finish_reason": "stop",
                "native_finish_reason": "end_turn",
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": None,
                    "reasoning": "The user wants one word.",
                    "reasoning_details": [
                        {"type": "reasoning.text", "text": "The user wants one word.", "signature": "EuQCCkgIDRAB"}
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": 14,
            "completion_tokens": 5,
            "total_tokens": 19,
            "cost": 0.000117,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
    body.update(overrides)
    return body


def anthropic_message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 6},
    }
    body.update(overrides)
    return body


def sse(*events: str) -> str:
    """An SSE body from pre-formatted lines (`data: ...`, `: comment`), each event followed by a blank line."""
    return "".join(f"{event}\n\n" for event in events)


OPENAI_STREAM = sse(
    ": OPENROUTER PROCESSING",
    'data: {"id":"gen-1765226419-AGrw","provider":"Google","model":"anthropic/claude-sonnet-4.5",'
    '"object":"chat.completion.chunk","created":1765226419,"choices":[{"index":0,"delta":{"role":"assistant",'
    '"content":"","reasoning":null},"finish_reason":null,"native_finish_reason":null}]}',
    ": OPENROUTER PROCESSING",
    'data: {"id":"gen-1765226419-AGrw","provider":"Google","model":"anthropic/claude-sonnet-4.5",'
    '"object":"chat.completion.chunk","created":1765226419,"choices":[{"index":0,"delta":{"role":"assistant",'
    '"content":"Hel"},"finish_reason":null,"native_finish_reason":null}]}',
    'data: {"id":"gen-1765226419-AGrw","provider":"Google","model":"anthropic/claude-sonnet-4.5",'
    '"object":"chat.completion.chunk","created":1765226419,"choices":[{"index":0,"delta":{"role":"assistant",'
    '"content":"lo"},"finish_reason":"stop","native_finish_reason":"end_turn"}]}',
    'data: {"id":"gen-1765226419-AGrw","provider":"Google","model":"anthropic/claude-sonnet-4.5",'
    '"object":"chat.completion.chunk","created":1765226419,"choices":[{"index":0,"delta":{"role":"assistant",'
    '"content":""},"finish_reason":null,"native_finish_reason":null}],'
    '"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"cost":0.000057}}',
    "data: [DONE]",
)

ANTHROPIC_STREAM = sse(
    "event: message_start\n"
    'data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",'
    '"type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929",'
    '"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    '"content_block":{"type":"text","text":""}}',
    'event: ping\ndata: {"type": "ping"}',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    '"delta":{"type":"text_delta","text":"Hello"}}',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    '"delta":{"type":"text_delta","text":"!"}}',
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
    '"stop_sequence":null},"usage":{"output_tokens":15}}',
    'event: message_stop\ndata: {"type":"message_stop"}',
)


def key_info() -> dict[str, Any]:
    return {
        "data": {
            "label": "sk-or-v1-abc...xyz",
            "limit": 20,
            "limit_remaining": 17.5,
            "limit_reset": "monthly",
            "usage": 2.5,
            "usage_daily": 0.5,
            "usage_weekly": 1.0,
            "usage_monthly": 2.5,
            "is_free_tier": False,
            "include_byok_in_limit": False,
        }
    }
