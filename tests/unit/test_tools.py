from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from mcp import Client
from mcp.types import CallToolResult, TextContent, Tool
from unit_payloads import OPENAI_STREAM, SECRET, catalog_payload, key_info

from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import Settings

USER = {"role": "user", "content": "Say ok"}
TOOL_NAMES = [
    "chat_completion",
    "search_models",
    "get_model_info",
    "validate_model",
    "get_key_info",
    "compare_models",
    "list_conversations",
    "get_conversation",
    "delete_conversation",
    "get_usage",
]


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


def payload_of(result: CallToolResult) -> Any:
    assert result.is_error is False, text_of(result)
    payload = json.loads(text_of(result))
    assert result.structured_content == payload
    return payload


async def listed_tools(mcp_client: Any, **settings: Any) -> dict[str, Tool]:
    async with mcp_client(**settings) as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


@pytest.fixture
def models_route(router: respx.MockRouter) -> respx.Route:
    return router.get("/models").respond(json=catalog_payload())


# --- tools/list ----------------------------------------------------------------------------------


async def test_tools_list_has_every_tool(mcp_client: Any) -> None:
    assert list(await listed_tools(mcp_client)) == TOOL_NAMES


async def test_tool_schemas_are_inline_without_refs(mcp_client: Any) -> None:
    for tool in (await listed_tools(mcp_client)).values():
        text = json.dumps(tool.input_schema)
        assert "$ref" not in text
        assert "$defs" not in text
        assert tool.input_schema["type"] == "object"


async def test_chat_messages_schema_has_the_original_constraints(mcp_client: Any) -> None:
    schema = (await listed_tools(mcp_client))["chat_completion"].input_schema
    messages = schema["properties"]["messages"]
    assert schema["required"] == ["messages"]
    assert messages["type"] == "array"
    assert messages["minItems"] == 1
    assert messages["maxItems"] == 100
    assert messages["items"]["properties"]["role"]["enum"] == ["system", "user", "assistant"]
    content = messages["items"]["properties"]["content"]["oneOf"]
    assert content[0] == {"type": "string"}
    assert content[1]["type"] == "array"
    assert (content[1]["minItems"], content[1]["maxItems"]) == (1, 64)
    kinds = [item["properties"]["type"]["const"] for item in content[1]["items"]["oneOf"]]
    assert kinds == ["text", "image_url", "file", "input_audio", "video_url"]
    assert sorted(messages["items"]["required"]) == ["content", "role"]


async def test_chat_temperature_schema_is_zero_to_two(mcp_client: Any) -> None:
    temperature = (await listed_tools(mcp_client))["chat_completion"].input_schema["properties"]["temperature"]
    assert temperature["type"] == "number"
    assert (temperature["minimum"], temperature["maximum"]) == (0, 2)


async def test_chat_provider_schema_has_the_seven_routing_fields(mcp_client: Any) -> None:
    provider = (await listed_tools(mcp_client))["chat_completion"].input_schema["properties"]["provider"]
    fields = provider["properties"]
    assert {
        "quantizations",
        "ignore",
        "sort",
        "order",
        "require_parameters",
        "data_collection",
        "allow_fallbacks",
    } <= set(fields)
    assert fields["quantizations"]["type"] == "array"
    assert fields["ignore"]["items"]["type"] == "string"
    assert fields["order"]["type"] == "array"
    assert {"enum": ["price", "throughput", "latency"], "type": "string"} in fields["sort"]["anyOf"]
    assert fields["require_parameters"]["type"] == "boolean"
    assert fields["data_collection"]["enum"] == ["allow", "deny"]
    assert fields["allow_fallbacks"]["type"] == "boolean"
    assert provider["additionalProperties"] is True


async def test_chat_schema_has_the_gateway_fields(mcp_client: Any) -> None:
    properties = (await listed_tools(mcp_client))["chat_completion"].input_schema["properties"]
    assert properties["stream"]["type"] == "boolean"
    assert (properties["top_p"]["minimum"], properties["top_p"]["maximum"]) == (0, 1)
    assert (properties["frequency_penalty"]["minimum"], properties["frequency_penalty"]["maximum"]) == (-2, 2)
    assert (properties["presence_penalty"]["minimum"], properties["presence_penalty"]["maximum"]) == (-2, 2)
    assert properties["response_format"]["properties"]["type"]["enum"] == ["text", "json_object", "json_schema"]


