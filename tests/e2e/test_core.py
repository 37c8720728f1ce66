"""The original's contract, driven over stdio against the fake OpenRouter on 127.0.0.1.

Each test starts the installed `openrouterai-mcp` console script (or `python -m openrouterai_mcp`)
and talks to it with the SDK's client, the way Claude Desktop does. The catalog tools' own tests are in
test_catalog_tools.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import TEST_KEY, ServerProcess, process_env
from tests.fake_upstream import CHAT, MODELS, FakeUpstream, Reply, completion
from tests.results import failed, ok, text_of

USER_HI = [{"role": "user", "content": "hi"}]
CATALOG_TOOLS = {"search_models", "get_model_info", "validate_model"}


def ids(payload: dict[str, Any]) -> set[str]:
    return {model["id"] for model in payload["data"]}


# --- tools/list -----------------------------------------------------------------------------------


async def test_tools_list_shows_the_four_tools_with_the_originals_schema_constraints(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        listed = await client.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    assert {"chat_completion", *CATALOG_TOOLS} <= tools.keys()
    for tool in tools.values():
        assert tool.description

    chat = tools["chat_completion"].input_schema
    assert chat["required"] == ["messages"]
    messages = chat["properties"]["messages"]
    assert messages["type"] == "array"
    assert (messages["minItems"], messages["maxItems"]) == (1, 100)
    assert messages["items"]["properties"]["role"]["enum"] == ["system", "user", "assistant"]
    assert messages["items"]["properties"]["content"]["oneOf"][0] == {"type": "string"}
    assert set(messages["items"]["required"]) == {"role", "content"}
    temperature = chat["properties"]["temperature"]
    assert (temperature["type"], temperature["minimum"], temperature["maximum"]) == ("number", 0, 2)
    assert chat["properties"]["model"]["type"] == "string"

    provider = chat["properties"]["provider"]["properties"]
    seven = {"quantizations", "ignore", "sort", "order", "require_parameters", "data_collection", "allow_fallbacks"}
    assert seven <= provider.keys()
    for name in ("quantizations", "ignore", "order"):
        assert provider[name]["type"] == "array"
        assert provider[name]["items"]["type"] == "string"
    assert provider["require_parameters"]["type"] == "boolean"
    assert provider["allow_fallbacks"]["type"] == "boolean"
    assert provider["data_collection"]["enum"] == ["allow", "deny"]
    sort_enums = [option.get("enum") for option in provider["sort"].get("anyOf", [provider["sort"]])]
    assert ["price", "throughput", "latency"] in sort_enums

    search = tools["search_models"].input_schema["properties"]
    camel = {"query", "provider", "minContextLength", "maxContextLength", "maxPromptPrice", "maxCompletionPrice"}
    assert camel | {"capabilities", "limit"} <= search.keys()
    assert {"functions", "tools", "vision", "json_mode"} <= set(search["capabilities"]["properties"])
    assert (search["limit"]["minimum"], search["limit"]["maximum"], search["limit"]["default"]) == (1, 50, 10)

    for name in ("get_model_info", "validate_model"):
        schema = tools[name].input_schema
        assert schema["required"] == ["model"]
        assert schema["properties"]["model"]["type"] == "string"


async def test_arguments_outside_the_schema_are_refused_as_validation_errors_without_reaching_upstream(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    too_many = [{"role": "user", "content": str(i)} for i in range(101)]
    bad_calls = [
        ("chat_completion", {"messages": []}),
        ("chat_completion", {"messages": too_many}),
        ("chat_completion", {"messages": [{"role": "tool", "content": "x"}]}),
        ("chat_completion", {"messages": USER_HI, "temperature": 2.5}),
        ("chat_completion", {"messages": USER_HI, "provider": {"sort": "cheapest"}}),
        ("search_models", {"limit": 51}),
        ("search_models", {"limit": 0}),
    ]
    async with server.connect(env) as client:
        texts = [failed(await client.call_tool(name, arguments)) for name, arguments in bad_calls]
        still_alive = ok(await client.call_tool("validate_model", {"model": "openai/gpt-4o-mini"}))
    for text in texts:
        assert text.startswith("Error: Validation Error - "), text
    assert still_alive == {"model": "openai/gpt-4o-mini", "valid": True}
    assert upstream.calls(CHAT) == []


# --- chat_completion: envelope and defaults -----------------------------------------------------------


async def test_chat_success_is_one_text_item_holding_a_chat_completion_as_indented_json(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        result = await client.call_tool("chat_completion", {"model": "openai/gpt-4o-mini", "messages": USER_HI})
    payload = ok(result)
    assert text_of(result) == json.dumps(payload, indent=2, ensure_ascii=False)
    assert payload["object"] == "chat.completion"
    assert isinstance(payload["created"], int)
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "Hello from the fake upstream"
    assert "tool_calls" in choice["message"]
    usage = payload["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (12, 5, 17)


async def test_chat_without_a_model_or_temperature_sends_openrouter_auto_at_temperature_1(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    body = upstream.calls(CHAT, "POST")[0].body
    assert body["model"] == "openrouter/auto"
    assert body["temperature"] == 1
    assert "max_tokens" not in body
    assert body["messages"] == USER_HI


async def test_chat_uses_the_configured_default_model_and_max_tokens_unless_the_call_overrides_them(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env |= {"OPENROUTER_DEFAULT_MODEL": "mistralai/mistral-7b-instruct", "OPENROUTER_MAX_TOKENS": "321"}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
        ok(
            await client.call_tool(
                "chat_completion",
                {"model": "openai/gpt-4o-mini", "messages": USER_HI, "max_tokens": 50, "temperature": 0},
            )
        )
    defaulted, overridden = (call.body for call in upstream.calls(CHAT, "POST"))
    assert (defaulted["model"], defaulted["max_tokens"], defaulted["temperature"]) == (
        "mistralai/mistral-7b-instruct",
        321,
        1,
    )
    assert (overridden["model"], overridden["max_tokens"], overridden["temperature"]) == ("openai/gpt-4o-mini", 50, 0)


async def test_every_chat_request_carries_bearer_auth_and_attribution_headers(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    headers = upstream.calls(CHAT, "POST")[0].headers
    assert headers["authorization"] == f"Bearer {TEST_KEY}"
    assert headers["http-referer"].startswith("http")
    assert headers["x-title"]
    assert headers["content-type"].startswith("application/json")


async def test_routing_suffixes_on_model_ids_reach_the_upstream_untouched(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    models = ["anthropic/claude-3.5-sonnet:nitro", "openai/gpt-4o-mini:floor", "openai/gpt-4o:online"]
    models.append("meta-llama/llama-3.1-8b-instruct:free")
    async with server.connect(env) as client:
        for model in models:
            ok(await client.call_tool("chat_completion", {"model": model, "messages": USER_HI}))
    assert [call.body["model"] for call in upstream.calls(CHAT, "POST")] == models


async def test_result_reports_the_upstreams_real_id_and_the_model_that_actually_answered(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    answer = completion(model="anthropic/claude-3.5-sonnet", content="routed") | {"id": "gen-1760000000-RealId42"}
    upstream.script("POST", CHAT, Reply(json=answer))
    async with server.connect(env) as client:
        payload = ok(await client.call_tool("chat_completion", {"model": "openrouter/auto", "messages": USER_HI}))
    assert payload["id"] == "gen-1760000000-RealId42"
    assert payload["model"] == "anthropic/claude-3.5-sonnet"
    assert payload["choices"][0]["message"]["content"] == "routed"
    assert upstream.calls(CHAT, "POST")[0].body["model"] == "openrouter/auto"


# --- provider routing defaults --------------------------------------------------------------------------


PROVIDER_ENV = {
    "OPENROUTER_PROVIDER_QUANTIZATIONS": "fp16,int8",
    "OPENROUTER_PROVIDER_IGNORE": "azure, together",
    "OPENROUTER_PROVIDER_SORT": "price",
    "OPENROUTER_PROVIDER_ORDER": '["openai", "anthropic"]',
    "OPENROUTER_PROVIDER_REQUIRE_PARAMETERS": "false",
    "OPENROUTER_PROVIDER_DATA_COLLECTION": "deny",
    "OPENROUTER_PROVIDER_ALLOW_FALLBACKS": "false",
}


async def test_provider_env_defaults_reach_the_request_including_false_booleans_and_merge_per_field_with_the_call(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env |= PROVIDER_ENV
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
        ok(
            await client.call_tool(
                "chat_completion",
                {
                    "messages": USER_HI,
                    "provider": {"sort": "latency", "allow_fallbacks": True, "order": ["mistral"], "zdr": True},
                },
            )
        )
    from_env, merged = (call.body["provider"] for call in upstream.calls(CHAT, "POST"))
    assert from_env == {
        "quantizations": ["fp16", "int8"],
        "ignore": ["azure", "together"],
        "sort": "price",
        "order": ["openai", "anthropic"],
        "require_parameters": False,
        "data_collection": "deny",
        "allow_fallbacks": False,
    }
    assert merged == from_env | {"sort": "latency", "allow_fallbacks": True, "order": ["mistral"], "zdr": True}


async def test_provider_order_given_as_a_comma_list_becomes_an_array(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env |= {"OPENROUTER_PROVIDER_ORDER": "openai, anthropic,google-vertex"}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    assert upstream.calls(CHAT, "POST")[0].body["provider"] == {"order": ["openai", "anthropic", "google-vertex"]}


# --- trimming ----------------------------------------------------------------------------------------


async def test_an_over_long_conversation_is_trimmed_oldest_first_keeping_the_system_message_first(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    # The original's budget: 200,000 tokens at 4 characters per token = 800,000 characters.
    system = {"role": "system", "content": "You are terse."}
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}:" + "x" * 100_000} for i in range(9)]
    last = {"role": "user", "content": "And now the actual question?"}
    messages = [system, *history, last]
    async with server.connect(env) as client:
        payload = ok(await client.call_tool("chat_completion", {"messages": messages}))
    sent = upstream.calls(CHAT, "POST")[0].body["messages"]
    assert sent[0] == system
    assert sent[-1] == last
    assert len(sent) < len(messages)
    assert sum(len(m["content"]) for m in sent) <= 800_000
    # Oldest first: what is kept is the most recent part of the history, in order.
    kept_history = sent[1:-1]
    assert kept_history == history[len(history) - len(kept_history) :]
    assert "trimmed" in payload
    assert payload["trimmed"]["removed_messages"] == len(messages) - len(sent)


async def test_a_conversation_within_budget_is_sent_whole_and_not_marked_trimmed(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "system", "content": "late system"},
        {"role": "user", "content": "second"},
    ]
    async with server.connect(env) as client:
        payload = ok(await client.call_tool("chat_completion", {"messages": messages}))
    assert upstream.calls(CHAT, "POST")[0].body["messages"] == messages
    assert "trimmed" not in payload


# --- upstream errors ----------------------------------------------------------------------------------


async def test_upstream_http_errors_read_api_error_with_the_status_and_openrouters_own_message(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script(
        "POST",
        CHAT,
        Reply(status=401, json={"error": {"message": "No auth credentials found", "code": 401}}),
        Reply(
            status=402,
            json={
                "error": {
                    "message": "This request requires more credits, or fewer max_tokens.",
                    "code": 402,
                }
            },
        ),
        Reply(status=404, json={"error": {"message": "No endpoints found for nope/nothing.", "code": 404}}),
    )
    async with server.connect(env) as client:
        texts = [failed(await client.call_tool("chat_completion", {"messages": USER_HI})) for _ in range(3)]
    assert texts == [
        "Error: API Error - 401: No auth credentials found"
        " (check the key in OPENROUTER_API_KEY (or API_KEY): the upstream did not accept it)",
        "Error: API Error - 402: This request requires more credits, or fewer max_tokens.",
        "Error: API Error - 404: No endpoints found for nope/nothing.",
    ]
    assert len(upstream.calls(CHAT, "POST")) == 3  # none of these is retried


async def test_a_429_that_outlasts_the_retries_reads_rate_limit(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env |= {"OPENROUTER_MAX_RETRIES": "0"}
    upstream.script(
        "POST",
        CHAT,
        Reply(status=429, json={"error": {"message": "Rate limit exceeded: free-models-per-min.", "code": 429}}),
    )
    async with server.connect(env) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": USER_HI}))
    assert text.startswith("Error: Rate Limit - ")
    assert "429" in text
    assert "Rate limit exceeded: free-models-per-min." in text


# --- no key, secrets, bad configuration ------------------------------------------------------------------


async def test_without_a_key_the_server_starts_serves_the_catalog_and_refuses_chat_clearly(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    env = {"OPENROUTER_BASE_URL": upstream.base_url}
    async with server.connect(env) as client:
        found = ok(await client.call_tool("search_models", {"query": "claude"}))
        info = ok(await client.call_tool("get_model_info", {"model": "openai/gpt-4o-mini"}))
        valid = ok(await client.call_tool("validate_model", {"model": "openai/gpt-4o-mini"}))
        chat = failed(await client.call_tool("chat_completion", {"messages": USER_HI}))
    assert ids(found) == {"anthropic/claude-3.5-sonnet"}
    assert info["id"] == "openai/gpt-4o-mini"
    assert valid == {"model": "openai/gpt-4o-mini", "valid": True}
    assert chat.startswith("Error: Validation Error - OPENROUTER_API_KEY is not set")
    assert upstream.calls(CHAT) == []
    assert "authorization" not in upstream.calls(MODELS)[0].headers


async def test_the_api_key_never_appears_in_results_or_in_the_debug_log(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env |= {"OPENROUTER_LOG_LEVEL": "DEBUG", "OPENROUTER_MAX_RETRIES": "0"}
    upstream.script(
        "GET", MODELS, Reply(status=500, json={"error": {"message": f"backend failed for key {TEST_KEY}", "code": 500}})
    )
    upstream.script(
        "POST",
        CHAT,
        Reply(status=401, json={"error": {"message": f"Invalid key: {TEST_KEY}", "code": 401}}),
        Reply(status=400, body=f"<html>bad request with Authorization: Bearer {TEST_KEY}</html>".encode()),
        Reply(fault="malformed"),
        Reply(status=503, json={"error": {"message": "upstream down", "code": 503}}),
    )
    async with server.connect(env) as client:
        results = [await client.call_tool("search_models", {"query": "x"})]
        results += [await client.call_tool("chat_completion", {"messages": USER_HI}) for _ in range(4)]
    texts = [failed(result) for result in results]
    assert texts[0].startswith("Error: API Error - 500")
    assert texts[1].startswith("Error: API Error - 401")
    for text in texts:
        assert TEST_KEY not in text
    log = server.stderr_text()
    assert "DEBUG" in log  # the log was really written at DEBUG level
    assert TEST_KEY not in log
    assert "TESTKEY" not in log


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("OPENROUTER_PROVIDER_SORT", "cheapest", ["price", "throughput", "latency"]),
        ("OPENROUTER_MAX_TOKENS", "ten", ["number"]),
        ("OPENROUTER_PROVIDER_DATA_COLLECTION", "maybe", ["allow", "deny"]),
    ],
)
async def test_a_bad_config_value_still_starts_the_server_and_every_call_names_the_variable_and_its_allowed_values(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, variable: str, value: str, allowed: list[str]
) -> None:
    env |= {variable: value}
    async with server.connect(env) as client:
        listed = await client.list_tools()
        texts = [
            failed(await client.call_tool("chat_completion", {"messages": USER_HI})),
            failed(await client.call_tool("search_models", {})),
        ]
    assert "chat_completion" in {tool.name for tool in listed.tools}
    for text in texts:
        assert text.startswith("Error: Validation Error - invalid configuration: "), text
        assert variable in text
        assert value in text
        for word in allowed:
            assert word in text
    assert upstream.calls(CHAT) == []
    assert variable in server.stderr_text()


# --- launch and configuration sources ----------------------------------------------------------------------


async def test_a_dot_env_file_in_the_working_directory_configures_the_server(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    (server.workdir / ".env").write_text(
        f"OPENROUTER_API_KEY={TEST_KEY}\n"
        f"OPENROUTER_BASE_URL={upstream.base_url}\n"
        "OPENROUTER_DEFAULT_MODEL=mistralai/mistral-7b-instruct\n"
        "OPENROUTER_MAX_TOKENS=99\n",
        encoding="utf-8",
    )
    async with server.connect({}) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    sent = upstream.calls(CHAT, "POST")[0]
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert (sent.body["model"], sent.body["max_tokens"]) == ("mistralai/mistral-7b-instruct", 99)


async def test_python_dash_m_openrouterai_mcp_serves_the_same_tools(
    tmp_path: Path, env: dict[str, str], upstream: FakeUpstream
) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "openrouterai_mcp"],
        env=process_env({"OPENROUTER_DATA_DIR": str(tmp_path / "data"), **env}),
        cwd=str(tmp_path),
    )
    with (tmp_path / "stderr.log").open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            listed = await client.list_tools()
            valid = ok(await client.call_tool("validate_model", {"model": "openai/gpt-4o-mini"}))
            answer = ok(await client.call_tool("chat_completion", {"messages": USER_HI}))
    assert {"chat_completion", *CATALOG_TOOLS} <= {tool.name for tool in listed.tools}
    assert valid["valid"] is True
    assert answer["object"] == "chat.completion"
    assert len(upstream.calls(CHAT, "POST")) == 1
