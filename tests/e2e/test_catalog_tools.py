"""The original's catalog tools end to end: search_models (prices per 1K, derived capabilities, filters,
limits, metadata), get_model_info and validate_model, over stdio against the fake OpenRouter on 127.0.0.1.

Each test starts the installed `openrouterai-mcp` console script and talks to it with the SDK's client.
Ranking and sorting are in test_search_order.py.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import ServerProcess
from tests.fake_upstream import MODELS, FakeUpstream
from tests.results import failed, ok


def ids(payload: dict[str, Any]) -> set[str]:
    return {model["id"] for model in payload["data"]}


# --- catalog tools -------------------------------------------------------------------------------------


async def test_search_models_shows_per_1k_prices_derived_capabilities_and_variable_router_prices(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        claude = ok(await client.call_tool("search_models", {"query": "CLAUDE"}))
        router = ok(await client.call_tool("search_models", {"query": "meta-model"}))
        llama = ok(await client.call_tool("search_models", {"query": "Llama 3.1"}))
    (summary,) = claude["data"]
    assert summary["id"] == "anthropic/claude-3.5-sonnet"
    assert summary["name"] == "Anthropic: Claude 3.5 Sonnet"
    assert summary["context_length"] == 200_000
    assert summary["pricing"] == {"prompt": "$0.003/1K tokens", "completion": "$0.015/1K tokens"}
    assert summary["capabilities"] == {
        "functions": True,
        "tools": True,
        "vision": True,
        "json_mode": True,
        "audio_input": False,
        "file_input": True,
        "video_input": False,
        "image_output": False,
        "reasoning": False,
    }
    assert summary["description"].startswith("Claude 3.5 Sonnet")
    (auto,) = router["data"]  # found through its description
    assert auto["id"] == "openrouter/auto"
    assert auto["pricing"] == {"prompt": "variable", "completion": "variable"}
    (free,) = llama["data"]
    assert free["capabilities"] == {
        "functions": False,
        "tools": False,
        "vision": False,
        "json_mode": False,
        "audio_input": False,
        "file_input": False,
        "video_input": False,
        "image_output": False,
        "reasoning": False,
    }
    assert free["pricing"]["prompt"] == "$0/1K tokens"


async def test_search_models_filters_by_price_per_1k_with_zero_meaning_free_and_router_models_never_matching(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        cheap = ok(await client.call_tool("search_models", {"maxPromptPrice": 0.001}))
        free = ok(await client.call_tool("search_models", {"maxPromptPrice": 0}))
        cheap_out = ok(await client.call_tool("search_models", {"maxCompletionPrice": 0.001}))
        sonnet_price = ok(await client.call_tool("search_models", {"maxPromptPrice": 0.003, "maxCompletionPrice": 1}))
    assert ids(cheap) == {
        "openai/gpt-4o-mini",
        "meta-llama/llama-3.1-8b-instruct:free",
        "google/gemini-2.5-flash",
        "mistralai/mistral-7b-instruct",
    }
    assert ids(free) == {"meta-llama/llama-3.1-8b-instruct:free"}
    assert ids(cheap_out) == {
        "openai/gpt-4o-mini",
        "meta-llama/llama-3.1-8b-instruct:free",
        "mistralai/mistral-7b-instruct",
    }
    # The bound is inclusive and compares per-1K prices: $0.003/1K is within 0.003.
    assert "anthropic/claude-3.5-sonnet" in ids(sonnet_price)
    assert "openrouter/auto" not in ids(sonnet_price)


async def test_search_models_filters_by_capabilities_provider_and_context_length(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        tools = ok(await client.call_tool("search_models", {"capabilities": {"tools": True}}))
        functions = ok(await client.call_tool("search_models", {"capabilities": {"functions": True}}))
        json_mode = ok(await client.call_tool("search_models", {"capabilities": {"json_mode": True}}))
        vision_tools = ok(
            await client.call_tool("search_models", {"capabilities": {"vision": True, "tools": True}, "query": "o"})
        )
        vision = ok(await client.call_tool("search_models", {"capabilities": {"vision": True}}))
        anthropic = ok(await client.call_tool("search_models", {"provider": "anthropic"}))
        small = ok(await client.call_tool("search_models", {"maxContextLength": 131_072}))
        band = ok(await client.call_tool("search_models", {"minContextLength": 131_072, "maxContextLength": 200_000}))
    with_tools = {
        "openrouter/auto",
        "anthropic/claude-3.5-sonnet",
        "openai/gpt-4o-mini",
        "google/gemini-2.5-flash",
    }
    assert ids(tools) == with_tools
    assert ids(functions) == with_tools
    assert ids(json_mode) == with_tools
    assert ids(vision) == with_tools
    assert ids(vision_tools) <= with_tools
    assert ids(anthropic) == {"anthropic/claude-3.5-sonnet"}
    assert ids(small) == {
        "openai/gpt-4o-mini",
        "meta-llama/llama-3.1-8b-instruct:free",
        "mistralai/mistral-7b-instruct",
    }
    assert ids(band) == {"anthropic/claude-3.5-sonnet", "meta-llama/llama-3.1-8b-instruct:free"}


async def test_search_models_result_is_a_list_with_limit_and_metadata_counts(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        everything = ok(await client.call_tool("search_models", {}))
        two = ok(await client.call_tool("search_models", {"limit": 2, "capabilities": {"tools": True}}))
    assert everything["object"] == "list"
    assert isinstance(everything["id"], str)
    assert isinstance(everything["created"], int)
    assert len(everything["data"]) == 6
    assert everything["metadata"]["total_models"] == 6
    assert everything["metadata"]["filtered_count"] == 6
    assert len(two["data"]) == 2
    assert two["metadata"]["total_models"] == 6
    assert two["metadata"]["filtered_count"] == 4
    applied = two["metadata"]["applied_filters"]
    assert applied["limit"] == 2
    assert applied["capabilities"]["tools"] is True


async def test_search_models_returns_ten_results_by_default_and_at_most_fifty(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    base = upstream.catalog["data"][1]
    upstream.catalog = {"data": [base | {"id": f"acme/model-{i:02d}", "name": f"Acme {i}"} for i in range(60)]}
    async with server.connect(env) as client:
        default = ok(await client.call_tool("search_models", {"query": "acme"}))
        most = ok(await client.call_tool("search_models", {"query": "acme", "limit": 50}))
    assert len(default["data"]) == 10
    assert default["metadata"]["filtered_count"] == 60
    assert len(most["data"]) == 50
    assert most["metadata"]["total_models"] == 60


async def test_get_model_info_and_validate_model_work_on_the_first_call_without_a_prior_search(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        info = ok(await client.call_tool("get_model_info", {"model": "anthropic/claude-3.5-sonnet"}))
        valid = ok(await client.call_tool("validate_model", {"model": "google/gemini-2.5-flash"}))
        unknown_info = failed(await client.call_tool("get_model_info", {"model": "nope/nothing"}))
        unknown_valid = failed(await client.call_tool("validate_model", {"model": "nope/nothing"}))
    assert info["id"] == "anthropic/claude-3.5-sonnet"
    assert info["object"] == "model"
    assert info["created"] == 1_750_000_000
    assert info["owned_by"] == "anthropic"
    assert info["permission"] == []
    assert info["root"] == "anthropic/claude-3.5-sonnet"
    assert info["parent"] is None
    assert info["data"]["pricing"] == {"prompt": "$0.003/1K tokens", "completion": "$0.015/1K tokens"}
    assert info["data"]["capabilities"]["vision"] is True
    assert info["architecture"]["input_modalities"] == ["text", "image", "file"]
    assert info["top_provider"]["max_completion_tokens"] == 8192
    assert "tools" in info["supported_parameters"]
    assert "per_request_limits" in info
    assert valid == {"model": "google/gemini-2.5-flash", "valid": True}
    assert "Model not found: nope/nothing" in unknown_info
    assert "Model not found: nope/nothing" in unknown_valid
    assert len(upstream.calls(MODELS)) == 1  # fetched once, then cached
