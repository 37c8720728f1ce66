"""Anthropic's Messages API: the request converted from the OpenAI shape, the answer converted back."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import UpstreamError, UpstreamProtocolError, ValidationFailure
from ..jsonshape import as_dict, as_list
from ..sse import SseEvent

DEFAULT_MAX_TOKENS = 1024
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}
# OpenAI-shaped fields the Messages API has a place for; everything else (provider, models,
# penalties, response_format, seed, usage, reasoning, repetition_penalty) is not sent.
_PASSED_ON = ("model", "temperature", "top_p", "top_k", "stream")


def api_path(base_url: str, resource: str) -> str:
    """`messages` or `models` under `/v1`, whether or not the configured endpoint already ends in `/v1`."""
    return resource if base_url.rstrip("/").endswith("/v1") else f"v1/{resource}"


def request_body(openai_body: Mapping[str, Any], default_max_tokens: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {key: openai_body[key] for key in _PASSED_ON if openai_body.get(key) is not None}
    system_parts: list[str] = []
    messages: list[dict[str, Any]] = []
    for message in openai_body.get("messages", []):
        content = message["content"]
        if message["role"] == "system":
            system_parts.append(content if isinstance(content, str) else "".join(p["text"] for p in content))
        else:
            blocks = content if isinstance(content, str) else [content_block(part) for part in content]
            messages.append({"role": message["role"], "content": blocks})
    body["messages"] = messages
    if system_parts:
        body["system"] = "\n\n".join(system_parts)
    body["max_tokens"] = openai_body.get("max_tokens") or default_max_tokens or DEFAULT_MAX_TOKENS
    stop = openai_body.get("stop")
    if stop is not None:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return body


def _source(url: str) -> dict[str, Any]:
    """A base64 source from a data: URI (checked by sources.py), else a url source."""
    if url[:5].lower() != "data:":
        return {"type": "url", "url": url}
    header, _, payload = url.partition(",")
    media_type = header[5:].split(";", 1)[0].strip().lower()
    return {"type": "base64", "media_type": media_type, "data": payload}


def content_block(part: Mapping[str, Any]) -> dict[str, Any]:
    """One OpenAI-shaped content part as an Anthropic block (audio and video were refused before)."""
    kind = part["type"]
    if kind == "text":
        return {"type": "text", "text": part["text"]}
    if kind == "image_url":
        return {"type": "image", "source": _source(part["image_url"]["url"])}
    if kind == "file":
        file = part["file"]
        source = _source(file["file_data"])
        if source.get("media_type") == "text/plain":
            source = {
                "type": "text",
                "media_type": "text/plain",
                "data": base64.b64decode(source["data"]).decode(errors="replace"),
            }
        block: dict[str, Any] = {"type": "document", "source": source}
        if file.get("filename"):
            block["title"] = file["filename"]
        return block
    raise ValidationFailure(f"{kind} parts are not supported with API_FORMAT=anthropic")


def _usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    prompt = int(usage.get("input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    result: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    cached = usage.get("cache_read_input_tokens")
    written = usage.get("cache_creation_input_tokens")
    if cached is not None or written is not None:
        result["prompt_tokens_details"] = {"cached_tokens": cached or 0, "cache_write_tokens": written or 0}
    return result


def _tool_call(block: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": block.get("id"),
        "type": "function",
        "function": {"name": block.get("name"), "arguments": json.dumps(block.get("input") or {})},
    }


def _completion(
    message_id: Any, model: Any, text: str, tool_calls: list[dict[str, Any]], stop_reason: Any, usage: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": message_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "provider": "Anthropic",
        "choices": [
            {
                "index": 0,
                "finish_reason": FINISH_REASONS.get(str(stop_reason), stop_reason),
                "native_finish_reason": stop_reason,
                "message": {"role": "assistant", "content": text, "tool_calls": tool_calls or None},
            }
        ],
        "usage": usage,
    }


def completion_result(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise UpstreamProtocolError("the upstream answer is not a JSON object")
    body = as_dict(payload)
    if body.get("type") == "error":
        raise UpstreamError(str(as_dict(body.get("error")).get("message") or "the upstream reported an error"))
    content = body.get("content")
    if not isinstance(content, list):
        raise UpstreamProtocolError("the upstream answer has no content blocks")
    text_parts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in as_list(content):
        typed = as_dict(block)
        if typed.get("type") == "text":
            text_parts.append(str(typed.get("text", "")))
        elif typed.get("type") == "tool_use":
            tool_calls.append(_tool_call(typed))
    usage = as_dict(body.get("usage"))
    return _completion(
        body.get("id"),
        body.get("model"),
        "".join(text_parts),
        tool_calls,
        body.get("stop_reason"),
        _usage(usage),
    )


class AnthropicStream:
    """Assembles Messages API stream events (message_start … message_stop) into one chat.completion."""

    def __init__(self) -> None:
        self.done = False
        self.deltas = 0
        self._id: Any = None
        self._model: Any = None
        self._stop_reason: Any = None
        self._usage: dict[str, Any] = {}
        self._text: list[str] = []
        self._blocks: dict[int, dict[str, Any]] = {}

    def feed(self, event: SseEvent) -> int:
        if event.comment is not None or not event.data:
            return 0
        try:
            payload = as_dict(json.loads(event.data))
        except json.JSONDecodeError:
            raise UpstreamProtocolError("the upstream stream carried an event that is not valid JSON") from None
        kind = payload.get("type") or event.event
        if kind == "error":
            message = as_dict(payload.get("error")).get("message") or "the upstream reported an error"
            raise UpstreamError(f"{message} (the stream failed after {self.deltas} pieces of output)")
        if kind == "message_start":
            message = as_dict(payload.get("message"))
            self._id = message.get("id")
            self._model = message.get("model")
            self._usage.update(as_dict(message.get("usage")))
        elif kind == "content_block_start":
            index = payload.get("index", len(self._blocks))
            self._blocks[index] = {**as_dict(payload.get("content_block")), "partial_json": ""}
        elif kind == "content_block_delta":
            delta = as_dict(payload.get("delta"))
            if delta.get("type") == "text_delta":
                self._text.append(str(delta.get("text", "")))
            elif delta.get("type") == "input_json_delta":
                block = self._blocks.setdefault(payload.get("index", 0), {"partial_json": ""})
                block["partial_json"] += str(delta.get("partial_json", ""))
            self.deltas += 1
            return 1
        elif kind == "message_delta":
            delta = as_dict(payload.get("delta"))
            if delta.get("stop_reason") is not None:
                self._stop_reason = delta["stop_reason"]
            self._usage.update(as_dict(payload.get("usage")))
        elif kind == "message_stop":
            self.done = True
        return 0

    def result(self) -> dict[str, Any]:
        if not self.done:
            raise UpstreamProtocolError(
                f"the upstream stream ended without message_stop after {self.deltas} pieces of output; "
                "the answer is incomplete"
            )
        tool_calls: list[dict[str, Any]] = []
        for index in sorted(self._blocks):
            block = self._blocks[index]
            if block.get("type") == "tool_use":
                raw = block.get("partial_json") or ""
                try:
                    arguments: Any = json.loads(raw) if raw else block.get("input") or {}
                except json.JSONDecodeError:
                    arguments = {}
                tool_calls.append(_tool_call({**block, "input": arguments}))
        return _completion(
            self._id, self._model, "".join(self._text), tool_calls, self._stop_reason, _usage(self._usage)
        )
