"""The `outputSchema` of each tool: what its `structuredContent` (the JSON of its text block) looks like.

Each schema declares the core a client can rely on and leaves the rest open
(`additionalProperties` is allowed everywhere): upstream answers grow new fields, and features add
their own (`conversation_id`, `stored`, `truncated`, image descriptors, ...). A tool that declares
nothing gets `DEFAULT_OUTPUT_SCHEMA`, which accepts any object, so a new tool needs no schema to work.
Clients validate `structuredContent` against these (the SDK's client does), so they must never be
stricter than what the tools really return; `tests/unit/test_structured.py` checks every success shape.
"""

from __future__ import annotations

from typing import Any

JsonSchema = dict[str, Any]

DEFAULT_OUTPUT_SCHEMA: JsonSchema = {"type": "object"}

STRING_OR_NULL: JsonSchema = {"type": ["string", "null"]}
_INTEGER_OR_NULL: JsonSchema = {"type": ["integer", "null"]}
_NUMBER_OR_NULL: JsonSchema = {"type": ["number", "null"]}
_OBJECT_OR_NULL: JsonSchema = {"type": ["object", "null"]}


def open_object(properties: JsonSchema, required: list[str], description: str) -> JsonSchema:
    """An object schema with these properties that leaves room for more (see the module docstring)."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": True,
    }


CHAT_COMPLETION: JsonSchema = open_object(
    {
        "id": {**STRING_OR_NULL, "description": "The upstream's generation id."},
        "object": {"type": "string", "description": '"chat.completion"'},
        "created": {"type": "number", "description": "Unix time of the answer."},
        "model": {**STRING_OR_NULL, "description": "The model that actually answered."},
        "provider": {**STRING_OR_NULL, "description": "The provider that served it (OpenRouter)."},
        "choices": {
            "type": "array",
            "items": open_object(
                {
                    "index": {"type": "integer"},
                    "finish_reason": STRING_OR_NULL,
                    "message": open_object(
                        {"role": {"type": "string"}},
                        ["role"],
                        "The answer: content, tool_calls, and reasoning or images when the model gives them.",
                    ),
                },
                ["finish_reason", "message"],
                "One answer.",
            ),
        },
        "usage": {**_OBJECT_OR_NULL, "description": "Tokens, and cost in USD on OpenRouter."},
        "trimmed": {"type": "object", "description": "Present when old messages were dropped to fit the context."},
        "conversation_id": {
            **STRING_OR_NULL,
            "description": "Pass it back to continue this conversation; null when nothing was stored.",
        },
        "stored": {"type": "boolean", "description": "Whether the call was recorded (ledger and conversation)."},
        "truncated": {"type": "object", "description": "Present when the answer was cut to the result cap."},
    },
    ["id", "object", "created", "model", "choices"],
    "A chat.completion, whichever API answered.",
)

_MODEL_SUMMARY: JsonSchema = open_object(
    {
        "id": {"type": "string"},
        "name": STRING_OR_NULL,
        "description": STRING_OR_NULL,
        "context_length": _INTEGER_OR_NULL,
        "pricing": {"type": "object", "description": 'USD per 1K tokens as "$X/1K tokens", or "variable".'},
        "capabilities": {"type": "object", "description": "Each capability true, false or null (unknown)."},
    },
    ["id"],
    "A model summary.",
)

SEARCH_MODELS: JsonSchema = open_object(
    {
        "id": {"type": "string"},
        "object": {"type": "string", "description": '"list"'},
        "created": {"type": "integer"},
        "data": {"type": "array", "items": _MODEL_SUMMARY},
        "metadata": open_object(
            {
                "total_models": {"type": "integer"},
                "filtered_count": {"type": "integer"},
                "applied_filters": {"type": "object"},
            },
            ["total_models", "filtered_count"],
            "How many models the catalog has and how many matched.",
        ),
    },
    ["object", "data", "metadata"],
    "The models that match, best first.",
)

MODEL_INFO: JsonSchema = open_object(
    {
        "id": {"type": "string"},
        "object": {"type": "string", "description": '"model"'},
        "created": _INTEGER_OR_NULL,
        "owned_by": STRING_OR_NULL,
        "permission": {"type": "array"},
        "root": {"type": "string"},
        "parent": {"type": "null"},
        "data": _MODEL_SUMMARY,
    },
    ["id", "object", "data"],
    "One catalog entry: the summary in data, every other catalog field beside it.",
)

VALIDATE_MODEL: JsonSchema = open_object(
    {"model": {"type": "string"}, "valid": {"type": "boolean"}},
    ["model", "valid"],
    "The model exists (an unknown model is an error result).",
)

KEY_INFO: JsonSchema = open_object(
    {
        "label": STRING_OR_NULL,
        "limit": _NUMBER_OR_NULL,
        "limit_remaining": _NUMBER_OR_NULL,
        "is_free_tier": {"type": ["boolean", "null"]},
        "usage": open_object(
            {"total": _NUMBER_OR_NULL, "daily": _NUMBER_OR_NULL, "weekly": _NUMBER_OR_NULL, "monthly": _NUMBER_OR_NULL},
            [],
            "Spend in USD.",
        ),
    },
    ["usage"],
    "The API key's limit, what is left, and its spend.",
)

COMPARE_MODELS: JsonSchema = open_object(
    {
        "object": {"type": "string", "description": '"comparison"'},
        "created": {"type": "number"},
        "results": {
            "type": "array",
            "items": open_object(
                {
                    "model": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "error": {"type": "string", "description": "Error: <Category> - <message>, when ok is false."},
                },
                ["model", "ok"],
                "One model's answer (content, usage, latency_ms) or its error, in the order asked.",
            ),
        },
        "succeeded": {"type": "integer"},
        "failed": {"type": "integer"},
        "total_cost": {**_NUMBER_OR_NULL, "description": "USD, summed over the models that reported a cost."},
    },
    ["object", "results", "succeeded", "failed"],
    "The same request answered by several models.",
)
