from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import pytest
from unit_helpers import FakeTime
from unit_payloads import (
    anthropic_model_list,
    catalog_payload,
    old_catalog_payload,
    openai_model_list,
)

from openrouterai_mcp.catalog import (
    Catalog,
    CatalogIndex,
    applied_filters,
    format_price,
    model_info,
    parse_model_list,
    price_per_thousand,
)
from openrouterai_mcp.errors import ModelNotFound, UpstreamProtocolError, UpstreamStatusError
from openrouterai_mcp.schemas import SearchArgs


def index_of(payload: dict[str, Any] | None = None) -> CatalogIndex:
    return CatalogIndex(parse_model_list(payload or catalog_payload()))


def search_ids(**filters: Any) -> list[str]:
    matches, _count = index_of().search(SearchArgs(**({"limit": 50} | filters)))
    return [match["id"] for match in matches]


# --- prices --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_token", "shown"),
    [
        ("0.00000045", "$0.00045/1K tokens"),
        ("0.0000032", "$0.0032/1K tokens"),
        ("0.000003", "$0.003/1K tokens"),
        ("0.0000001", "$0.0001/1K tokens"),
        ("0.00005", "$0.05/1K tokens"),
        ("0.01", "$10/1K tokens"),
        ("0", "$0/1K tokens"),
    ],
)
def test_per_token_price_is_shown_exactly_per_thousand_tokens(per_token: str, shown: str) -> None:
    assert format_price(per_token) == shown


def test_price_conversion_is_exact_decimal_arithmetic() -> None:
    assert price_per_thousand("0.0000001") == Decimal("0.0001")
    assert price_per_thousand("0.00000045") == Decimal("0.00045")


def test_router_price_minus_one_is_shown_as_variable() -> None:
    assert format_price("-1") == "variable"


def test_router_price_minus_one_has_no_numeric_price() -> None:
    assert price_per_thousand("-1") is None


def test_missing_price_is_unknown_not_zero() -> None:
    assert format_price(None) is None
    assert format_price("n/a") is None


def test_summary_pricing_uses_the_converted_prices() -> None:
    row = index_of().find("qwen/qwen3.8-27b")
    assert row.summary["pricing"] == {"prompt": "$0.00045/1K tokens", "completion": "$0.0032/1K tokens"}


def test_router_model_summary_is_priced_variable() -> None:
    row = index_of().find("openrouter/auto")
    assert row.summary["pricing"] == {"prompt": "variable", "completion": "variable"}


def test_router_model_never_passes_a_max_prompt_price_filter() -> None:
    assert "openrouter/auto" not in search_ids(maxPromptPrice=1_000_000)


def test_router_model_never_passes_a_max_completion_price_filter() -> None:
    assert "openrouter/auto" not in search_ids(maxCompletionPrice=1_000_000)


def test_max_prompt_price_zero_finds_only_free_models() -> None:
    assert search_ids(maxPromptPrice=0) == ["meta-llama/llama-3.3-8b-instruct:free"]


def test_max_prompt_price_compares_per_thousand_tokens() -> None:
    # qwen costs $0.00045/1K, mistral $0.0001/1K, claude $0.003/1K.
    assert search_ids(maxPromptPrice=0.0005) == [
        "qwen/qwen3.8-27b",
        "meta-llama/llama-3.3-8b-instruct:free",
        "mistralai/mistral-small-3.2",
    ]


def test_max_prompt_price_bound_is_inclusive() -> None:
    assert "qwen/qwen3.8-27b" in search_ids(maxPromptPrice=0.00045)


def test_max_completion_price_compares_per_thousand_tokens() -> None:
    # claude's completion costs $0.015/1K, qwen's $0.0032/1K.
    ids = search_ids(maxCompletionPrice=0.01)
    assert "qwen/qwen3.8-27b" in ids
    assert "anthropic/claude-sonnet-4.5" not in ids


# --- capabilities --------------------------------------------------------------------------------