async def test_search_schema_has_the_camel_case_filters_and_limit(mcp_client: Any) -> None:
    schema = (await listed_tools(mcp_client))["search_models"].input_schema
    properties = schema["properties"]
    assert {"query", "provider", "minContextLength", "maxContextLength", "maxPromptPrice", "maxCompletionPrice"} <= set(
        properties
    )
    assert set(properties["capabilities"]["properties"]) == {
        "functions",
        "tools",
        "vision",
        "json_mode",
        "audio_input",
        "file_input",
        "video_input",
        "image_output",
        "reasoning",
    }
    assert properties["limit"] == {
        "default": 10,
        "description": "Most results to return.",
        "maximum": 50,
        "minimum": 1,
        "type": "integer",
    }
    assert "required" not in schema


async def test_model_tools_require_a_model(mcp_client: Any) -> None:
    tools = await listed_tools(mcp_client)
    for name in ("get_model_info", "validate_model"):
        assert tools[name].input_schema["required"] == ["model"]
        assert tools[name].input_schema["properties"]["model"]["type"] == "string"


async def test_catalog_tools_are_marked_read_only(mcp_client: Any) -> None:
    tools = await listed_tools(mcp_client)
    assert tools["search_models"].annotations is not None
    assert tools["search_models"].annotations.read_only_hint is True
    assert tools["chat_completion"].annotations is not None
    assert tools["chat_completion"].annotations.read_only_hint is False


async def test_chat_description_carries_description_and_default_model(mcp_client: Any) -> None:
    tools = await listed_tools(
        mcp_client, description="Use deepseek for code, claude for prose.", default_model="deepseek/deepseek-v3"
    )
    description = tools["chat_completion"].description or ""
    assert "Default model: deepseek/deepseek-v3" in description
    assert description.endswith("Use deepseek for code, claude for prose.")


async def test_chat_description_names_openrouter_auto_without_a_default(mcp_client: Any) -> None:
    description = (await listed_tools(mcp_client))["chat_completion"].description or ""
    assert "Default model: openrouter/auto" in description


# --- catalog tools -------------------------------------------------------------------------------


async def test_search_models_returns_the_list_shape(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("search_models", {"query": "qwen"}))
    assert result["object"] == "list"
    assert isinstance(result["created"], int)
    assert result["id"].startswith("search-")
    assert result["data"] == [
        {
            "id": "qwen/qwen3.8-27b",
            "name": "Qwen: Qwen3.8 27B",
            "description": "Qwen3.8 27B is an open-weight dense vision-language model for coding and agents.",
            "context_length": 262144,
            "pricing": {"prompt": "$0.00045/1K tokens", "completion": "$0.0032/1K tokens"},
            "capabilities": {
                "functions": True,
                "tools": True,
                "vision": True,
                "json_mode": True,
                "audio_input": False,
                "file_input": False,
                "video_input": True,
                "image_output": False,
                "reasoning": False,
            },
            "input_modalities": ["text", "image", "video"],
            "output_modalities": ["text"],
        }
    ]
    assert result["metadata"] == {
        "total_models": 5,
        "filtered_count": 1,
        "applied_filters": {"query": "qwen", "limit": 10},
    }


async def test_search_models_max_prompt_price_zero_finds_the_free_models(
    mcp_client: Any, models_route: respx.Route
) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("search_models", {"maxPromptPrice": 0}))
    assert [model["id"] for model in result["data"]] == ["meta-llama/llama-3.3-8b-instruct:free"]


async def test_search_models_capability_filter_uses_derived_capabilities(
    mcp_client: Any, models_route: respx.Route
) -> None:
    async with mcp_client() as client:
        result = payload_of(
            await client.call_tool("search_models", {"capabilities": {"vision": True}, "minContextLength": 500000})
        )
    assert [model["id"] for model in result["data"]] == ["anthropic/claude-sonnet-4.5", "openrouter/auto"]


async def test_search_models_shows_router_prices_as_variable(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("search_models", {"provider": "openrouter"}))
    assert result["data"][0]["pricing"] == {"prompt": "variable", "completion": "variable"}


async def test_search_models_limit_is_applied(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("search_models", {"limit": 2}))
    assert len(result["data"]) == 2
    assert result["metadata"]["filtered_count"] == 5


