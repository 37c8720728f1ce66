"""search_models order (SPEC §8): ranking tiers, sorts, several-word queries, supported_parameters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from unit_payloads import model_entry

from openrouterai_mcp.catalog import CatalogIndex, applied_filters, parse_model_list
from openrouterai_mcp.schemas import SearchArgs

TOOLS = ["max_tokens", "temperature", "tools", "response_format"]
PLAIN = ["max_tokens", "temperature"]


def _entry(model_id: str, name: str, description: str, **fields: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "context_length": 128_000,
        "prompt": "0.000001",
        "completion": "0.000002",
        "input_modalities": ["text"],
        "supported_parameters": PLAIN,
    } | fields
    return model_entry(model_id, name, description, **options)


def ranking_models() -> list[dict[str, Any]]:
    """In catalog order; the first one only mentions GPT-4o and Claude in its description."""
    models = [
        _entry(
            "bytedance/ui-tars-1.5-7b",
            "ByteDance: UI-TARS 7B",
            "Beats Claude and GPT-4o on GUI benchmarks.",
            prompt="0.0000001",
            completion="0.0000002",
            input_modalities=["text", "image"],
            created=1_750_000_000,
        ),
        _entry(
            "openrouter/auto",
            "Auto Router",
            "Routes your prompt to one of many models.",
            prompt="-1",
            completion="-1",
            context_length=2_000_000,
            input_modalities=["text", "image"],
            supported_parameters=TOOLS,
            created=1_699_000_000,
        ),
        _entry(
            "openai/gpt-4o-mini",
            "OpenAI: GPT-4o-mini",
            "A small, fast model.",
            prompt="0.00000015",
            completion="0.0000006",
            input_modalities=["text", "image"],
            supported_parameters=TOOLS,
            created=1_721_000_000,
        ),
        _entry(
            "acme/helper",
            "Acme: Helper (GPT-4o distilled)",
            "A helper.",
            prompt="0.00000015",
            completion="0.0000003",
            context_length=32_768,
            created=0,
        ),
        _entry(
            "openai/gpt-4o",
            "OpenAI: GPT-4o",
            "The omni model.",
            prompt="0.0000025",
            completion="0.00001",
            input_modalities=["text", "image"],
            supported_parameters=TOOLS,
            created=1_715_000_000,
        ),
        _entry(
            "anthropic/claude-sonnet-4.5",
            "Anthropic: Claude Sonnet 4.5",
            "The best model for agents.",
            prompt="0.000003",
            completion="0.000015",
            context_length=1_000_000,
            input_modalities=["text", "image"],
            supported_parameters=[*TOOLS, "reasoning"],
            created=1_759_000_000,
        ),
        _entry(
            "meta-llama/llama-3.1-8b-instruct:free",
            "Meta: Llama 3.1 8B Instruct (free)",
            "A free model.",
            prompt="0",
            completion="0",
            context_length=131_072,
            created=1_721_500_000,
        ),
        _entry(
            "mystery/unpriced",
            "Mystery",
            "No price and no context known.",
            context_length=None,
            created=1_700_000_000,
        ),
        _entry(
            "anthropic/claude-3.5-sonnet",
            "Anthropic: Claude 3.5 Sonnet",
            "Sonnet speeds.",
            prompt="0.000003",
            completion="0.000015",
            context_length=200_000,
            supported_parameters=TOOLS,
            created=1_718_000_000,
        ),
    ]
    del models[3]["created"]  # acme: no creation date
    del models[7]["pricing"]  # mystery: no prices
    return models


def search(**arguments: Any) -> list[str]:
    index = CatalogIndex(parse_model_list({"data": ranking_models()}))
    matches, _count = index.search(SearchArgs.model_validate({"limit": 50} | arguments))
    return [match["id"] for match in matches]


def substring_matches(query: str) -> set[str]:
    """The original's contract: the query as one substring of id, name or description, case-insensitively."""
    wanted = query.lower()
    return {
        model["id"]
        for model in ranking_models()
        if any(wanted in (model.get(field) or "").lower() for field in ("id", "name", "description"))
    }


# --- ranking tiers ---------------------------------------------------------------------------------------


def test_a_query_ranks_exact_id_then_id_then_name_then_description_matches() -> None:
    assert search(query="gpt-4o") == ["openai/gpt-4o", "openai/gpt-4o-mini", "acme/helper", "bytedance/ui-tars-1.5-7b"]


def test_a_query_equal_to_the_id_without_its_author_prefix_is_the_first_tier() -> None:
    assert search(query="claude-3.5-sonnet")[0] == "anthropic/claude-3.5-sonnet"
    assert search(query="Claude-Sonnet-4.5")[0] == "anthropic/claude-sonnet-4.5"


def test_a_query_equal_to_the_full_id_is_the_first_tier_whatever_its_case() -> None:
    assert search(query="OpenAI/GPT-4o")[0] == "openai/gpt-4o"


def test_within_a_tier_models_keep_catalog_order() -> None:
    assert search(query="claude") == [
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-3.5-sonnet",
        "bytedance/ui-tars-1.5-7b",
    ]


def test_a_name_match_ranks_above_a_description_match() -> None:
    assert search(query="distilled") == ["acme/helper"]
    assert search(query="gpt")[-2:] == ["acme/helper", "bytedance/ui-tars-1.5-7b"]


def test_without_a_query_or_sort_the_catalog_order_is_kept() -> None:
    assert search() == [model["id"] for model in ranking_models()]


def test_ranking_applies_before_the_limit_and_the_count_is_of_every_match() -> None:
    index = CatalogIndex(parse_model_list({"data": ranking_models()}))
    matches, count = index.search(SearchArgs(query="gpt-4o", limit=1))
    assert [match["id"] for match in matches] == ["openai/gpt-4o"]
    assert count == 4


