"""search_models order and new filters end to end (SPEC §8): ranking tiers, sort, several words, parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.catalog_data import catalog, model_entry
from tests.conftest import ServerProcess
from tests.fake_upstream import FakeUpstream
from tests.results import failed, ok


def ranked_catalog() -> dict[str, Any]:
    """The usual catalog with, first of all, a model that only mentions GPT-4o-mini in its description."""
    payload = catalog()
    mention = model_entry(
        "bytedance/ui-tars-1.5-7b",
        "ByteDance: UI-TARS 7B",
        prompt="0.0000001",
        completion="0.0000002",
        context=128_000,
        inputs=["text", "image"],
        params=["max_tokens", "temperature"],
        description="Beats GPT-4o-mini and Claude on GUI agent benchmarks.",
    )
    payload["data"].insert(0, mention)
    return payload


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(ranked_catalog()) as fake:
        yield fake


async def search(server: ServerProcess, env: dict[str, str], **arguments: Any) -> dict[str, Any]:
    async with server.connect(env) as client:
        return ok(await client.call_tool("search_models", arguments))


def ids(result: dict[str, Any]) -> list[str]:
    return [model["id"] for model in result["data"]]


async def test_a_query_naming_a_model_finds_it_before_models_that_only_mention_it(
    server: ServerProcess, env: dict[str, str]
) -> None:
    result = await search(server, env, query="gpt-4o-mini")
    assert ids(result) == ["openai/gpt-4o-mini", "bytedance/ui-tars-1.5-7b"]
    assert result["metadata"]["filtered_count"] == 2


async def test_several_words_find_the_model_whose_id_joins_them_with_punctuation(
    server: ServerProcess, env: dict[str, str]
) -> None:
    assert ids(await search(server, env, query="gpt 4o mini")) == ["openai/gpt-4o-mini", "bytedance/ui-tars-1.5-7b"]


async def test_sort_by_price_puts_free_first_and_the_variable_priced_router_last(
    server: ServerProcess, env: dict[str, str]
) -> None:
    result = await search(server, env, sort="price", limit=50)
    assert ids(result) == [
        "meta-llama/llama-3.1-8b-instruct:free",
        "mistralai/mistral-7b-instruct",
        "bytedance/ui-tars-1.5-7b",
        "openai/gpt-4o-mini",
        "google/gemini-2.5-flash",
        "anthropic/claude-3.5-sonnet",
        "openrouter/auto",
    ]
    assert result["data"][-1]["pricing"] == {"prompt": "variable", "completion": "variable"}
    assert result["metadata"]["applied_filters"] == {"sort": "price", "limit": 50}


async def test_the_cheapest_model_with_vision_tools_and_a_long_context_comes_first(
    server: ServerProcess, env: dict[str, str]
) -> None:
    result = await search(
        server,
        env,
        sort="price",
        capabilities={"vision": True},
        supported_parameters=["tools", "response_format"],
        minContextLength=100_000,
        limit=1,
    )
    assert ids(result) == ["openai/gpt-4o-mini"]
    assert result["metadata"]["filtered_count"] == 4
    assert result["metadata"]["applied_filters"] == {
        "minContextLength": 100_000,
        "capabilities": {"vision": True},
        "supported_parameters": ["tools", "response_format"],
        "sort": "price",
        "limit": 1,
    }


async def test_sort_by_context_puts_the_largest_context_first(server: ServerProcess, env: dict[str, str]) -> None:
    by_context = await search(server, env, sort="context", limit=50)
    lengths = [model["context_length"] for model in by_context["data"]]
    assert lengths == sorted(lengths, reverse=True)
    assert ids(by_context)[0] == "openrouter/auto"


async def test_an_unknown_sort_is_a_validation_error_naming_the_field(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        text = failed(await client.call_tool("search_models", {"sort": "cheapest"}))
    assert text.startswith("Error: Validation Error - sort: Input should be 'price', 'context' or 'newest'")


async def test_search_models_lists_sort_and_supported_parameters_in_its_schema(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    properties = tools["search_models"].input_schema["properties"]
    assert properties["sort"]["enum"] == ["price", "context", "newest"]
    assert properties["supported_parameters"]["type"] == "array"