async def test_catalog_is_fetched_once_for_many_tool_calls(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        await client.call_tool("search_models", {})
        await client.call_tool("get_model_info", {"model": "qwen/qwen3.8-27b"})
        await client.call_tool("validate_model", {"model": "openrouter/auto"})
    assert models_route.call_count == 1


async def test_get_model_info_fetches_the_catalog_itself(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        info = payload_of(await client.call_tool("get_model_info", {"model": "anthropic/claude-sonnet-4.5"}))
    assert info["object"] == "model"
    assert info["owned_by"] == "anthropic"
    assert info["permission"] == []
    assert info["root"] == "anthropic/claude-sonnet-4.5"
    assert info["parent"] is None
    assert info["data"]["pricing"] == {"prompt": "$0.003/1K tokens", "completion": "$0.015/1K tokens"}
    assert info["architecture"]["tokenizer"] == "Claude"
    assert info["top_provider"]["max_completion_tokens"] == 65536
    assert "tools" in info["supported_parameters"]
    assert info["per_request_limits"] == {"prompt_tokens": "1000000", "completion_tokens": "64000"}


async def test_get_model_info_unknown_model_is_an_error(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("get_model_info", {"model": "nobody/nothing"})
    assert result.is_error is True
    assert text_of(result) == "Error: Validation Error - Model not found: nobody/nothing"


async def test_validate_model_known_model_is_valid(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("validate_model", {"model": "mistralai/mistral-small-3.2"}))
    assert result == {"model": "mistralai/mistral-small-3.2", "valid": True}


async def test_validate_model_accepts_a_routing_suffix(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("validate_model", {"model": "qwen/qwen3.8-27b:nitro"}))
    assert result["valid"] is True


async def test_validate_model_unknown_model_is_an_error(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("validate_model", {"model": "nobody/nothing"})
    assert result.is_error is True
    assert "Model not found: nobody/nothing" in text_of(result)


async def test_catalog_tools_work_without_a_key(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client(api_key=None) as client:
        result = payload_of(await client.call_tool("validate_model", {"model": "openrouter/auto"}))
    assert result["valid"] is True
    assert "Authorization" not in models_route.calls.last.request.headers


async def test_catalog_failure_is_an_api_error_with_the_upstream_status(
    mcp_client: Any, router: respx.MockRouter
) -> None:
    router.get("/models").respond(500, json={"error": {"message": "Internal Server Error", "code": 500}})
    async with mcp_client() as client:
        result = await client.call_tool("search_models", {})
    assert text_of(result) == "Error: API Error - 500: Internal Server Error"


# --- chat_completion -----------------------------------------------------------------------------


async def test_chat_without_a_key_is_a_validation_error_and_sends_nothing(
    mcp_client: Any, chat_route: respx.Route
) -> None:
    async with mcp_client(api_key=None) as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert result.is_error is True
    assert text_of(result).startswith("Error: Validation Error - OPENROUTER_API_KEY is not set")
    assert not chat_route.called


async def test_chat_returns_the_upstream_id_and_the_model_that_answered(
    mcp_client: Any, chat_route: respx.Route
) -> None:
    async with mcp_client() as client:
        result = payload_of(await client.call_tool("chat_completion", {"messages": [USER], "model": "openrouter/auto"}))
    assert result["id"] == "gen-1778777138-y0iwbTSBFZ0eELM0EhLt"
    assert result["object"] == "chat.completion"
    assert result["model"] == "anthropic/claude-4.5-sonnet-20250929"
    assert result["provider"] == "Google"
    assert result["choices"][0]["message"]["content"] == "ok"
    assert result["usage"]["total_tokens"] == 19


async def test_chat_sends_environment_routing_with_false_kept(mcp_client: Any, chat_route: respx.Route) -> None:
    async with mcp_client(provider_allow_fallbacks=False, provider_order=["openai"], max_tokens=99) as client:
        await client.call_tool("chat_completion", {"messages": [USER], "provider": {"sort": "throughput"}})
    sent = json.loads(chat_route.calls.last.request.content)
    assert sent["provider"] == {"order": ["openai"], "allow_fallbacks": False, "sort": "throughput"}
    assert sent["max_tokens"] == 99
    assert sent["usage"] == {"include": True}
    assert sent["model"] == "openrouter/auto"


async def test_chat_accepts_messages_sent_as_json_text(mcp_client: Any, chat_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": json.dumps([USER])})
    assert result.is_error is False
    assert json.loads(chat_route.calls.last.request.content)["messages"] == [USER]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"messages": []}, "messages: List should have at least 1 item"),
        ({"messages": [USER] * 101}, "messages: List should have at most 100 items"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role: Input should be"),
        ({"messages": [{"role": "user"}]}, "messages[0].content: required"),
        ({"messages": [USER], "temperature": 2.5}, "temperature: Input should be less than or equal to 2"),
        ({"messages": [USER], "top_p": -0.1}, "top_p: Input should be greater than or equal to 0"),
        ({"messages": [USER], "provider": {"sort": "cheapest"}}, "provider.sort"),
        ({"messages": [USER], "provider": {"data_collection": "maybe"}}, "provider.data_collection: Input should be"),
        ({"messages": [USER], "temprature": 1}, "temprature: unknown argument"),
        ({"model": "", "messages": [USER]}, "model: String should have at least 1 character"),
        ({}, "messages: required"),
    ],
)
async def test_invalid_chat_arguments_never_reach_the_upstream(
    mcp_client: Any, chat_route: respx.Route, arguments: dict[str, Any], problem: str
) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", arguments)
    assert result.is_error is True
    assert text_of(result).startswith(f"Error: Validation Error - {problem}")
    assert not chat_route.called


async def test_invalid_search_arguments_never_reach_the_upstream(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client() as client:
        result = await client.call_tool("search_models", {"limit": 51})
    assert text_of(result) == "Error: Validation Error - limit: Input should be less than or equal to 50"
    assert not models_route.called


async def test_chat_upstream_error_names_status_and_message(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(402, json={"error": {"message": "Insufficient credits", "code": 402}})
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert result.is_error is True
    assert text_of(result) == "Error: API Error - 402: Insufficient credits"


async def test_chat_429_is_reported_as_rate_limit(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(429, json={"error": {"message": "Rate limit exceeded", "code": 429}})
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert text_of(result).startswith("Error: Rate Limit - 429: Rate limit exceeded")


async def test_key_echoed_by_the_upstream_is_redacted(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(401, json={"error": {"message": f"Invalid key {SECRET}", "code": 401}})
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert SECRET not in text_of(result)
    assert text_of(result).startswith("Error: API Error - 401: Invalid key [redacted] (check the key in ")


async def test_chat_malformed_upstream_answer_is_an_api_error(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(200, text="<html>oops</html>")
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert text_of(result).startswith("Error: API Error - 200: the upstream sent a body that is not valid JSON")


async def test_chat_connection_failure_is_an_api_error(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").mock(side_effect=httpx.ConnectError("Connection refused"))
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", {"messages": [USER]})
    assert text_of(result).startswith("Error: API Error - could not connect to upstream.test")


async def test_chat_with_a_progress_token_streams_and_reports_progress(
    mcp_client: Any, router: respx.MockRouter
) -> None:
    route = router.post("/chat/completions").respond(text=OPENAI_STREAM, headers={"content-type": "text/event-stream"})
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with mcp_client() as client:
        # The in-memory transport does not put the callback's token on the wire, so the test does.
        result = await client.call_tool(
            "chat_completion", {"messages": [USER]}, progress_callback=on_progress, meta={"progressToken": "tok-1"}
        )
    assert payload_of(result)["choices"][0]["message"]["content"] == "Hello"
    assert json.loads(route.calls.last.request.content)["stream"] is True
    assert seen
    assert seen == sorted(set(seen))


async def test_configuration_error_is_reported_on_every_call(mcp_client: Any, models_route: respx.Route) -> None:
    async with mcp_client(config_error="OPENROUTER_PROVIDER_SORT='cheapest' is invalid") as client:
        result = await client.call_tool("search_models", {})
    assert text_of(result) == (
        "Error: Validation Error - invalid configuration: OPENROUTER_PROVIDER_SORT='cheapest' is invalid"
    )
    assert not models_route.called


async def test_server_survives_a_failed_call(mcp_client: Any, router: respx.MockRouter) -> None:
    router.get("/models").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=catalog_payload())])
    async with mcp_client() as client:
        first = await client.call_tool("search_models", {})
        second = await client.call_tool("search_models", {})
    assert first.is_error is True
    assert payload_of(second)["metadata"]["total_models"] == 5


# --- get_key_info --------------------------------------------------------------------------------


async def test_get_key_info_reports_limit_and_usage(mcp_client: Any, router: respx.MockRouter) -> None:
    route = router.get("/key").respond(json=key_info())
    async with mcp_client() as client:
        info = payload_of(await client.call_tool("get_key_info", {}))
    assert info["limit"] == 20
    assert info["limit_remaining"] == 17.5
    assert info["is_free_tier"] is False
    assert info["usage"] == {"total": 2.5, "daily": 0.5, "weekly": 1.0, "monthly": 2.5}
    assert info["include_byok_in_limit"] is False
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {SECRET}"


async def test_get_key_info_without_a_key_is_a_validation_error(mcp_client: Any, router: respx.MockRouter) -> None:
    route = router.get("/key").respond(json=key_info())
    async with mcp_client(api_key=None) as client:
        result = await client.call_tool("get_key_info", {})
    assert text_of(result).startswith("Error: Validation Error - OPENROUTER_API_KEY is not set")
    assert not route.called


# --- anthropic wire through the server -----------------------------------------------------------


async def test_anthropic_catalog_is_read_from_v1_models() -> None:
    handled: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        handled.append(str(request.url))
        return httpx.Response(
            200, json={"data": [{"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5"}]}
        )

    settings = Settings(api_key="sk-ant", api_format="anthropic", base_url="http://anthropic.test")
    async with Client(create_server(settings, transport=httpx.MockTransport(handler))) as client:
        result = payload_of(await client.call_tool("validate_model", {"model": "claude-haiku-4-5"}))
    assert result == {"model": "claude-haiku-4-5", "valid": True}
    assert handled == ["http://anthropic.test/v1/models?limit=1000"]
