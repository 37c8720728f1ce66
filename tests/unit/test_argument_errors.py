"""Argument mistakes a user or an assistant makes get one clear sentence naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from mm_helpers import text_of

USER = [{"role": "user", "content": "hi"}]


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


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("search_models", {"quer": "gpt"}, "quer: unknown argument; did you mean query?"),
        (
            "search_models",
            {"max_context_length": 8000},
            "max_context_length: unknown argument; did you mean maxContextLength?",
        ),
        (
            "chat_completion",
            {"messages": USER, "maxTokens": 5},
            "maxTokens: unknown argument; did you mean max_tokens?",
        ),
        (
            "search_models",
            {"capabilities": {"visoin": True}},
            "capabilities.visoin: unknown argument; did you mean vision?",
        ),
    ],
    ids=["typo", "snake-case", "camel-case", "nested"],
)
async def test_an_unknown_argument_close_to_a_real_one_says_which_was_meant(
    mcp_client: Any, chat_route: respx.Route, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is True
    assert text_of(result) == f"Error: Validation Error - {expected}"
    assert chat_route.call_count == 0


async def test_an_unknown_argument_like_no_real_one_reads_just_unknown_argument(
    mcp_client: Any, chat_route: respx.Route
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": USER, "min_p": 0.1})
    assert text_of(result) == "Error: Validation Error - min_p: unknown argument"
    assert chat_route.call_count == 0


@pytest.mark.parametrize("low", [32_000, 8_001])
async def test_search_with_a_context_floor_above_its_ceiling_is_refused_naming_both(
    mcp_client: Any, router: respx.MockRouter, low: int
) -> None:
    models_route = router.get("/models").respond(json={"data": []})
    async with mcp_client() as client:
        result = await client.call_tool("search_models", {"minContextLength": low, "maxContextLength": 8000})
    assert result.is_error is True
    assert text_of(result) == (
        f"Error: Validation Error - maxContextLength: 8000 is below minContextLength {low}, so no model can match"
    )
    assert models_route.call_count == 0


async def test_search_with_equal_context_bounds_is_accepted(mcp_client: Any, router: respx.MockRouter) -> None:
    router.get("/models").respond(json={"data": []})
    async with mcp_client() as client:
        result = await client.call_tool("search_models", {"minContextLength": 8000, "maxContextLength": 8000})
    assert result.is_error is False
