"""The `outputSchema` of the conversation and usage tools (see `outputs.py` for the conventions)."""

from __future__ import annotations

from .outputs import STRING_OR_NULL, JsonSchema, open_object

_TIME: JsonSchema = {"type": "string", "description": "ISO 8601, UTC (YYYY-MM-DDTHH:MM:SSZ)."}
_TRUNCATED: JsonSchema = {
    "type": "object",
    "description": "Present when the result was cut to OPENROUTER_MAX_RESULT_CHARS.",
    "properties": {
        "shown_chars": {"type": "integer"},
        "total_chars": {"type": "integer"},
        "rest": {"type": "string", "description": "How to read the rest."},
    },
    "required": ["shown_chars", "total_chars", "rest"],
    "additionalProperties": True,
}


_SUMMARY_FIELDS: JsonSchema = {
    "conversation_id": {"type": "string"},
    "title": {"type": "string", "description": "The start of the first user message."},
    "turns": {"type": "integer", "description": "Messages stored (system, user and assistant)."},
    "models": {"type": "array", "items": {"type": "string"}},
    "cost": {"type": "number", "description": "USD spent on the conversation's answers."},
    "created": _TIME,
    "updated": _TIME,
}
_SUMMARY_REQUIRED = ["conversation_id", "title", "turns", "models", "cost", "created", "updated"]

LIST_CONVERSATIONS: JsonSchema = open_object(
    {
        "object": {"type": "string", "description": '"list"'},
        "conversations": {
            "type": "array",
            "items": open_object(_SUMMARY_FIELDS, _SUMMARY_REQUIRED, "One stored conversation."),
        },
        "count": {"type": "integer"},
        "truncated": _TRUNCATED,
    },
    ["conversations"],
    "Stored conversations, most recently updated first.",
)

GET_CONVERSATION: JsonSchema = open_object(
    {
        **_SUMMARY_FIELDS,
        "offset": {"type": "integer"},
        "limit": {"type": "integer"},
        "messages": {
            "type": "array",
            "items": open_object(
                {
                    "index": {"type": "integer", "description": "0-based position in the conversation."},
                    "role": {"type": "string"},
                    "content": {"type": ["string", "array"], "description": "Text, or content parts."},
                    "model": STRING_OR_NULL,
                    "provider": STRING_OR_NULL,
                    "cost": {"type": ["number", "null"]},
                    "generation_id": STRING_OR_NULL,
                    "created": _TIME,
                },
                ["index", "role", "content"],
                "One message; answers also carry model, provider, cost and generation_id.",
            ),
        },
        "next_offset": {"type": ["integer", "null"], "description": "Offset of the next page, null at the end."},
        "char_offset": {"type": "integer"},
        "total_chars": {"type": "integer"},
        "truncated": _TRUNCATED,
    },
    [*_SUMMARY_REQUIRED, "messages"],
    "A page of a stored conversation's messages, in order.",
)

DELETE_CONVERSATION: JsonSchema = open_object(
    {"conversation_id": {"type": "string"}, "deleted": {"type": "boolean"}},
    ["conversation_id", "deleted"],
    "The conversation's text is erased.",
)

_TOKENS: JsonSchema = open_object(
    {name: {"type": "integer"} for name in ("prompt", "completion", "reasoning", "cached", "total")},
    ["prompt", "completion", "total"],
    "Tokens.",
)

GET_USAGE: JsonSchema = open_object(
    {
        "period": {"type": "string"},
        "from": _TIME,
        "to": _TIME,
        "calls": {"type": "integer"},
        "cost": {"type": "number", "description": "USD."},
        "estimated_cost": {"type": "number", "description": "The part of cost estimated from catalog prices."},
        "tokens": _TOKENS,
        "breakdown": {
            "type": "array",
            "items": open_object(
                {"calls": {"type": "integer"}, "cost": {"type": "number"}, "tokens": _TOKENS},
                ["calls", "cost"],
                "One model, UTC day (YYYY-MM-DD) or provider, named by the group_by key.",
            ),
        },
        "budgets": {
            "type": "array",
            "items": open_object(
                {
                    "name": {"type": "string"},
                    "limit": {"type": "number"},
                    "spent": {"type": "number"},
                    "remaining": {"type": "number"},
                    "resets_at": _TIME,
                },
                ["name", "limit", "spent", "remaining", "resets_at"],
                "A spend budget in force.",
            ),
        },
    },
    ["period", "from", "to", "calls", "cost", "tokens", "breakdown", "budgets"],
    "Spend and tokens for a period, broken down, with each budget's state.",
)
