"""Helpers of the end-to-end reliability tests: one chat call, its answer, polling, upstream error bodies."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from tests.fake_upstream import CHAT, FakeUpstream
from tests.results import text_of

USER = [{"role": "user", "content": "Say hello"}]
FAKE_ANSWER = "Hello from the fake upstream"


def answer_of(result: CallToolResult) -> str:
    text = text_of(result)
    assert result.is_error is False, text
    return json.loads(text)["choices"][0]["message"]["content"]


def upstream_error(status: int, message: str) -> dict[str, Any]:
    """An error body in OpenRouter's shape."""
    return {"error": {"code": status, "message": message}}


async def chat(client: Client, **arguments: Any) -> CallToolResult:
    return await client.call_tool("chat_completion", {"messages": USER, **arguments})


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll a condition that another thread (the fake upstream) or task makes true."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"not true within {within} s")


async def assert_next_call_works(client: Client, upstream: FakeUpstream) -> None:
    before = len(upstream.calls(CHAT))
    assert answer_of(await chat(client)) == FAKE_ANSWER
    assert len(upstream.calls(CHAT)) == before + 1


def chat_gap(upstream: FakeUpstream) -> float:
    """Seconds between the last two chat requests the fake received."""
    first, second = upstream.calls(CHAT)[-2:]
    return second.at - first.at


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")
