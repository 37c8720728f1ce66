"""OpenRouter's `ChatRequest`, trimmed to the fields this server sends (JSON Schema Draft 2020-12).

Written by hand from `components.schemas.ChatRequest` (and the schemas it references:
`ChatSystemMessage`, `ChatUserMessage`, `ChatAssistantMessage`, `ProviderPreferences`,
`ProviderSort`, `ProviderSortConfig`, `Quantization`, `PreferredMinThroughput`,
`PreferredMaxLatency`, `ChatFormat*Config`, `ChatJsonSchemaConfig`, `ChatStreamOptions`) of
OpenRouter's OpenAPI document, so the tests never read that document at run time.

Deliberate choices:
- The top level is closed (`additionalProperties: false`): a field we send that OpenRouter does not
  know, or a misspelt one, fails here. OpenRouter's own schema leaves the top level open.
- `usage: {include: bool}` is OpenRouter's usage-accounting switch. Its API reference documents it,
  but the OpenAPI `ChatRequest` does not list it, so it is added here by hand.
- Numeric ranges that OpenRouter gives only in descriptions ("Sampling temperature (0-2)",
  "Frequency penalty (-2.0 to 2.0)", "Nucleus sampling parameter (0-1)") are written as bounds.
- `provider` is closed, as in OpenRouter's schema, and `max_price` values are strings there.
- Message content is a string or an array of `ChatContentItems` (text, image_url, file, input_audio,
  video_url); system messages take text parts only (`ChatSystemMessage`).
"""

from __future__ import annotations

from typing import Any

import jsonschema

_NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
_NULLABLE_BOOL: dict[str, Any] = {"type": ["boolean", "null"]}
_STRING_LIST: dict[str, Any] = {"type": ["array", "null"], "items": {"type": "string"}}

_QUANTIZATION = ["int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"]
_SORT_BY = ["price", "throughput", "latency", "exacto"]
_EFFORT = ["max", "xhigh", "high", "medium", "low", "minimal", "none", None]


def _part(kind: str, inner: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "type": {"const": kind},
            kind: {"type": "object", "properties": inner, "required": required, "additionalProperties": False},
        },
        "required": ["type", kind],
        "additionalProperties": False,
    }


_TEXT_PART: dict[str, Any] = {
    "type": "object",
    "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
    "required": ["type", "text"],
    "additionalProperties": False,
}
_CONTENT_ITEM: dict[str, Any] = {
    "oneOf": [
        _TEXT_PART,
        _part(
            "image_url",
            {"url": {"type": "string"}, "detail": {"enum": ["auto", "low", "high", "original"]}},
            ["url"],
        ),
        _part("input_audio", {"data": {"type": "string"}, "format": {"type": "string"}}, ["data", "format"]),
        _part("video_url", {"url": {"type": "string"}}, ["url"]),
        _part(
            "file",
            {"file_data": {"type": "string"}, "file_id": {"type": "string"}, "filename": {"type": "string"}},
            [],
        ),
    ]
}


def _message(role: str, *, content_nullable: bool = False) -> dict[str, Any]:
    items = _TEXT_PART if role == "system" else _CONTENT_ITEM
    kinds: list[dict[str, Any]] = [{"type": "string"}, {"type": "array", "items": items}]
    if content_nullable:
        kinds.append({"type": "null"})
    content: dict[str, Any] = {"anyOf": kinds}
    return {
        "type": "object",
        "properties": {"role": {"const": role}, "content": content, "name": {"type": "string"}},
        "required": ["role"] if content_nullable else ["role", "content"],
        "additionalProperties": False,
    }


def _percentile_cutoffs() -> dict[str, Any]:
    return {"type": "object", "properties": {p: _NULLABLE_NUMBER for p in ("p50", "p75", "p90", "p99")}}


_PROVIDER: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "allow_fallbacks": _NULLABLE_BOOL,
        "require_parameters": _NULLABLE_BOOL,
        "data_collection": {"type": ["string", "null"], "enum": ["deny", "allow", None]},
        "zdr": _NULLABLE_BOOL,
        "enforce_distillable_text": _NULLABLE_BOOL,
        "order": _STRING_LIST,
        "only": _STRING_LIST,
        "ignore": _STRING_LIST,
        "quantizations": {"type": ["array", "null"], "items": {"type": "string", "enum": _QUANTIZATION}},
        "sort": {
            "anyOf": [
                {"type": "string", "enum": _SORT_BY},
                {
                    "type": "object",
                    "properties": {
                        "by": {"type": ["string", "null"], "enum": [*_SORT_BY, None]},
                        "partition": {"type": ["string", "null"], "enum": ["model", "none", None]},
                    },
                },
                {"type": "null"},
            ]
        },
        "max_price": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in ("prompt", "completion", "image", "audio", "request")},
        },
        "preferred_min_throughput": {"anyOf": [{"type": "number"}, _percentile_cutoffs(), {"type": "null"}]},
        "preferred_max_latency": {"anyOf": [{"type": "number"}, _percentile_cutoffs(), {"type": "null"}]},
    },
}

_RESPONSE_FORMAT: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"type": {"const": "text"}},
            "required": ["type"],
        },
        {
            "type": "object",
            "properties": {"type": {"const": "json_object"}},
            "required": ["type"],
        },
        {
            "type": "object",
            "properties": {
                "type": {"const": "json_schema"},
                "json_schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "maxLength": 64},
                        "description": {"type": "string"},
                        "schema": {"type": "object"},
                        "strict": _NULLABLE_BOOL,
                    },
                    "required": ["name"],
                },
            },
            "required": ["type", "json_schema"],
        },
    ]
}

CHAT_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ChatRequest (trimmed to what openrouterai-mcp sends)",
    "type": "object",
    "required": ["messages"],
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string"},
        "models": {"type": "array", "items": {"type": "string"}},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {"oneOf": [_message("system"), _message("user"), _message("assistant", content_nullable=True)]},
        },
        "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
        "top_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "frequency_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
        "presence_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
        "repetition_penalty": _NULLABLE_NUMBER,
        "max_tokens": {"type": ["integer", "null"]},
        "seed": {"type": ["integer", "null"]},
        "top_k": {"type": ["integer", "null"]},
        "stop": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "maxItems": 4},
                {"type": "null"},
            ]
        },
        "response_format": _RESPONSE_FORMAT,
        "reasoning": {
            "type": "object",
            "properties": {
                "effort": {"type": ["string", "null"], "enum": _EFFORT},
                "summary": {"type": ["string", "null"], "enum": ["auto", "concise", "detailed", None]},
                "enabled": _NULLABLE_BOOL,
                "max_tokens": {"type": ["integer", "null"]},
                "exclude": {"type": "boolean"},
            },
        },
        "provider": _PROVIDER,
        "modalities": {"type": "array", "items": {"enum": ["text", "image", "audio"]}},
        "image_config": {"type": "object"},
        "stream": {"type": "boolean"},
        "stream_options": {"type": ["object", "null"], "properties": {"include_usage": {"type": "boolean"}}},
        "usage": {
            "type": "object",
            "properties": {"include": {"type": "boolean"}},
            "required": ["include"],
            "additionalProperties": False,
        },
    },
}

VALIDATOR = jsonschema.Draft202012Validator(CHAT_REQUEST_SCHEMA)


def chat_body_problems(body: Any) -> list[str]:
    """Every way `body` breaks the schema, as `<path>: <message>` lines (empty when it validates)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '<body>'}: {error.message}"
        for error in VALIDATOR.iter_errors(body)
    ]
