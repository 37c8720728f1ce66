"""An unknown model id: `Model not found: <id>`, with the ids the caller probably meant when one is close."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from mm_helpers import text_of
from unit_payloads import catalog_payload

from openrouterai_mcp.schemas import ChatArgs
from openrouterai_mcp.suggest import argument_names, similar_ids, similar_name

KNOWN = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "anthropic/claude-sonnet-4.5"]


def test_an_id_without_its_author_prefix_suggests_the_prefixed_id() -> None:
    assert similar_ids("gpt-4o-mini", KNOWN) == ["openai/gpt-4o-mini"]


def test_a_near_spelling_suggests_the_catalog_id() -> None:
    assert similar_ids("anthropic/claude-3-5-sonnet", KNOWN) == ["anthropic/claude-3.5-sonnet"]


@pytest.mark.parametrize("model", ["nobody/nothing", "openai/gpt-99-turbo-ultra", "openai/gpt-5", "", "llama"])
def test_an_id_that_is_not_close_to_any_suggests_nothing(model: str) -> None:
    assert similar_ids(model, KNOWN) == []


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("quer", "query"),
        ("Query", "query"),
        ("max_context_length", "maxContextLength"),
        ("minContextLenght", "minContextLength"),
    ],
)
def test_an_argument_name_in_another_case_or_with_a_typo_suggests_the_real_one(name: str, meant: str) -> None:
    assert similar_name(name, ["query", "provider", "minContextLength", "maxContextLength"]) == meant


@pytest.mark.parametrize("name", ["top_k", "min_p", "q", "", "max_completion_tokens"])
def test_an_argument_name_not_close_to_any_suggests_nothing(name: str) -> None:
    assert similar_name(name, ["top_p", "query", "max_tokens", "temperature"]) is None


def test_argument_names_follow_the_error_location_into_nested_objects_and_lists() -> None:
    assert argument_names(ChatArgs, ["messages", 0]) == ["role", "content"]
    assert "schema" in argument_names(ChatArgs, ["response_format", "json_schema"])
    assert "text" in argument_names(ChatArgs, ["messages", 0, "content", "<parts>", 0, "<text>"])
    assert argument_names(ChatArgs, ["no_such_field"]) == []


@pytest.fixture
def models_route(router: respx.MockRouter) -> respx.Route:
    return router.get("/models").respond(json=catalog_payload())


@pytest.mark.parametrize("tool", ["get_model_info", "validate_model"])
async def test_a_near_miss_names_the_model_not_found_and_the_id_meant(
    mcp_client: Any, models_route: respx.Route, tool: str
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool(tool, {"model": "claude-sonnet-4.5"})
    assert result.is_error is True
    assert text_of(result) == (
        "Error: Validation Error - Model not found: claude-sonnet-4.5; did you mean anthropic/claude-sonnet-4.5?"
    )


@pytest.mark.parametrize("tool", ["get_model_info", "validate_model"])
async def test_an_unknown_id_with_no_near_miss_reads_just_model_not_found(
    mcp_client: Any, models_route: respx.Route, tool: str
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool(tool, {"model": "nobody/nothing"})
    assert text_of(result) == "Error: Validation Error - Model not found: nobody/nothing"
