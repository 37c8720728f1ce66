"""Argument mistakes a user or an assistant makes get one clear sentence naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from mm_helpers import text_of
from unit_payloads import chat_completion

USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def chat_route(router: respx.MockRouter) -> respx.Route:
    return router.post("/chat/completions").respond(json=chat_completion())


async def test_a_wrong_provider_sort_word_reads_one_sentence_with_the_allowed_values(
    mcp_client: Any, chat_route: respx.Route
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": USER, "provider": {"sort": "cheapest"}})
    assert text_of(result) == (
        "Error: Validation Error - provider.sort: expected price, throughput or latency "
        '(or {"by": …, "partition": "model" or "none"}), not \'cheapest\''
    )
    assert chat_route.call_count == 0


async def test_a_provider_sort_word_in_capitals_is_sent_in_lower_case(mcp_client: Any, chat_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": USER, "provider": {"sort": "Price"}})
    assert result.is_error is False
    assert json.loads(chat_route.calls.last.request.content)["provider"]["sort"] == "price"


async def test_a_provider_sort_object_is_still_accepted(mcp_client: Any, chat_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool(
            "chat_completion", {"messages": USER, "provider": {"sort": {"by": "latency", "partition": "none"}}}
        )
    assert result.is_error is False
    assert chat_route.call_count == 1
