"""An in-memory MCP client on a fresh server with an injected wall clock, and result readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import respx
from mcp import Client
from mcp.types import CallToolResult, TextContent
from unit_helpers import make_settings

from openrouterai_mcp.server import create_server


class WallClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def memory_client(router: respx.MockRouter, clock: WallClock, **settings: Any) -> AsyncIterator[Client]:
    server = create_server(make_settings(**settings), transport=httpx.MockTransport(router.async_handler), clock=clock)
    async with Client(server) as client:
        yield client


def text(result: CallToolResult) -> str:
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


def ok(result: CallToolResult) -> Any:
    assert result.is_error is False, text(result)
    return json.loads(text(result))


def error(result: CallToolResult) -> str:
    assert result.is_error is True, text(result)
    return text(result)


def sent_messages(route: respx.Route, call: int = -1) -> list[dict[str, Any]]:
    return json.loads(route.calls[call].request.content)["messages"]
