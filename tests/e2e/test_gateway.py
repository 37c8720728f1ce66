"""What MCP AI Gateway's users rely on, driven over stdio against the fake upstream on 127.0.0.1.

Its variable names, any OpenAI-compatible endpoint, the Anthropic Messages API, extra sampling
parameters, streaming from the upstream, catalogs of non-OpenRouter endpoints, and proxies.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.conftest import TEST_KEY, ServerProcess
from tests.fake_upstream import (
    CHAT,
    MESSAGES,
    MODELS,
    FakeUpstream,
    Reply,
    anthropic_sse,
    sse_chunks,
)
from tests.results import failed, ok

USER_HI = [{"role": "user", "content": "hi"}]
ANTHROPIC_KEY = "sk-ant-api03-TESTKEY-abcdef"
CLAUDE = "claude-sonnet-4-5"


def gateway_env(upstream: FakeUpstream, **extra: str) -> dict[str, str]:
    """The environment a gateway user has: API_KEY and API_ENDPOINT, no OPENROUTER_ names."""
    return {"API_KEY": TEST_KEY, "API_ENDPOINT": upstream.base_url, **extra}


def anthropic_env(endpoint: str, **extra: str) -> dict[str, str]:
    return {"API_FORMAT": "anthropic", "API_KEY": ANTHROPIC_KEY, "API_ENDPOINT": endpoint, **extra}


# --- variable names ---------------------------------------------------------------------------------


async def test_gateway_variable_names_set_key_endpoint_and_chat_defaults(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    env = gateway_env(
        upstream, DEFAULT_MODEL="openai/gpt-4o-mini", DEFAULT_MAX_TOKENS="2000", DEFAULT_TEMPERATURE="0.7"
    )
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
        ok(await client.call_tool("chat_completion", {"messages": USER_HI, "temperature": 0, "max_tokens": 5}))
    defaulted, overridden = upstream.calls(CHAT, "POST")
    assert defaulted.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert (defaulted.body["model"], defaulted.body["max_tokens"], defaulted.body["temperature"]) == (
        "openai/gpt-4o-mini",
        2000,
        0.7,
    )
    assert (overridden.body["max_tokens"], overridden.body["temperature"]) == (5, 0)


async def test_openrouter_names_win_when_both_products_names_are_set(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    env = {
        "OPENROUTER_API_KEY": TEST_KEY,
        "API_KEY": "sk-the-gateway-key-that-loses",
        "OPENROUTER_BASE_URL": upstream.base_url,
        "API_ENDPOINT": "http://127.0.0.1:9/unused/v1",
        "OPENROUTER_DEFAULT_MODEL": "openai/gpt-4o-mini",
        "DEFAULT_MODEL": "mistralai/mistral-7b-instruct",
        "OPENROUTER_MAX_TOKENS": "111",
        "DEFAULT_MAX_TOKENS": "222",
    }
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    sent = upstream.calls(CHAT, "POST")[0]
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert (sent.body["model"], sent.body["max_tokens"]) == ("openai/gpt-4o-mini", 111)


async def test_an_api_endpoint_given_as_the_full_chat_completions_url_works_for_chat_and_catalog(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    env = {"API_KEY": TEST_KEY, "API_ENDPOINT": upstream.base_url + "/chat/completions"}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"model": "openai/gpt-4o-mini", "messages": USER_HI}))
        ok(await client.call_tool("validate_model", {"model": "openai/gpt-4o-mini"}))
    assert [call.path for call in upstream.calls(CHAT, "POST")] == ["/api/v1/chat/completions"]
    assert [call.path for call in upstream.calls(MODELS, "GET")] == ["/api/v1/models"]


async def test_openai_organization_is_sent_as_the_openai_organization_header(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    env = gateway_env(upstream, OPENAI_ORGANIZATION="org-test-123")
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"model": "gpt-4o", "messages": USER_HI}))
    assert upstream.calls(CHAT, "POST")[0].headers["openai-organization"] == "org-test-123"


async def test_description_is_appended_to_the_chat_tool_description_after_a_blank_line_with_the_default_model(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    guidance = "OpenRouter models:\n- anthropic/claude-3.5-sonnet: Enhanced reasoning\n- openai/gpt-4o: Multimodal"
    env = gateway_env(upstream, DEFAULT_MODEL="anthropic/claude-3.5-sonnet", DESCRIPTION=guidance)
    async with server.connect(env) as client:
        listed = await client.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    description = tools["chat_completion"].description or ""
    assert description.endswith("\n\n" + guidance)
    assert "anthropic/claude-3.5-sonnet" in description.removesuffix(guidance)
    assert len(description) > len(guidance) + 20  # the tool's own description comes first
    for name in ("search_models", "get_model_info", "validate_model"):
        assert guidance not in (tools[name].description or "")


# --- Anthropic Messages API -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/messages"])
async def test_anthropic_format_posts_to_v1_messages_with_its_body_and_headers_and_maps_the_answer_back(
    server: ServerProcess, upstream: FakeUpstream, suffix: str
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ]
    async with server.connect(anthropic_env(upstream.url + suffix)) as client:
        payload = ok(await client.call_tool("chat_completion", {"model": CLAUDE, "messages": messages, "stop": "END"}))
    (sent,) = upstream.calls(MESSAGES, "POST")
    assert sent.path == "/v1/messages"
    assert upstream.calls(CHAT) == []
    assert sent.body["model"] == CLAUDE
    assert sent.body["system"] == "Be brief."
    assert sent.body["messages"] == messages[1:]
    assert sent.body["stop_sequences"] == ["END"]
    assert sent.body["max_tokens"] == 1024
    for field in ("provider", "models", "usage", "stop", "stream_options"):
        assert field not in sent.body
    assert sent.headers["x-api-key"] == ANTHROPIC_KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers

    assert payload["object"] == "chat.completion"
    assert payload["id"] == "msg_fake_1"
    assert payload["model"] == CLAUDE
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "Hello from fake Anthropic"
    usage = payload["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (21, 7, 28)


async def test_anthropic_format_honours_anthropic_version_joins_system_messages_and_joins_text_blocks(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    answer = {
        "id": "msg_two_blocks",
        "type": "message",
        "role": "assistant",
        "model": CLAUDE,
        "content": [{"type": "text", "text": "Part one. "}, {"type": "text", "text": "Part two."}],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    upstream.script("POST", MESSAGES, Reply(json=answer))
    env = anthropic_env(upstream.url, ANTHROPIC_VERSION="2024-10-22", DEFAULT_MODEL=CLAUDE)
    messages = [
        {"role": "system", "content": "Rule one."},
        {"role": "system", "content": "Rule two."},
        {"role": "user", "content": "go"},
    ]
    async with server.connect(env) as client:
        payload = ok(
            await client.call_tool(
                "chat_completion", {"messages": messages, "stop": ["A", "B"], "max_tokens": 64, "temperature": 0.2}
            )
        )
    sent = upstream.calls(MESSAGES, "POST")[0]
    assert sent.headers["anthropic-version"] == "2024-10-22"
    assert sent.body["model"] == CLAUDE
    assert "Rule one." in sent.body["system"]
    assert "Rule two." in sent.body["system"]
    assert sent.body["messages"] == [{"role": "user", "content": "go"}]
    assert sent.body["stop_sequences"] == ["A", "B"]
    assert (sent.body["max_tokens"], sent.body["temperature"]) == (64, 0.2)
    assert payload["id"] == "msg_two_blocks"
    assert payload["choices"][0]["message"]["content"] == "Part one. Part two."
    assert payload["choices"][0]["finish_reason"] == "length"
    assert payload["usage"]["total_tokens"] == 7


async def test_an_anthropic_error_body_reads_api_error_with_status_and_anthropics_message(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    upstream.script(
        "POST",
        MESSAGES,
        Reply(
            status=400,
            json={
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "messages: roles must alternate"},
            },
        ),
    )
    async with server.connect(anthropic_env(upstream.url)) as client:
        text = failed(await client.call_tool("chat_completion", {"model": CLAUDE, "messages": USER_HI}))
    assert text == "Error: API Error - 400: messages: roles must alternate"


# --- parameters and streaming (OpenAI format) ---------------------------------------------------------------


async def test_sampling_parameters_stop_and_response_format_pass_through_to_the_openai_body(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {
            "name": "weather",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
                "required": ["city", "celsius"],
                "additionalProperties": False,
            },
        },
    }
    first = {
        "model": "openai/gpt-4o-mini",
        "messages": USER_HI,
        "top_p": 0.9,
        "frequency_penalty": 0.5,
        "presence_penalty": -0.5,
        "stop": "END",
        "response_format": response_format,
    }
    async with server.connect(gateway_env(upstream)) as client:
        ok(await client.call_tool("chat_completion", first))
        ok(await client.call_tool("chat_completion", {"messages": USER_HI, "stop": ["\n\n", "###"]}))
    with_params, with_stop_list = (call.body for call in upstream.calls(CHAT, "POST"))
    assert (with_params["top_p"], with_params["frequency_penalty"], with_params["presence_penalty"]) == (0.9, 0.5, -0.5)
    assert with_params["stop"] == "END"
    assert with_params["response_format"] == response_format
    assert with_stop_list["stop"] == ["\n\n", "###"]
    for absent in ("top_p", "frequency_penalty", "presence_penalty", "response_format"):
        assert absent not in with_stop_list


async def test_stream_true_reads_the_sse_stream_and_returns_one_assembled_completion_with_usage(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    events = sse_chunks("anthropic/claude-3.5-sonnet", ("The ", "answer", " is 42."))
    events[2:2] = [": OPENROUTER PROCESSING", ": OPENROUTER PROCESSING"]
    upstream.script("POST", CHAT, Reply(sse=events))
    async with server.connect(gateway_env(upstream)) as client:
        payload = ok(
            await client.call_tool("chat_completion", {"model": "openrouter/auto", "messages": USER_HI, "stream": True})
        )
    sent = upstream.calls(CHAT, "POST")[0]
    assert sent.body["stream"] is True
    assert payload["object"] == "chat.completion"
    assert payload["id"] == "gen-stream-1"
    assert payload["model"] == "anthropic/claude-3.5-sonnet"
    choice = payload["choices"][0]
    assert choice["message"]["content"] == "The answer is 42."
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    usage = payload["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (10, 3, 13)
    assert "OPENROUTER PROCESSING" not in json.dumps(payload)


async def test_a_mid_stream_error_chunk_reads_api_error_with_the_upstream_message(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    events = sse_chunks()[:3]
    error_chunk = {
        "id": "gen-stream-1",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "openai/gpt-4o-mini",
        "provider": "FakeProvider",
        "error": {"code": 400, "message": "Token limit reached"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    events += ["data: " + json.dumps(error_chunk), "data: [DONE]"]
    upstream.script("POST", CHAT, Reply(sse=events))
    async with server.connect(gateway_env(upstream)) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": USER_HI, "stream": True}))
    assert text.startswith("Error: API Error - ")
    assert "Token limit reached" in text


async def test_a_stream_that_ends_without_done_is_reported_as_incomplete(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(done=False)))
    async with server.connect(gateway_env(upstream)) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": USER_HI, "stream": True}))
        after = ok(await client.call_tool("chat_completion", {"messages": USER_HI, "stream": True}))
    assert text.startswith("Error: API Error - ")
    assert "incomplete" in text
    assert after["choices"][0]["message"]["content"] == "Hello!"


async def test_anthropic_streaming_is_assembled_and_a_stream_without_message_stop_is_incomplete(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    upstream.script(
        "POST",
        MESSAGES,
        Reply(sse=anthropic_sse(CLAUDE, ("Hi", " there", "!"))),
        Reply(sse=anthropic_sse(CLAUDE, ("cut",), stop=False)),
    )
    async with server.connect(anthropic_env(upstream.url)) as client:
        payload = ok(await client.call_tool("chat_completion", {"model": CLAUDE, "messages": USER_HI, "stream": True}))
        text = failed(await client.call_tool("chat_completion", {"model": CLAUDE, "messages": USER_HI, "stream": True}))
    sent = upstream.calls(MESSAGES, "POST")[0]
    assert sent.body["stream"] is True
    assert "stream_options" not in sent.body
    assert payload["id"] == "msg_stream_1"
    assert payload["model"] == CLAUDE
    assert payload["choices"][0]["message"]["content"] == "Hi there!"
    assert payload["choices"][0]["finish_reason"] == "stop"
    usage = payload["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (9, 3, 12)
    assert text.startswith("Error: API Error - ")
    assert "incomplete" in text


# --- catalogs of other endpoints ---------------------------------------------------------------------------


async def test_catalog_tools_on_an_openai_style_model_list_answer_with_unknown_prices_left_null(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    upstream.catalog = {
        "object": "list",
        "data": [
            {"id": "gpt-4o", "object": "model", "owned_by": "openai", "created": 1_715_367_049},
            {"id": "gpt-4o-mini", "object": "model", "owned_by": "openai", "created": 1_721_172_741},
            {"id": "text-embedding-3-small", "object": "model", "owned_by": "system", "created": 1_705_948_997},
        ],
    }
    env = {"API_KEY": TEST_KEY, "API_ENDPOINT": upstream.url + "/v1"}
    async with server.connect(env) as client:
        found = ok(await client.call_tool("search_models", {"query": "gpt-4o"}))
        info = ok(await client.call_tool("get_model_info", {"model": "gpt-4o-mini"}))
        valid = ok(await client.call_tool("validate_model", {"model": "gpt-4o"}))
        unknown = failed(await client.call_tool("validate_model", {"model": "gpt-9"}))
    assert upstream.calls(MODELS, "GET")[0].path == "/v1/models"
    assert {model["id"] for model in found["data"]} == {"gpt-4o", "gpt-4o-mini"}
    assert found["metadata"]["total_models"] == 3
    for summary in found["data"]:
        assert summary["pricing"] == {"prompt": None, "completion": None}
        assert summary["context_length"] is None
        assert set(summary["capabilities"].values()) == {None}
    assert info["id"] == "gpt-4o-mini"
    assert info["owned_by"] == "openai"
    assert info["created"] == 1_721_172_741
    assert info["data"]["pricing"] == {"prompt": None, "completion": None}
    assert info["data"]["context_length"] is None
    assert valid == {"model": "gpt-4o", "valid": True}
    assert "Model not found: gpt-9" in unknown


async def test_catalog_tools_on_anthropic_read_get_v1_models_with_display_names(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    upstream.catalog = {
        "data": [
            {
                "id": "claude-sonnet-4-5-20250929",
                "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z",
                "type": "model",
            },
            {
                "id": "claude-3-5-haiku-20241022",
                "display_name": "Claude Haiku 3.5",
                "created_at": "2024-10-22T00:00:00Z",
                "type": "model",
            },
        ],
        "has_more": False,
        "first_id": "claude-sonnet-4-5-20250929",
        "last_id": "claude-3-5-haiku-20241022",
    }
    async with server.connect(anthropic_env(upstream.url)) as client:
        found = ok(await client.call_tool("search_models", {"query": "sonnet"}))
        info = ok(await client.call_tool("get_model_info", {"model": "claude-3-5-haiku-20241022"}))
        valid = ok(await client.call_tool("validate_model", {"model": "claude-sonnet-4-5-20250929"}))
    fetched = upstream.calls(MODELS, "GET")[0]
    assert fetched.path.startswith("/v1/models")
    assert fetched.headers["x-api-key"] == ANTHROPIC_KEY
    assert "anthropic-version" in fetched.headers
    (summary,) = found["data"]
    assert summary["id"] == "claude-sonnet-4-5-20250929"
    assert summary["name"] == "Claude Sonnet 4.5"
    assert summary["pricing"] == {"prompt": None, "completion": None}
    assert info["created"] == int(datetime(2024, 10, 22, tzinfo=timezone.utc).timestamp())
    assert info["data"]["name"] == "Claude Haiku 3.5"
    assert valid == {"model": "claude-sonnet-4-5-20250929", "valid": True}


async def test_an_endpoint_without_a_model_list_gets_a_clear_error_while_chat_still_works(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    not_found = Reply(status=404, json={"error": {"message": "Not Found", "code": 404}})
    upstream.script("GET", MODELS, not_found, not_found, not_found)
    async with server.connect(gateway_env(upstream)) as client:
        texts = [
            failed(await client.call_tool("search_models", {"query": "gpt"})),
            failed(await client.call_tool("get_model_info", {"model": "gpt-4o"})),
            failed(await client.call_tool("validate_model", {"model": "gpt-4o"})),
        ]
        chat = ok(await client.call_tool("chat_completion", {"model": "gpt-4o", "messages": USER_HI}))
    for text in texts:
        assert text.startswith("Error: API Error - 404")
        assert "no model list" in text
    assert chat["object"] == "chat.completion"


# --- proxies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["PROXY_URL", "HTTP_PROXY"])
async def test_a_configured_proxy_carries_every_upstream_request(
    server: ServerProcess, upstream: FakeUpstream, variable: str
) -> None:
    env = {"API_KEY": TEST_KEY, "API_ENDPOINT": "http://upstream.invalid/api/v1", variable: upstream.url}
    async with server.connect(env) as client:
        chat = ok(await client.call_tool("chat_completion", {"model": "openai/gpt-4o-mini", "messages": USER_HI}))
        valid = ok(await client.call_tool("validate_model", {"model": "openai/gpt-4o-mini"}))
    assert chat["model"] == "openai/gpt-4o-mini"
    assert valid["valid"] is True
    (sent,) = upstream.calls(CHAT, "POST")
    assert sent.proxied is True
    assert sent.path == "/api/v1/chat/completions"
    assert sent.headers["host"] == "upstream.invalid"
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert all(call.proxied for call in upstream.calls(MODELS))
