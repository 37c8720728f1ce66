"""Structured results: every tool declares an outputSchema, and every success carries structuredContent equal
to the JSON of its text block, valid against that schema as the SDK's own client checks it."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
import respx
from jsonschema.validators import validator_for
from mcp import Client
from mcp.types import CallToolResult, TextContent
from unit_helpers import make_settings
from unit_payloads import (
    ANTHROPIC_STREAM,
    OPENAI_STREAM,
    SECRET,
    anthropic_message,
    catalog_payload,
    chat_completion,
    key_info,
)

from openrouterai_mcp.envelope import success
from openrouterai_mcp.providers.anthropic import AnthropicStream
from openrouterai_mcp.providers.anthropic import completion_result as anthropic_result
from openrouterai_mcp.providers.openai import OpenAIStream
from openrouterai_mcp.server import create_server
from openrouterai_mcp.sse import SseEvent, sse_events
from openrouterai_mcp.tools import TOOLS, ToolSpec
from openrouterai_mcp.tools.outputs import CHAT_COMPLETION, KEY_INFO, MODEL_INFO, SEARCH_MODELS, VALIDATE_MODEL

USER = {"role": "user", "content": "Say ok"}


def the_text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def assert_structured(result: CallToolResult) -> dict[str, Any]:
    """The SDK client already validated structuredContent against the outputSchema; it must equal the text."""
    assert result.is_error is False, the_text(result)
    payload = json.loads(the_text(result))
    assert result.structured_content == payload
    return payload


def assert_valid(schema: dict[str, Any], instance: Any) -> None:
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    errors = [error.message for error in validator_class(schema).iter_errors(instance)]
    assert errors == []


@pytest.fixture
def upstream_routes(router: respx.MockRouter) -> respx.MockRouter:
    router.get("/models").respond(json=catalog_payload())
    router.get("/key").respond(json=key_info())
    router.post("/chat/completions").respond(json=chat_completion())
    return router


async def test_every_listed_tool_declares_an_object_output_schema(mcp_client: Any) -> None:
    async with mcp_client() as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == set(TOOLS)
    for tool in tools:
        assert tool.output_schema is not None, tool.name
        assert tool.output_schema["type"] == "object", tool.name
        validator_for(tool.output_schema).check_schema(tool.output_schema)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("chat_completion", {"messages": [USER]}),
        ("search_models", {"query": "claude"}),
        ("search_models", {}),
        ("get_model_info", {"model": "anthropic/claude-sonnet-4.5"}),
        ("validate_model", {"model": "openrouter/auto"}),
        ("get_key_info", {}),
        ("compare_models", {"models": ["openai/gpt-4o", "anthropic/claude-sonnet-4.5"], "messages": [USER]}),
    ],
)
async def test_each_tool_success_carries_structured_content_equal_to_its_text(
    mcp_client: Any, upstream_routes: respx.MockRouter, tool: str, arguments: dict[str, Any]
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool(tool, arguments)
    assert_structured(result)


async def test_a_trimmed_chat_result_is_structured_and_valid(
    mcp_client: Any, upstream_routes: respx.MockRouter
) -> None:
    long_history = [{"role": "user", "content": "x" * 400}, {"role": "assistant", "content": "y" * 400}, USER]
    async with mcp_client(context_budget_tokens=120) as client:
        result = await client.call_tool("chat_completion", {"messages": long_history})
    assert "trimmed" in assert_structured(result)


async def test_a_streamed_chat_result_is_structured_and_valid(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(text=OPENAI_STREAM, headers={"content-type": "text/event-stream"})

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        del progress, total, message

    async with mcp_client() as client:
        result = await client.call_tool(
            "chat_completion", {"messages": [USER]}, progress_callback=on_progress, meta={"progressToken": "t"}
        )
    assert assert_structured(result)["choices"][0]["message"]["content"] == "Hello"


async def test_an_anthropic_chat_result_is_structured_and_valid(router: respx.MockRouter) -> None:
    router.post("/messages").respond(json=anthropic_message())
    settings = {"api_format": "anthropic", "default_model": "claude-sonnet-4-5"}
    server = create_server(make_settings(**settings), transport=httpx.MockTransport(router.async_handler))
    async with Client(server) as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert assert_structured(result)["choices"][0]["message"]["content"] == "Hello there"


async def test_error_results_carry_no_structured_content(mcp_client: Any, upstream_routes: respx.MockRouter) -> None:
    async with mcp_client() as client:
        results = [
            await client.call_tool("validate_model", {"model": "nobody/nothing"}),
            await client.call_tool("chat_completion", {"messages": []}),
        ]
    for result in results:
        assert result.is_error is True
        assert result.structured_content is None


def test_a_payload_that_echoes_the_key_is_redacted_in_both_views() -> None:
    result = success({"echo": f"your key is {SECRET}"}, secret=SECRET)
    assert SECRET not in the_text(result)
    assert result.structured_content == json.loads(the_text(result)) == {"echo": "your key is [redacted]"}


def test_structured_content_is_the_payload_object_itself_not_a_reparse_of_the_text() -> None:
    payload = {"model": "openrouter/auto", "valid": True}
    assert success(payload).structured_content is payload


def test_a_tool_that_declares_no_output_schema_gets_a_permissive_object_schema() -> None:
    registered = TOOLS["validate_model"]
    spec = ToolSpec(registered.function, registered.arguments, read_only=True)
    assert spec.output == {"type": "object"}


async def _assembled(stream: OpenAIStream | AnthropicStream, body: str) -> dict[str, Any]:
    async def lines() -> Any:
        for line in body.split("\n"):
            yield line

    async for event in sse_events(lines()):
        stream.feed(event)
    return stream.result()


async def test_assembled_streams_of_both_apis_validate_against_the_chat_schema() -> None:
    assert_valid(CHAT_COMPLETION, await _assembled(OpenAIStream({}), OPENAI_STREAM))
    assert_valid(CHAT_COMPLETION, await _assembled(AnthropicStream(), ANTHROPIC_STREAM))
    assert_valid(CHAT_COMPLETION, anthropic_result(anthropic_message(stop_reason=None)))
    OpenAIStream({}).feed(SseEvent(comment="keep-alive"))  # a comment is not output


def test_the_chat_schema_accepts_the_fields_other_features_add() -> None:
    answer = chat_completion(content=None)
    message = answer["choices"][0]["message"]
    message["tool_calls"] = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    message["images"] = [{"type": "image", "mime_type": "image/png", "bytes": 68, "saved_to": "/tmp/a.png"}]
    answer |= {
        "conversation_id": "c-1",
        "stored": False,
        "truncated": {"shown_chars": 10, "total_chars": 99, "rest": "get_conversation"},
        "trimmed": {"removed_messages": 2, "estimated_tokens_after": 50, "budget_tokens": 100, "note": "..."},
        "usage": None,
        "id": None,
        "model": None,
        "provider": None,
    }
    assert_valid(CHAT_COMPLETION, answer)


def test_the_catalog_and_key_schemas_accept_what_the_tools_return_and_more() -> None:
    summary = {
        "id": "openrouter/auto",
        "name": None,
        "description": None,
        "context_length": None,
        "pricing": {"prompt": "variable", "completion": "variable"},
        "capabilities": {"functions": None, "tools": None, "vision": False, "json_mode": None},
        "input_modalities": ["text", "image"],
    }
    search = {"id": "search-1", "object": "list", "created": 1, "data": [summary], "metadata": {}}
    search["metadata"] = {"total_models": 1, "filtered_count": 1, "applied_filters": {}}
    assert_valid(SEARCH_MODELS, search | {"truncated": {"shown_chars": 1, "total_chars": 2, "rest": "limit"}})
    info = {"id": "a/b", "object": "model", "created": None, "owned_by": None, "permission": [], "root": "a/b"}
    assert_valid(MODEL_INFO, info | {"parent": None, "data": summary, "architecture": {"modality": "text->text"}})
    assert_valid(VALIDATE_MODEL, {"model": "a/b:nitro", "valid": True})
    key = {"label": None, "limit": None, "limit_remaining": None, "limit_reset": None, "is_free_tier": True}
    assert_valid(KEY_INFO, key | {"usage": {"total": 0, "daily": 0.5, "weekly": None, "monthly": 1}})


async def test_a_comparison_where_one_model_failed_is_structured_and_valid(
    mcp_client: Any, router: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["model"] == "nobody/nothing":
            return httpx.Response(404, json={"error": {"code": 404, "message": "No endpoints found"}})
        return httpx.Response(200, json=chat_completion())

    router.post("/chat/completions").mock(side_effect=answer)
    async with mcp_client() as client:
        result = await client.call_tool(
            "compare_models", {"models": ["openai/gpt-4o", "nobody/nothing"], "messages": [USER]}
        )
    payload = assert_structured(result)
    assert [entry["ok"] for entry in payload["results"]] == [True, False]


def test_the_schemas_refuse_what_would_break_a_client_relying_on_them() -> None:
    validator_class = validator_for(CHAT_COMPLETION)
    broken = copy.deepcopy(chat_completion())
    del broken["choices"]
    assert list(validator_class(CHAT_COMPLETION).iter_errors(broken))
    assert list(validator_class(VALIDATE_MODEL).iter_errors({"model": "a/b", "valid": "yes"}))
