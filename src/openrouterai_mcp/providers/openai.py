"""The OpenAI Chat Completions wire format (OpenRouter and every OpenAI-compatible API)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import RateLimited, UpstreamError, UpstreamProtocolError, UpstreamStatusError
from ..jsonshape import as_dict, as_list
from ..sse import SseEvent

CHAT_PATH = "chat/completions"
MODELS_PATH = "models"


def body_error(status: int | None, message: str) -> UpstreamError:
    """An error reported inside a 200 body or stream chunk; code 429 is still a rate limit."""
    if status == 429:
        return RateLimited(status, message)
    if status is not None and status >= 400:
        return UpstreamStatusError(status, message)
    return UpstreamError(message)


def _error_in_body(payload: dict[str, Any]) -> tuple[int | None, str] | None:
    error = payload.get("error")
    if error is None:
        return None
    if isinstance(error, dict):
        details = as_dict(error)
        code = details.get("code")
        status = code if isinstance(code, int) else None
        return status, str(details.get("message") or json.dumps(details))
    return None, str(error)


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    """The assistant message with the keys every result has; bulky reasoning signatures dropped."""
    result = {key: value for key, value in message.items() if key != "reasoning_details"}
    result.setdefault("role", "assistant")
    result.setdefault("content", None)
    result.setdefault("tool_calls", None)
    return result


def completion_result(payload: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    """A non-streamed answer in the chat.completion shape, with the upstream's real id, model and provider."""
    if not isinstance(payload, dict):
        raise UpstreamProtocolError("the upstream answer is not a JSON object")
    body = as_dict(payload)
    failure = _error_in_body(body)
    if failure is not None and not body.get("choices"):
        raise body_error(*failure)
    raw_choices = body.get("choices")
    if not isinstance(raw_choices, list) or not raw_choices:
        raise UpstreamProtocolError("the upstream answer has no choices")
    choices: list[dict[str, Any]] = []
    for position, raw in enumerate(as_list(raw_choices)):
        choice = as_dict(raw)
        entry = {key: value for key, value in choice.items() if key not in ("message", "logprobs")}
        entry.setdefault("index", position)
        entry.setdefault("finish_reason", None)
        entry["message"] = _message(as_dict(choice.get("message")))
        choices.append(entry)
    result: dict[str, Any] = {
        "id": body.get("id"),
        "object": "chat.completion",
        "created": body.get("created") or int(time.time()),
        "model": body.get("model"),
        "provider": body.get("provider") or headers.get("x-provider-name"),
        "choices": choices,
        "usage": body.get("usage"),
    }
    for key, value in body.items():
        if key not in result and key not in ("object", "error"):
            result[key] = value
    return result


class OpenAIStream:
    """Assembles `chat.completion.chunk` events into one chat.completion."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers
        self.done = False
        self.deltas = 0
        self._meta: dict[str, Any] = {}
        self._usage: Any = None
        self._choices: dict[int, dict[str, Any]] = {}

    def feed(self, event: SseEvent) -> int:
        """Take one event; returns how many content pieces it carried. Raises on an error chunk."""
        if event.comment is not None or not event.data:
            return 0
        if event.data.strip() == "[DONE]":
            self.done = True
            return 0
        try:
            chunk = json.loads(event.data)
        except json.JSONDecodeError:
            raise UpstreamProtocolError("the upstream stream carried an event that is not valid JSON") from None
        if not isinstance(chunk, dict):
            return 0
        data = as_dict(chunk)
        for key in ("id", "model", "provider", "created", "system_fingerprint", "service_tier"):
            if data.get(key) is not None:
                self._meta[key] = data[key]
        if data.get("usage") is not None:
            self._usage = data["usage"]
        failure = _error_in_body(data)
        if failure is not None:
            status, message = failure
            raise body_error(status, f"{message} (the stream failed after {self.deltas} pieces of output)")
        pieces = 0
        for raw in as_list(data.get("choices")):
            pieces += self._merge_choice(as_dict(raw))
        self.deltas += pieces
        return pieces

    def _merge_choice(self, choice: dict[str, Any]) -> int:
        index = choice.get("index", 0)
        slot = self._choices.setdefault(
            index if isinstance(index, int) else 0,
            {
                "role": "assistant",
                "content": [],
                "reasoning": [],
                "tool_calls": {},
                "images": [],
                "finish_reason": None,
            },
        )
        if choice.get("finish_reason") is not None:
            slot["finish_reason"] = choice["finish_reason"]
        if choice.get("native_finish_reason") is not None:
            slot["native_finish_reason"] = choice["native_finish_reason"]
        delta = as_dict(choice.get("delta"))
        pieces = 0
        if isinstance(delta.get("role"), str):
            slot["role"] = delta["role"]
        if isinstance(delta.get("content"), str) and delta["content"]:
            slot["content"].append(delta["content"])
            pieces += 1
        if isinstance(delta.get("reasoning"), str) and delta["reasoning"]:
            slot["reasoning"].append(delta["reasoning"])
            pieces += 1
        images = as_list(delta.get("images"))
        if images:
            # Generated images arrive whole, one delta each (OpenRouter's streaming shape).
            slot["images"].extend(images)
            pieces += 1
        for call in as_list(delta.get("tool_calls")):
            pieces += self._merge_tool_call(slot["tool_calls"], as_dict(call))
        return pieces

    @staticmethod
    def _merge_tool_call(calls: dict[int, dict[str, Any]], call: dict[str, Any]) -> int:
        index = call.get("index", len(calls))
        target = calls.setdefault(
            index if isinstance(index, int) else len(calls),
            {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
        )
        if call.get("id"):
            target["id"] = call["id"]
        function = as_dict(call.get("function"))
        if isinstance(function.get("name"), str):
            target["function"]["name"] += function["name"]
        if isinstance(function.get("arguments"), str):
            target["function"]["arguments"] += function["arguments"]
        return 1

    def result(self) -> dict[str, Any]:
        if not self.done:
            raise UpstreamProtocolError(
                f"the upstream stream ended without [DONE] after {self.deltas} pieces of output; "
                "the answer is incomplete"
            )
        choices: list[dict[str, Any]] = []
        for index in sorted(self._choices):
            slot = self._choices[index]
            message: dict[str, Any] = {
                "role": slot["role"],
                "content": "".join(slot["content"]),
                "tool_calls": [slot["tool_calls"][key] for key in sorted(slot["tool_calls"])] or None,
            }
            if slot["reasoning"]:
                message["reasoning"] = "".join(slot["reasoning"])
            if slot["images"]:
                message["images"] = slot["images"]
            choice: dict[str, Any] = {"index": index, "finish_reason": slot["finish_reason"], "message": message}
            if "native_finish_reason" in slot:
                choice["native_finish_reason"] = slot["native_finish_reason"]
            choices.append(choice)
        if not choices:
            choices.append(
                {"index": 0, "finish_reason": None, "message": {"role": "assistant", "content": "", "tool_calls": None}}
            )
        result: dict[str, Any] = {
            "id": self._meta.get("id"),
            "object": "chat.completion",
            "created": self._meta.get("created") or int(time.time()),
            "model": self._meta.get("model"),
            "provider": self._meta.get("provider") or self._headers.get("x-provider-name"),
            "choices": choices,
            "usage": self._usage,
        }
        for key in ("system_fingerprint", "service_tier"):
            if key in self._meta:
                result[key] = self._meta[key]
        return result
