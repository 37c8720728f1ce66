"""Reading tool results in tests: the one text item, as success JSON or as an error line."""

from __future__ import annotations

import json
from typing import Any

from mcp.types import CallToolResult, TextContent


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    item = result.content[0]
    assert isinstance(item, TextContent)
    assert item.type == "text"
    return item.text


def ok(result: CallToolResult) -> Any:
    """The success payload; fails the test with the error text otherwise (or if structuredContent differs)."""
    text = text_of(result)
    assert result.is_error is False, text
    payload = json.loads(text)
    assert result.structured_content == payload
    return payload


def failed(result: CallToolResult) -> str:
    """The error text; fails the test with the payload otherwise. Error results carry no structuredContent."""
    text = text_of(result)
    assert result.is_error is True, text
    assert result.structured_content is None
    return text
