"""Concurrency, cancellation and bad input end to end: calls run side by side, a cancel closes its
upstream request, and invalid arguments are refused before anything is sent.

Every test starts the installed console script and drives it over stdio with the SDK's client against
the fake OpenRouter on 127.0.0.1; the tests only poll, never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from tests.conftest import ServerProcess
from tests.e2e.stdio_calls import USER, answer_of, assert_next_call_works, chat, wait_until
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion, sse_chunks
from tests.results import failed as error_of
from tests.results import ok, text_of

pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")

# --- concurrency -----------------------------------------------------------------------------------------


async def test_twenty_concurrent_calls_to_a_slow_upstream_take_about_one_upstream_delay(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, *[Reply(json=completion(content=f"answer {n}"), delay=0.5) for n in range(20)])
    answers: list[str] = []
    async with server.connect(env) as client:

        async def call() -> None:
            answers.append(answer_of(await chat(client)))

        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(call)
        elapsed = time.monotonic() - started
    assert sorted(answers) == sorted(f"answer {n}" for n in range(20))
    arrivals = [call.at for call in upstream.calls(CHAT)]
    assert len(arrivals) == 20
    # All twenty were at the upstream together, before the first answer came back.
    assert max(arrivals) - min(arrivals) < 0.5
    assert elapsed < 3.0


async def test_one_calls_upstream_failure_does_not_disturb_the_calls_running_beside_it(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(fault="reset", delay=0.3))
    upstream.script("POST", CHAT, *[Reply(json=completion(content=f"survivor {n}"), delay=1.0) for n in range(5)])
    finished: dict[str, float] = {}
    results: dict[str, CallToolResult] = {}
    async with server.connect(env) as client:
        # The store opens on first use (a one-time cost this test does not measure): open it first.
        ok(await client.call_tool("get_usage", {}))

        async def call(name: str) -> None:
            results[name] = await chat(client)
            finished[name] = time.monotonic()

        async with anyio.create_task_group() as group:
            group.start_soon(call, "doomed")
            await wait_until(lambda: len(upstream.calls(CHAT)) == 1)
            for n in range(5):
                group.start_soon(call, f"survivor {n}")
        await assert_next_call_works(client, upstream)
    assert "was lost before the answer was complete" in error_of(results.pop("doomed"))
    assert sorted(answer_of(result) for result in results.values()) == [f"survivor {n}" for n in range(5)]
    # The failure happened while the others were still waiting on the upstream.
    assert finished["doomed"] < min(at for name, at in finished.items() if name != "doomed")


# --- cancellation ------------------------------------------------------------------------------------------


async def _cancel_when(client: Client, condition: Callable[[], bool], **arguments: Any) -> float:
    """Start a chat call, cancel it (the SDK sends notifications/cancelled) once `condition` holds."""
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: client.call_tool("chat_completion", {"messages": USER, **arguments}))
        await wait_until(condition)
        cancelled_at = time.monotonic()
        group.cancel_scope.cancel()
    return cancelled_at


async def test_cancelling_a_call_closes_its_hanging_upstream_request_and_the_server_keeps_serving(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(fault="hang"))
    async with server.connect(env) as client:
        cancelled_at = await _cancel_when(client, lambda: len(upstream.calls(CHAT)) == 1)
        dropped_at = await anyio.to_thread.run_sync(upstream.wait_for_disconnect, 2.0)
        assert dropped_at is not None, "the upstream request stayed open after the MCP request was cancelled"
        assert dropped_at - cancelled_at < 2.0
        await assert_next_call_works(client, upstream)


async def test_cancelling_a_call_closes_its_slow_upstream_stream_and_the_server_keeps_serving(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(pieces=tuple("abcdefghijkl")), sse_gap=0.5))
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with server.connect(env) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: client.call_tool("chat_completion", {"messages": USER}, progress_callback=on_progress)
            )
            # Cancel only once tokens are flowing: the stream is open mid-body.
            await wait_until(lambda: any(" received (" in message for message in progress))
            cancelled_at = time.monotonic()
            group.cancel_scope.cancel()
        dropped_at = await anyio.to_thread.run_sync(upstream.wait_for_disconnect, 2.0)
        assert dropped_at is not None, "the upstream stream stayed open after the MCP request was cancelled"
        assert dropped_at - cancelled_at < 2.0
        await assert_next_call_works(client, upstream)
    assert upstream.calls(CHAT)[0].body["stream"] is True


# --- bad input -------------------------------------------------------------------------------------------------

MANY = [{"role": "user" if n % 2 == 0 else "assistant", "content": f"message {n}"} for n in range(101)]

INVALID_ARGUMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("chat_completion", {"messages": "hello"}, "messages: Input should be a valid list"),
    (
        "chat_completion",
        {"messages": [{"role": "user", "content": 42}]},
        "messages[0].content: expected a string or an array of content parts",
    ),
    ("chat_completion", {"messages": USER, "temperature": "hot"}, "temperature: Input should be a valid number"),
    ("chat_completion", {"messages": USER, "max_tokens": "ten"}, "max_tokens: Input should be a valid integer"),
    ("chat_completion", {"messages": USER, "provider": ["openai"]}, "provider: Input should be a valid dictionary"),
    ("chat_completion", {"messages": USER, "temperature": 2.5}, "temperature: Input should be less than or equal to 2"),
    (
        "chat_completion",
        {"messages": USER, "temperature": -0.1},
        "temperature: Input should be greater than or equal to 0",
    ),
    ("chat_completion", {"messages": USER, "top_p": 1.5}, "top_p: Input should be less than or equal to 1"),
    ("chat_completion", {"messages": USER, "frequency_penalty": -3}, "frequency_penalty: Input should be greater than"),
    ("chat_completion", {"messages": USER, "max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
    (
        "chat_completion",
        {"messages": [{"role": "wizard", "content": "hi"}]},
        "messages[0].role: Input should be 'system'",
    ),
    (
        "chat_completion",
        {"messages": [{"role": "tool", "content": "hi"}]},
        "messages[0].role: Input should be 'system'",
    ),
    ("chat_completion", {"messages": []}, "messages: List should have at least 1 item"),
    ("chat_completion", {"messages": MANY}, "messages: List should have at most 100 items"),
    ("chat_completion", {}, "messages: required"),
    ("chat_completion", {"messages": USER, "temprature": 1}, "temprature: unknown argument"),
    (
        "chat_completion",
        {"messages": [{"role": "user", "content": "hi", "mood": "x"}]},
        "messages[0].mood: unknown argument",
    ),
    ("chat_completion", {"messages": USER, "provider": {"sort": "cheapest"}}, "provider.sort"),
    ("search_models", {"limit": 1000}, "limit: Input should be less than or equal to 50"),
    ("search_models", {"limit": 0}, "limit: Input should be greater than or equal to 1"),
    ("search_models", {"minContextLength": "big"}, "minContextLength: Input should be a valid integer"),
    ("search_models", {"colour": "red"}, "colour: unknown argument"),
    ("get_model_info", {}, "model: required"),
]


async def test_invalid_arguments_are_refused_naming_the_field_without_any_upstream_call(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    wrong: list[str] = []
    async with server.connect(env) as client:
        for tool, arguments, expected in INVALID_ARGUMENTS:
            result = await client.call_tool(tool, arguments)
            text = text_of(result)
            if not (result.is_error and text.startswith(f"Error: Validation Error - {expected}")):
                wrong.append(f"{tool} {str(arguments)[:80]} -> {text[:200]}")
        assert wrong == []
        assert upstream.requests == []
        await assert_next_call_works(client, upstream)


async def test_a_five_megabyte_message_gets_a_clear_answer_without_an_upstream_call(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    huge = [{"role": "user", "content": "x" * 5_000_000}]
    async with server.connect(env) as client:
        text = error_of(await client.call_tool("chat_completion", {"messages": huge}))
        assert text.startswith("Error: Validation Error - messages: ")
        assert "context budget" in text
        assert len(text) < 1000
        assert upstream.calls(CHAT) == []
        await assert_next_call_works(client, upstream)


async def test_deeply_nested_junk_in_provider_is_refused_without_an_upstream_call(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    junk: Any = "bottom"
    for level in range(60):
        junk = {f"level{level}": [junk]}
    async with server.connect(env) as client:
        text = error_of(await chat(client, provider={"routing_hint": junk}))
        assert text.startswith("Error: Validation Error - provider: routing_hint: nested more than")
        assert upstream.calls(CHAT) == []
        await assert_next_call_works(client, upstream)