def test_capabilities_are_derived_from_supported_parameters_and_modalities() -> None:
    index = index_of()
    assert index.find("qwen/qwen3.8-27b").summary["capabilities"] == {
        "functions": True,
        "tools": True,
        "vision": True,
        "json_mode": True,
        "audio_input": False,
        "file_input": False,
        "video_input": True,
        "image_output": False,
        "reasoning": False,
    }
    assert index.find("meta-llama/llama-3.3-8b-instruct:free").summary["capabilities"] == {
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


def test_structured_outputs_counts_as_json_mode() -> None:
    capabilities = index_of().find("anthropic/claude-sonnet-4.5").summary["capabilities"]
    assert capabilities["json_mode"] is True


def test_vision_filter_keeps_only_models_with_image_input() -> None:
    assert search_ids(capabilities={"vision": True}) == [
        "qwen/qwen3.8-27b",
        "anthropic/claude-sonnet-4.5",
        "openrouter/auto",
    ]


def test_tools_filter_keeps_only_models_supporting_tools() -> None:
    assert "meta-llama/llama-3.3-8b-instruct:free" not in search_ids(capabilities={"tools": True})
    assert "mistralai/mistral-small-3.2" in search_ids(capabilities={"tools": True})


def test_functions_filter_is_the_same_as_tools() -> None:
    assert search_ids(capabilities={"functions": True}) == search_ids(capabilities={"tools": True})


def test_json_mode_filter_keeps_response_format_and_structured_outputs_models() -> None:
    assert search_ids(capabilities={"json_mode": True}) == [
        "qwen/qwen3.8-27b",
        "anthropic/claude-sonnet-4.5",
        "openrouter/auto",
    ]


def test_capabilities_combine_as_and() -> None:
    assert search_ids(capabilities={"vision": True, "tools": True}, maxPromptPrice=0.001) == ["qwen/qwen3.8-27b"]


def test_false_capability_is_not_a_requirement() -> None:
    assert len(search_ids(capabilities={"vision": False})) == 5


# --- text, provider, context, limit -------------------------------------------------------------


def test_query_matches_id_case_insensitively() -> None:
    assert search_ids(query="QWEN3.8") == ["qwen/qwen3.8-27b"]


def test_query_matches_name() -> None:
    assert search_ids(query="auto router") == ["openrouter/auto"]


def test_query_matches_description() -> None:
    assert search_ids(query="function calling") == ["mistralai/mistral-small-3.2"]


def test_provider_filter_uses_the_id_prefix() -> None:
    assert search_ids(provider="Anthropic") == ["anthropic/claude-sonnet-4.5"]


def test_context_length_bounds_are_inclusive() -> None:
    assert search_ids(minContextLength=262144, maxContextLength=1000000) == [
        "qwen/qwen3.8-27b",
        "anthropic/claude-sonnet-4.5",
    ]


def test_limit_caps_the_results_but_not_the_count() -> None:
    matches, count = index_of().search(SearchArgs(limit=2))
    assert len(matches) == 2
    assert count == 5


def test_applied_filters_repeat_what_the_caller_gave() -> None:
    args = SearchArgs(query="qwen", maxPromptPrice=0, capabilities={"vision": True})  # pyright: ignore[reportArgumentType]
    assert applied_filters(args) == {
        "query": "qwen",
        "maxPromptPrice": 0,
        "capabilities": {"vision": True},
        "limit": 10,
    }


# --- shapes --------------------------------------------------------------------------------------


def test_old_and_new_catalog_shapes_give_the_same_models() -> None:
    new = [model.id for model in parse_model_list(catalog_payload())]
    old = [model.id for model in parse_model_list(old_catalog_payload())]
    assert new == old
    assert len(new) == 5


def test_old_catalog_shape_prices_the_same() -> None:
    old = index_of(old_catalog_payload())
    assert old.find("qwen/qwen3.8-27b").summary == index_of().find("qwen/qwen3.8-27b").summary


def test_model_list_that_is_not_a_data_list_is_a_protocol_error() -> None:
    with pytest.raises(UpstreamProtocolError):
        parse_model_list({"models": []})


def test_model_list_entries_without_an_id_are_skipped() -> None:
    payload = catalog_payload()
    payload["data"].append({"name": "nameless"})
    payload["data"].append("not an object")
    assert len(parse_model_list(payload)) == 5


def test_bare_openai_entry_leaves_unknown_fields_null() -> None:
    row = index_of(openai_model_list()).find("gpt-4o-mini")
    assert row.summary == {
        "id": "gpt-4o-mini",
        "name": None,
        "description": None,
        "context_length": None,
        "pricing": {"prompt": None, "completion": None},
        "capabilities": {
            "functions": None,
            "tools": None,
            "vision": None,
            "json_mode": None,
            "audio_input": None,
            "file_input": None,
            "video_input": None,
            "image_output": None,
            "reasoning": None,
        },
        "input_modalities": None,
        "output_modalities": None,
    }


def test_bare_openai_entry_model_info_uses_owned_by_and_created() -> None:
    info = model_info(index_of(openai_model_list()).find("gpt-4o-mini"))
    assert info["owned_by"] == "system"
    assert info["created"] == 1721172741
    assert info["architecture"] is None


def test_bare_openai_entry_is_not_found_by_price_or_capability_filters() -> None:
    index = index_of(openai_model_list())
    assert index.search(SearchArgs(maxPromptPrice=1000))[1] == 0
    assert index.search(SearchArgs(capabilities={"tools": True}))[1] == 0  # pyright: ignore[reportArgumentType]


def test_anthropic_entry_uses_display_name_and_created_at() -> None:
    row = index_of(anthropic_model_list()).find("claude-sonnet-4-5-20250929")
    assert row.summary["name"] == "Claude Sonnet 4.5"
    assert row.summary["context_length"] is None
    info = model_info(row)
    assert info["created"] == 1759104000  # 2025-09-29T00:00:00Z
    assert info["owned_by"] is None


def test_provider_filter_uses_owned_by_for_ids_without_a_slash() -> None:
    index = index_of(openai_model_list())
    matches, _ = index.search(SearchArgs(provider="openai-internal"))
    assert [match["id"] for match in matches] == ["text-embedding-3-small"]


# --- find ----------------------------------------------------------------------------------------


def test_find_accepts_a_routing_suffix() -> None:
    assert index_of().find("anthropic/claude-sonnet-4.5:nitro").id == "anthropic/claude-sonnet-4.5"


def test_find_accepts_the_floor_suffix() -> None:
    assert index_of().find("qwen/qwen3.8-27b:floor").id == "qwen/qwen3.8-27b"


def test_find_prefers_an_exact_id_with_a_free_suffix() -> None:
    assert index_of().find("meta-llama/llama-3.3-8b-instruct:free").id == "meta-llama/llama-3.3-8b-instruct:free"


def test_find_is_case_insensitive_as_a_last_resort() -> None:
    assert index_of().find("Qwen/Qwen3.8-27B").id == "qwen/qwen3.8-27b"


def test_find_unknown_model_raises_model_not_found() -> None:
    with pytest.raises(ModelNotFound, match="Model not found: nobody/nothing"):
        index_of().find("nobody/nothing")


def test_free_suffix_is_not_stripped_to_find_a_paid_model() -> None:
    with pytest.raises(ModelNotFound):
        index_of().find("qwen/qwen3.8-27b:free")


# --- model_info ----------------------------------------------------------------------------------


def test_model_info_has_the_original_shape() -> None:
    row = index_of().find("anthropic/claude-sonnet-4.5")
    info = model_info(row)
    assert info["id"] == "anthropic/claude-sonnet-4.5"
    assert info["object"] == "model"
    assert info["created"] == 1_780_000_000
    assert info["owned_by"] == "anthropic"
    assert info["permission"] == []
    assert info["root"] == "anthropic/claude-sonnet-4.5"
    assert info["parent"] is None
    assert info["data"] == row.summary


def test_model_info_adds_the_rest_of_the_catalog_entry() -> None:
    info = model_info(index_of().find("anthropic/claude-sonnet-4.5"))
    assert info["architecture"]["input_modalities"] == ["text", "image", "file"]
    assert info["top_provider"] == {"context_length": 1000000, "max_completion_tokens": 65536, "is_moderated": False}
    assert "structured_outputs" in info["supported_parameters"]
    assert info["per_request_limits"] == {"prompt_tokens": "1000000", "completion_tokens": "64000"}
    assert info["canonical_slug"] == "anthropic/claude-sonnet-4.5-20260701"
    assert info["pricing_per_token"] == {"prompt": "0.000003", "completion": "0.000015"}


# --- cache ---------------------------------------------------------------------------------------


class CountingFetch:
    def __init__(self, payload: Any = None) -> None:
        self.calls = 0
        self.payload = payload if payload is not None else catalog_payload()

    async def __call__(self) -> Any:
        self.calls += 1
        for _ in range(5):  # give waiting callers the chance to pile up
            await anyio.lowlevel.checkpoint()
        return self.payload


async def test_catalog_is_fetched_once_within_the_ttl(fake_time: FakeTime) -> None:
    fetch = CountingFetch()
    catalog = Catalog(fetch, ttl=3600, clock=fake_time.monotonic)
    await catalog.index()
    fake_time.advance(3599)
    await catalog.index()
    assert fetch.calls == 1


async def test_catalog_is_fetched_again_after_the_ttl(fake_time: FakeTime) -> None:
    fetch = CountingFetch()
    catalog = Catalog(fetch, ttl=3600, clock=fake_time.monotonic)
    await catalog.index()
    fake_time.advance(3601)
    await catalog.index()
    assert fetch.calls == 2


async def test_concurrent_callers_share_one_fetch(fake_time: FakeTime) -> None:
    fetch = CountingFetch()
    catalog = Catalog(fetch, ttl=3600, clock=fake_time.monotonic)
    results: list[CatalogIndex] = []

    async def call() -> None:
        results.append(await catalog.index())

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(call)
    assert fetch.calls == 1
    assert len(results) == 10
    assert all(result is results[0] for result in results)


async def test_empty_catalog_is_not_cached(fake_time: FakeTime) -> None:
    fetch = CountingFetch({"data": []})
    catalog = Catalog(fetch, ttl=3600, clock=fake_time.monotonic)
    await catalog.index()
    await catalog.index()
    assert fetch.calls == 2


async def test_failed_fetch_is_not_cached(fake_time: FakeTime) -> None:
    attempts: list[int] = []

    async def flaky() -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise UpstreamStatusError(503, "unavailable")
        return catalog_payload()

    catalog = Catalog(flaky, ttl=3600, clock=fake_time.monotonic)
    with pytest.raises(UpstreamStatusError):
        await catalog.index()
    assert len((await catalog.index()).rows) == 5


async def test_missing_models_endpoint_says_where_it_looked(fake_time: FakeTime) -> None:
    async def not_found() -> Any:
        raise UpstreamStatusError(404, "Not Found")

    catalog = Catalog(not_found, ttl=3600, clock=fake_time.monotonic, models_url="http://api.test/v1/models")
    with pytest.raises(UpstreamStatusError, match=r"404: this endpoint has no model list at http://api.test/v1/models"):
        await catalog.index()
