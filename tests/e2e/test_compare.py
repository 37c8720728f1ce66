"""compare_models end to end: the installed server over stdio, several models against the fake upstream.

Concurrency is shown structurally, never by timing thresholds: the fake upstream answers only once
every model's request is in flight at the same time (a barrier), and records how many were.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from tests.conftest import ServerProcess
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion
from tests.results import failed, ok

USER = [{"role": "user", "content": "Is 2**61-1 prime? One word."}]
THREE = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "google/gemini-2.5-flash"]

pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")


def upstream_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message}}


def answered(model: str, content: str, *, cost: float = 0.0001, **reply: Any) -> Reply:
    body = completion(model=f"{model}-20260101", content=content)
    body["id"] = f"gen-{model.split('/')[1]}"
    body["usage"]["cost"] = cost
    return Reply(json=body, **reply)


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll a condition that the fake upstream's threads make true."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"not true within {within} s")


class ProgressLog:
    def __init__(self) -> None:
        self.beats: list[tuple[float, str]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.beats.append((progress, message or ""))

    def messages(self) -> list[str]:
        return [message for _, message in self.beats]


# --- answers ------------------------------------------------------------------------------------------


async def test_compare_models_asks_every_model_at_once_and_answers_in_the_order_asked(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    for position, model in enumerate(THREE):
        upstream.script_model(model, answered(model, f"answer {position}", cost=0.0001 * (position + 1), barrier=3))
    async with server.connect(env) as client:
        result = ok(await client.call_tool("compare_models", {"models": THREE, "messages": USER}))
    assert upstream.max_in_flight == 3
    assert upstream.barrier_timeouts == 0
    assert result["object"] == "comparison"
    assert [entry["model"] for entry in result["results"]] == THREE
    assert [entry["content"] for entry in result["results"]] == ["answer 0", "answer 1", "answer 2"]
    first = result["results"][0]
    assert first["ok"] is True
    assert first["id"] == "gen-gpt-4o-mini"
    assert first["served_model"] == "openai/gpt-4o-mini-20260101"
    assert first["provider"] == "FakeProvider"
    assert first["finish_reason"] == "stop"
    assert first["usage"]["total_tokens"] == 17
    assert isinstance(first["latency_ms"], int)
    assert (result["succeeded"], result["failed"]) == (3, 0)
    assert result["total_cost"] == pytest.approx(0.0006)


async def test_each_model_gets_the_same_request_through_the_chat_path_with_its_own_model(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    arguments = {"models": THREE[:2], "messages": USER, "temperature": 0.2, "max_tokens": 64, "seed": 7}
    async with server.connect(env | {"OPENROUTER_PROVIDER_SORT": "price"}) as client:
        ok(await client.call_tool("compare_models", arguments))
    bodies = sorted((call.body for call in upstream.calls(CHAT)), key=lambda body: THREE.index(body["model"]))
    assert [body["model"] for body in bodies] == THREE[:2]
    for body in bodies:
        assert "models" not in body
        assert "stream" not in body
        assert body["messages"] == USER
        assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.2, 64, 7)
        assert body["provider"] == {"sort": "price"}
        assert body["usage"] == {"include": True}


async def test_a_failing_model_gets_its_own_error_while_the_others_answer(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script_model(THREE[0], answered(THREE[0], "yes", cost=0.0002))
    upstream.script_model(
        THREE[1], Reply(status=400, json=upstream_error(400, "anthropic/claude-3.5-sonnet is not a valid model ID"))
    )
    upstream.script_model(THREE[2], answered(THREE[2], "yes", cost=0.0003))
    async with server.connect(env) as client:
        result = ok(await client.call_tool("compare_models", {"models": THREE, "messages": USER}))
    assert result["results"][1] == {
        "model": "anthropic/claude-3.5-sonnet",
        "ok": False,
        "error": "Error: API Error - 400: anthropic/claude-3.5-sonnet is not a valid model ID",
    }
    assert [entry["ok"] for entry in result["results"]] == [True, False, True]
    assert (result["succeeded"], result["failed"]) == (2, 1)
    assert result["total_cost"] == pytest.approx(0.0005)


async def test_a_slow_model_does_not_hold_up_the_others_and_the_wall_time_is_the_slowest_not_the_sum(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script_model(THREE[0], answered(THREE[0], "fast", barrier=3))
    upstream.script_model(THREE[1], answered(THREE[1], "slow", barrier=3, delay=1.0))
    upstream.script_model(THREE[2], answered(THREE[2], "fast", barrier=3))
    async with server.connect(env) as client:
        # The store opens on first use (a one-time cost this test does not measure): open it first.
        ok(await client.call_tool("get_usage", {}))
        result = ok(await client.call_tool("compare_models", {"models": THREE, "messages": USER}))
    # All three were at the upstream together: the slow one's second is spent once, not added to the others.
    assert upstream.max_in_flight == 3
    assert upstream.barrier_timeouts == 0
    latencies = [entry["latency_ms"] for entry in result["results"]]
    assert latencies[1] >= 1000
    assert latencies[1] > max(latencies[0], latencies[2])
    assert [entry["content"] for entry in result["results"]] == ["fast", "slow", "fast"]


async def test_when_every_model_fails_the_call_is_an_api_error_naming_each_failure(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    # A 500 is retried (SPEC §4): with one retry allowed, it fails twice before it counts as failed.
    upstream.script_model(THREE[0], *[Reply(status=500, json=upstream_error(500, "Internal Server Error"))] * 2)
    upstream.script_model(THREE[1], Reply(status=402, json=upstream_error(402, "Insufficient credits")))
    upstream.script_model(THREE[2], Reply(status=400, json=upstream_error(400, "bad model")))
    async with server.connect(env | {"OPENROUTER_MAX_RETRIES": "1"}) as client:
        text = failed(await client.call_tool("compare_models", {"models": THREE, "messages": USER}))
    assert text.startswith("Error: API Error - all 3 models failed: ")
    assert "openai/gpt-4o-mini: API Error - 500: Internal Server Error" in text
    assert "anthropic/claude-3.5-sonnet: API Error - 402: Insufficient credits" in text
    assert "google/gemini-2.5-flash: API Error - 400: bad model" in text
    assert len(upstream.calls(CHAT)) == 4


async def test_without_a_key_the_comparison_is_refused_before_any_model_is_asked(
    server: ServerProcess, upstream: FakeUpstream
) -> None:
    async with server.connect({"OPENROUTER_BASE_URL": upstream.base_url}) as client:
        text = failed(await client.call_tool("compare_models", {"models": THREE, "messages": USER}))
    assert text.startswith("Error: Validation Error - OPENROUTER_API_KEY is not set")
    assert upstream.calls(CHAT) == []


BAD_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({"models": ["openai/gpt-4o-mini"]}, "Error: Validation Error - models: List should have at least 2 items"),
    (
        {"models": ["openai/gpt-4o-mini", "openai/gpt-4o-mini"]},
        "Error: Validation Error - models: each model may be listed once; openai/gpt-4o-mini is listed twice",
    ),
    (
        {"models": THREE, "model": "openai/gpt-4o"},
        "Error: Validation Error - model: unknown argument; compare_models takes the models to ask in `models`",
    ),
    ({"models": THREE, "stream": True}, "Error: Validation Error - stream: unknown argument"),
    ({"models": [f"m/{n}" for n in range(9)]}, "Error: Validation Error - models: List should have at most 8"),
    ({"models": THREE, "temperature": 5}, "Error: Validation Error - temperature: Input should be less than or equal"),
]


async def test_bad_compare_arguments_are_refused_naming_the_field_without_any_upstream_call(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        for arguments, expected in BAD_ARGUMENTS:
            text = failed(await client.call_tool("compare_models", {"messages": USER} | arguments))
            assert text.startswith(expected), (arguments, text)
    assert upstream.calls(CHAT) == []


async def test_compare_models_is_listed_with_a_description_saying_when_to_use_it(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    tool = tools["compare_models"]
    assert "second opinion" in (tool.description or "")
    assert tool.input_schema["required"] == ["messages", "models"]
    assert "model" not in tool.input_schema["properties"]
    assert "stream" not in tool.input_schema["properties"]


# --- progress and cancellation -----------------------------------------------------------------------------


async def test_progress_tells_as_each_model_answers_with_heartbeats_in_between(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script_model(THREE[0], answered(THREE[0], "a"))
    upstream.script_model(THREE[1], Reply(status=400, json=upstream_error(400, "boom"), delay=0.4))
    upstream.script_model(THREE[2], answered(THREE[2], "c", delay=1.2))
    log = ProgressLog()
    async with server.connect(env | {"OPENROUTER_PROGRESS_INTERVAL": "0.2"}) as client:
        result = ok(
            await client.call_tool("compare_models", {"models": THREE, "messages": USER}, progress_callback=log)
        )
    assert result["failed"] == 1
    messages = log.messages()
    finishes = [messages.index(f"{n} of 3 models answered") for n in (1, 2, 3)]
    assert finishes == sorted(finishes)
    assert messages[-1] == "3 of 3 models answered"
    assert set(messages) <= {f"{n} of 3 models answered" for n in range(4)}
    # More than the first beat and the three finishes: heartbeats while the slow model worked.
    assert len(messages) > 4
    values = [progress for progress, _ in log.beats]
    assert all(later > earlier for earlier, later in itertools.pairwise(values))


async def test_cancelling_a_comparison_mid_way_closes_every_open_upstream_connection(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script_model(THREE[0], answered(THREE[0], "quick"))
    upstream.script_model(THREE[1], Reply(fault="hang"))
    upstream.script_model(THREE[2], Reply(fault="hang"))
    log = ProgressLog()
    async with server.connect(env) as client:
        async with anyio.create_task_group() as group:

            async def call() -> None:
                await client.call_tool("compare_models", {"models": THREE, "messages": USER}, progress_callback=log)

            group.start_soon(call)
            # Mid-way: one model has answered, two are still waiting on the upstream.
            await wait_until(lambda: "1 of 3 models answered" in log.messages() and len(upstream.calls(CHAT)) == 3)
            group.cancel_scope.cancel()
        dropped = await anyio.to_thread.run_sync(upstream.wait_for_disconnects, 2, 5.0)
        assert dropped == 2, "an upstream request of the comparison stayed open after the cancel"
        assert {path for path, _ in upstream.disconnects} == {"/api/v1/chat/completions"}
        # The server keeps serving.
        after = ok(await client.call_tool("compare_models", {"models": THREE[:2], "messages": USER}))
    assert after["succeeded"] == 2