@pytest.mark.parametrize("query", ["gpt-4o", "GPT", "claude", "4o-m", "sonnet", ".", "-", "a", "3.5-s", "free)", ""])
def test_a_one_word_query_matches_exactly_the_models_the_plain_substring_matched(query: str) -> None:
    found = search(query=query)
    assert set(found) == substring_matches(query)
    assert len(found) == len(set(found))


# --- several words ----------------------------------------------------------------------------------------


def test_several_words_find_a_model_whose_id_has_them_between_punctuation() -> None:
    assert search(query="gpt 4o mini") == ["openai/gpt-4o-mini"]


def test_several_words_are_matched_in_any_order_and_case() -> None:
    assert search(query="SONNET claude") == ["anthropic/claude-sonnet-4.5", "anthropic/claude-3.5-sonnet"]


def test_a_word_with_punctuation_matches_the_same_word_with_other_punctuation() -> None:
    assert search(query="claude 3.5") == ["anthropic/claude-3.5-sonnet"]
    assert search(query="llama 3_1 8b:instruct") == ["meta-llama/llama-3.1-8b-instruct:free"]


def test_every_word_must_appear() -> None:
    assert search(query="gpt 4o banana") == []


def test_several_words_may_come_from_id_name_and_description_together() -> None:
    assert search(query="ui-tars benchmarks") == ["bytedance/ui-tars-1.5-7b"]


def test_several_words_are_ranked_in_the_same_tiers() -> None:
    assert search(query="gpt 4o") == ["openai/gpt-4o", "openai/gpt-4o-mini", "acme/helper", "bytedance/ui-tars-1.5-7b"]


# --- sort -------------------------------------------------------------------------------------------------


def _per_1k(price: str | None) -> Decimal | None:
    if price is None or Decimal(price) < 0:
        return None
    return Decimal(price) * 1000


def test_sort_by_price_is_cheapest_prompt_then_completion_with_variable_and_unknown_prices_last() -> None:
    assert search(sort="price") == [
        "meta-llama/llama-3.1-8b-instruct:free",
        "bytedance/ui-tars-1.5-7b",
        "acme/helper",
        "openai/gpt-4o-mini",
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-3.5-sonnet",
        "openrouter/auto",
        "mystery/unpriced",
    ]


def test_sort_by_price_follows_the_catalogs_own_prices() -> None:
    by_id = {model["id"]: model for model in ranking_models()}
    keys: list[tuple[Any, ...]] = []
    for model_id in search(sort="price"):
        pricing = by_id[model_id].get("pricing") or {}
        prompt, completion = _per_1k(pricing.get("prompt")), _per_1k(pricing.get("completion"))
        keys.append((prompt is None, prompt or 0, completion is None, completion or 0))
    assert keys == sorted(keys)
    assert keys[-2:] == [(True, 0, True, 0), (True, 0, True, 0)]


def test_sort_by_context_is_largest_first_with_unknown_last_and_ties_in_catalog_order() -> None:
    assert search(sort="context") == [
        "openrouter/auto",
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-3.5-sonnet",
        "meta-llama/llama-3.1-8b-instruct:free",
        "bytedance/ui-tars-1.5-7b",
        "openai/gpt-4o-mini",
        "openai/gpt-4o",
        "acme/helper",
        "mystery/unpriced",
    ]


def test_sort_by_newest_follows_the_catalogs_created_field_with_unknown_last() -> None:
    by_id = {model["id"]: model for model in ranking_models()}
    found = search(sort="newest")
    created = [by_id[model_id].get("created") for model_id in found]
    known = [value for value in created if value is not None]
    assert known == sorted(known, reverse=True)
    assert found[0] == "anthropic/claude-sonnet-4.5"
    assert found[-1] == "acme/helper"


def test_sort_replaces_the_ranking_of_a_query() -> None:
    assert search(query="claude", sort="price") == [
        "bytedance/ui-tars-1.5-7b",
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-3.5-sonnet",
    ]


def test_sort_combines_with_filters_to_find_the_cheapest_fitting_model() -> None:
    found = search(sort="price", capabilities={"vision": True, "tools": True}, minContextLength=100_000)
    assert found == ["openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-sonnet-4.5", "openrouter/auto"]


def test_an_unknown_sort_is_refused() -> None:
    with pytest.raises(ValueError, match="sort"):
        SearchArgs.model_validate({"sort": "cheapest"})


# --- supported_parameters ---------------------------------------------------------------------------------


def test_supported_parameters_requires_every_named_parameter() -> None:
    assert search(supported_parameters=["tools", "reasoning"]) == ["anthropic/claude-sonnet-4.5"]
    assert search(supported_parameters=["response_format"], provider="openai") == [
        "openai/gpt-4o-mini",
        "openai/gpt-4o",
    ]


def test_supported_parameters_are_compared_case_insensitively() -> None:
    assert search(supported_parameters=["Reasoning"]) == ["anthropic/claude-sonnet-4.5"]


def test_a_model_without_a_parameter_list_never_matches_a_parameter_filter() -> None:
    models = ranking_models()
    del models[0]["supported_parameters"]
    index = CatalogIndex(parse_model_list({"data": models}))
    matches, _count = index.search(SearchArgs(supported_parameters=["max_tokens"], limit=50))
    assert "bytedance/ui-tars-1.5-7b" not in [match["id"] for match in matches]
    assert len(matches) == len(models) - 1


def test_applied_filters_include_sort_and_supported_parameters_when_given() -> None:
    args = SearchArgs(query="gpt 4o", sort="price", supported_parameters=["tools"])
    assert applied_filters(args) == {"query": "gpt 4o", "sort": "price", "supported_parameters": ["tools"], "limit": 10}
