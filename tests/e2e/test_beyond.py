"""Beyond the originals, end to end: rich results, progress streaming, OpenRouter parameters, key info.

Every chat body the server sends in these tests is checked against a hand-trimmed copy of
OpenRouter's `ChatRequest` schema (`chat_request_schema.py`).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.types import CallToolResult

from tests.conftest import TEST_KEY, ServerProcess
from tests.e2e.chat_request_schema import CHAT_REQUEST_SCHEMA, chat_body_problems
from tests.fake_upstream import CHAT, KEY, FakeUpstream, Recorded, Reply, completion, sse_chunks
from tests.results import failed as error_of
from tests.results import ok, text_of

USER = [{"role": "user", "content": "Say hello"}]


# --- helpers ---------------------------------------------------------------------------------------


def last_chat(upstream: FakeUpstream) -> Recorded:
    return upstream.calls(CHAT)[-1]


@dataclass
class Beat:
    at: float
    progress: float
    message: str


class ProgressLog:
    """A progress callback that keeps every notification with its arrival time."""

    def __init__(self) -> None:
        self.beats: list[Beat] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.beats.append(Beat(time.monotonic(), progress, message or ""))

    def values(self) -> list[float]:
        return [beat.progress for beat in self.beats]


async def chat_with_progress(client: Client, log: ProgressLog, **arguments: Any) -> CallToolResult:
    return await client.call_tool("chat_completion", {"messages": USER, **arguments}, progress_callback=log)


def strictly_increasing(values: list[float]) -> bool:
    return all(later > earlier for earlier, later in itertools.pairwise(values))


def chunk(**fields: Any) -> str:
    base = {"id": "gen-stream-1", "object": "chat.completion.chunk", "created": 1_760_000_000, "model": "m/x"}
    return "data: " + json.dumps(base | fields)


pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")


# --- the result ----------------------------------------------------------------------------------------


async def test_a_chat_result_carries_the_real_id_the_answering_model_provider_finish_reason_and_usage_with_cost(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    answer = completion(model="anthropic/claude-4.5-sonnet-20250929", content="ok")
    answer["id"] = "gen-1778777138-y0iwbTSBFZ0eELM0EhLt"
    answer["provider"] = "Anthropic"
    answer["choices"][0]["finish_reason"] = "length"
    answer["usage"] = {
        "prompt_tokens": 20,
        "completion_tokens": 7,
        "total_tokens": 27,
        "cost": 0.000165,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "cost_details": {"upstream_inference_cost": None},
        "completion_tokens_details": {"reasoning_tokens": 3, "image_tokens": 0},
    }
    upstream.script("POST", CHAT, Reply(json=answer))
    async with server.connect(env) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": USER}))
    assert last_chat(upstream).body["model"] == "openrouter/auto"
    assert result["id"] == "gen-1778777138-y0iwbTSBFZ0eELM0EhLt"
    assert result["model"] == "anthropic/claude-4.5-sonnet-20250929"
    assert result["provider"] == "Anthropic"
    assert result["choices"][0]["finish_reason"] == "length"
    assert result["choices"][0]["message"]["content"] == "ok"
    assert result["usage"] == answer["usage"]


async def test_the_provider_falls_back_to_the_x_provider_name_header_when_the_body_names_none(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    plain = completion()
    del plain["provider"]
    streamed = [event.replace('"provider": "FakeProvider", ', "") for event in sse_chunks()]
    assert not any("FakeProvider" in event for event in streamed)
    upstream.script("POST", CHAT, Reply(json=plain, headers={"X-Provider-Name": "DeepInfra"}))
    upstream.script("POST", CHAT, Reply(sse=streamed, headers={"X-Provider-Name": "Groq"}))
    async with server.connect(env) as client:
        assert ok(await client.call_tool("chat_completion", {"messages": USER}))["provider"] == "DeepInfra"
        assert ok(await client.call_tool("chat_completion", {"messages": USER, "stream": True}))["provider"] == "Groq"


async def test_every_chat_request_asks_openrouter_to_include_usage_and_cost(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER}))
        ok(await client.call_tool("chat_completion", {"messages": USER, "stream": True}))
        ok(await chat_with_progress(client, ProgressLog()))
    bodies = [call.body for call in upstream.calls(CHAT)]
    assert [body["usage"] for body in bodies] == [{"include": True}] * 3
    assert [body.get("stream", False) for body in bodies] == [False, True, True]


# --- progress --------------------------------------------------------------------------------------------------


async def test_a_call_with_a_progress_token_streams_upstream_and_reports_strictly_increasing_progress(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(pieces=("Hel", "lo", " there", "!")), sse_gap=0.25))
    log = ProgressLog()
    async with server.connect(env | {"OPENROUTER_PROGRESS_INTERVAL": "0.3"}) as client:
        result = ok(await chat_with_progress(client, log))
        returned_at = time.monotonic()
    assert last_chat(upstream).body["stream"] is True
    assert result["choices"][0]["message"]["content"] == "Hello there!"
    assert len(log.beats) >= 3
    assert strictly_increasing(log.values())
    assert all(beat.at <= returned_at for beat in log.beats)
    assert any(" received (" in beat.message for beat in log.beats)


async def test_progress_keeps_arriving_while_the_upstream_is_silent_with_processing_comments(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    silence = [": OPENROUTER PROCESSING"] * 5
    # The whole answer arrives in one write after the silence (the fake pauses between writes).
    answer = "\n\n".join(sse_chunks()[1:])
    upstream.script("POST", CHAT, Reply(sse=[*silence, answer], sse_gap=0.5))
    log = ProgressLog()
    async with server.connect(env | {"OPENROUTER_PROGRESS_INTERVAL": "0.3"}) as client:
        ok(await chat_with_progress(client, log))
    waiting = [beat for beat in log.beats if "received" not in beat.message]
    assert all(beat.message.startswith("waiting for the model's first token (") for beat in waiting[1:])
    # About 2.5 s without a token: a beat at least every 0.3 s, not one at the start and one at the end.
    assert len(waiting) >= 5
    assert max(later.at - earlier.at for earlier, later in itertools.pairwise(waiting)) < 0.8
    assert strictly_increasing(log.values())


async def test_a_progress_streamed_result_is_the_assembled_completion_with_usage_and_cost_from_the_last_chunk(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(model="openai/gpt-4o-mini", pieces=("Hel", "lo", "!"))))
    async with server.connect(env) as client:
        result = ok(await chat_with_progress(client, ProgressLog(), model="openrouter/auto"))
    assert result["id"] == "gen-stream-1"
    assert result["object"] == "chat.completion"
    assert result["model"] == "openai/gpt-4o-mini"
    assert result["provider"] == "FakeProvider"
    assert result["choices"] == [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello!", "tool_calls": None}}
    ]
    assert result["usage"] == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13, "cost": 0.00042}


async def test_a_mid_stream_error_is_a_clear_api_error_after_progress_was_reported(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    events = [
        ": OPENROUTER PROCESSING",
        chunk(provider="Minimax", choices=[{"index": 0, "delta": {"role": "assistant", "content": "We"}}]),
        chunk(provider="Minimax", choices=[{"index": 0, "delta": {"content": " need"}}]),
        chunk(
            provider="Minimax",
            error={"code": 400, "message": "Token limit reached"},
            choices=[{"index": 0, "delta": {"content": ""}, "finish_reason": None}],
        ),
        "data: [DONE]",
    ]
    upstream.script("POST", CHAT, Reply(sse=events, sse_gap=0.3))
    log = ProgressLog()
    async with server.connect(env | {"OPENROUTER_PROGRESS_INTERVAL": "0.3"}) as client:
        text = error_of(await chat_with_progress(client, log))
    assert text == "Error: API Error - 400: Token limit reached (the stream failed after 2 pieces of output)"
    assert any(" received (" in beat.message for beat in log.beats)
    assert strictly_increasing(log.values())


async def test_a_truncated_stream_is_a_clear_api_error_after_progress_was_reported(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(done=False)[:3], sse_gap=0.3, fault="close_mid_body"))
    log = ProgressLog()
    async with server.connect(env | {"OPENROUTER_PROGRESS_INTERVAL": "0.3"}) as client:
        text = error_of(await chat_with_progress(client, log))
        # The server is fine afterwards.
        assert ok(await client.call_tool("chat_completion", {"messages": USER}))["id"]
    assert text.startswith("Error: API Error - ")
    assert "lost before the answer was complete" in text
    assert any(" received (" in beat.message for beat in log.beats)
    assert strictly_increasing(log.values())


# --- OpenRouter parameters ------------------------------------------------------------------------------------


async def test_the_models_fallback_list_is_forwarded_in_order(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    fallbacks = ["anthropic/claude-3.5-sonnet", "openai/gpt-4o:nitro", "google/gemini-2.5-flash"]
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER, "models": fallbacks}))
        ok(await client.call_tool("chat_completion", {"messages": USER, "model": "x-ai/grok-4", "models": fallbacks}))
    first, second = (call.body for call in upstream.calls(CHAT))
    assert first["models"] == fallbacks
    assert "model" not in first  # no default model pushed in front of the caller's list
    assert second["model"] == "x-ai/grok-4"
    assert second["models"] == fallbacks


async def test_reasoning_seed_top_k_and_repetition_penalty_are_forwarded_unchanged(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    arguments = {"reasoning": {"effort": "max"}, "seed": 42, "top_k": 40, "repetition_penalty": 1.15}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER, **arguments}))
        ok(
            await client.call_tool(
                "chat_completion", {"messages": USER, "reasoning": {"max_tokens": 2000, "exclude": True}}
            )
        )
    first, second = (call.body for call in upstream.calls(CHAT))
    assert {name: first[name] for name in arguments} == arguments
    assert second["reasoning"] == {"max_tokens": 2000, "exclude": True}


FULL_PROVIDER: dict[str, Any] = {
    "order": ["anthropic", "openai", "google-vertex"],
    "allow_fallbacks": False,
    "require_parameters": True,
    "data_collection": "deny",
    "zdr": True,
    "only": ["anthropic", "openai"],
    "ignore": ["deepinfra"],
    "quantizations": ["fp8", "bf16"],
    "sort": "throughput",
    "max_price": {"prompt": 1, "completion": 2.5, "request": "0.01"},
    "preferred_min_throughput": {"p50": 100, "p90": 50},
    "preferred_max_latency": 3,
    # Not in the server's own provider model: passed on as OpenRouter grows.
    "enforce_distillable_text": True,
}


async def test_the_full_openrouter_provider_object_is_forwarded(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    by_partition = FULL_PROVIDER | {"sort": {"by": "price", "partition": "none"}, "preferred_min_throughput": 80.5}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": USER, "provider": FULL_PROVIDER}))
        ok(await client.call_tool("chat_completion", {"messages": USER, "provider": by_partition}))
    first, second = (call.body["provider"] for call in upstream.calls(CHAT))
    # OpenRouter types max_price values as strings: numbers are sent as their decimal text.
    prices = {"prompt": "1", "completion": "2.5", "request": "0.01"}
    assert first == FULL_PROVIDER | {"max_price": prices}
    assert second == by_partition | {"max_price": prices}


# --- the body schema ----------------------------------------------------------------------------------------------

SCHEMA_VARIANTS: list[dict[str, Any]] = [
    {"messages": USER},
    {"messages": [{"role": "system", "content": "Be brief."}, *USER, {"role": "assistant", "content": "Hi"}, *USER]},
    {"messages": USER, "model": "openai/gpt-4o:online", "temperature": 0, "max_tokens": 64, "top_p": 0.9},
    {"messages": USER, "frequency_penalty": -2, "presence_penalty": 2, "stop": "END"},
    {"messages": USER, "stop": ["a", "b", "c", "d"]},
    {"messages": USER, "stop": ["a", "b", "c", "d", "e"]},
    {"messages": USER, "response_format": {"type": "json_object"}},
    {
        "messages": USER,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "strict": True, "schema": {"type": "object"}},
        },
    },
    {"messages": USER, "models": ["a/b", "c/d"], "reasoning": {"effort": "minimal"}, "seed": -7, "top_k": 0},
    {"messages": USER, "repetition_penalty": 2, "provider": FULL_PROVIDER},
    {"messages": USER, "provider": {"sort": {"by": "latency"}, "max_price": {"prompt": 0}}},
    {"messages": USER, "stream": True, "provider": {"preferred_max_latency": {"p50": 2.5, "p99": 9}}},
]


async def test_every_chat_body_the_server_sends_validates_against_openrouters_chat_request_schema(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    defaults = {
        "OPENROUTER_PROVIDER_ORDER": '["openai", "anthropic"]',
        "OPENROUTER_PROVIDER_ALLOW_FALLBACKS": "false",
        "OPENROUTER_PROVIDER_REQUIRE_PARAMETERS": "false",
        "OPENROUTER_PROVIDER_DATA_COLLECTION": "deny",
        "OPENROUTER_PROVIDER_SORT": "price",
        "OPENROUTER_PROVIDER_QUANTIZATIONS": "fp8,fp16",
        "OPENROUTER_PROVIDER_IGNORE": "azure",
        "OPENROUTER_MAX_TOKENS": "512",
        "DEFAULT_TEMPERATURE": "0.3",
    }
    invalid: list[str] = []
    async with server.connect(env | defaults) as client:
        for arguments in SCHEMA_VARIANTS:
            sent = len(upstream.calls(CHAT))
            result = await client.call_tool("chat_completion", arguments)
            if len(upstream.calls(CHAT)) == sent:
                # Refusing an argument OpenRouter would reject is fine; sending it is not.
                assert text_of(result).startswith("Error: Validation Error - "), text_of(result)
                continue
            assert result.is_error is False, text_of(result)
            problems = chat_body_problems(last_chat(upstream).body)
            if problems:
                invalid.append(f"{json.dumps(arguments)[:120]}: {problems}")
        ok(await chat_with_progress(client, ProgressLog()))
    assert invalid == []
    assert len(upstream.calls(CHAT)) >= len(SCHEMA_VARIANTS)


def test_the_trimmed_chat_request_schema_is_valid_and_rejects_what_openrouter_rejects() -> None:
    jsonschema.Draft202012Validator.check_schema(CHAT_REQUEST_SCHEMA)
    good: dict[str, Any] = {
        "model": "openrouter/auto",
        "messages": USER,
        "provider": {"max_price": {"prompt": "1"}, "sort": {"by": "price", "partition": "model"}},
        "usage": {"include": True},
    }
    assert chat_body_problems(good) == []

    def broken(path: tuple[str, ...], value: Any) -> dict[str, Any]:
        body = copy.deepcopy(good)
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return body

    rejected = [
        broken(("provider", "max_price", "prompt"), 1),
        broken(("provider", "sort"), "cheapest"),
        broken(("provider", "colour"), "blue"),
        broken(("provider", "quantizations"), ["q4_0"]),
        broken(("messages",), []),
        broken(("messages",), [{"role": "tool", "content": "x"}]),
        broken(("stop",), ["1", "2", "3", "4", "5"]),
        broken(("temperature",), 3),
        broken(("max_tokens",), 1.5),
        broken(("usage",), {"include": "yes"}),
        broken(("max_token",), 10),
    ]
    assert [bool(chat_body_problems(body)) for body in rejected] == [True] * len(rejected)


# --- get_key_info -------------------------------------------------------------------------------------------------


async def test_get_key_info_reports_label_limit_remaining_usage_and_free_tier(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        result = ok(await client.call_tool("get_key_info", {}))
    assert result["label"] == "sk-or-v1-abc...xyz"
    assert result["limit"] == 20.0
    assert result["limit_remaining"] == 17.5
    assert result["usage"] == {"total": 2.5, "daily": 0.1, "weekly": 0.7, "monthly": 2.5}
    assert result["is_free_tier"] is False
    (call,) = upstream.calls(KEY)
    assert call.method == "GET"
    assert call.path == "/api/v1/key"
    assert call.headers["authorization"] == f"Bearer {TEST_KEY}"


async def test_get_key_info_with_a_rejected_key_answers_an_api_error_401(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("GET", KEY, Reply(401, json={"error": {"message": "No auth credentials found", "code": 401}}))
    async with server.connect(env) as client:
        text = error_of(await client.call_tool("get_key_info", {}))
    assert text == (
        "Error: API Error - 401: No auth credentials found"
        " (check the key in OPENROUTER_API_KEY (or API_KEY): the upstream did not accept it)"
    )
    assert len(upstream.calls(KEY)) == 1
