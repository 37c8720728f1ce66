"""Helpers for the multimodal unit tests: one chat call through the in-memory server, and what it sent."""

from __future__ import annotations

import json
from typing import Any

import respx
from mcp.types import CallToolResult, TextContent


def text_of(result: CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def refusal(result: CallToolResult) -> str:
    text = text_of(result)
    assert result.is_error is True, text
    assert text.startswith("Error: Validation Error - "), text
    return text.removeprefix("Error: Validation Error - ")


def answer(result: CallToolResult) -> Any:
    text = text_of(result)
    assert result.is_error is False, text
    return json.loads(text)


def sent_body(route: respx.Route) -> dict[str, Any]:
    assert route.call_count == 1, f"expected one upstream request, saw {route.call_count}"
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": "Look at this"}, *parts]}


def image(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def file_part(data: str, **extra: Any) -> dict[str, Any]:
    return {"type": "file", "file": {"file_data": data, **extra}}


def audio(data: str, fmt: str | None = None) -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": data} | ({"format": fmt} if fmt else {})}


def video(url: str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}}
