"""Upstream faults, rate limits, concurrency, cancellation, bad input, secrets and lifecycle, end to end.

Every test starts the installed console script and drives it over stdio (the SDK's client, or raw
newline-delimited JSON-RPC where the bytes on stdout are the point) against the fake OpenRouter on
127.0.0.1. Waits are scripted upstream delays or the server's own retry/rate-limit waits, kept short
with the REQUEST_TIMEOUT / OPENROUTER_* knobs; the tests only poll, never sleep.
"""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from tests.catalog_data import catalog
from tests.conftest import TEST_KEY, ServerProcess, process_env, server_command
from tests.fake_upstream import CHAT, KEY, MODELS, FakeUpstream, Reply, completion, sse_chunks
from tests.results import failed as error_of
from tests.results import text_of

USER = [{"role": "user", "content": "Say hello"}]
FAKE_ANSWER = "Hello from the fake upstream"


# --- helpers ---------------------------------------------------------------------------------------


def answer_of(result: CallToolResult) -> str:
    text = text_of(result)
    assert result.is_error is False, text
    return json.loads(text)["choices"][0]["message"]["content"]


def upstream_error(status: int, message: str) -> dict[str, Any]:
    """An error body in OpenRouter's shape."""
    return {"error": {"code": status, "message": message}}


async def chat(client: Client, **arguments: Any) -> CallToolResult:
    return await client.call_tool("chat_completion", {"messages": USER, **arguments})


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll a condition that another thread (the fake upstream) or task makes true."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"not true within {within} s")


async def assert_next_call_works(client: Client, upstream: FakeUpstream) -> None:
    before = len(upstream.calls(CHAT))
    assert answer_of(await chat(client)) == FAKE_ANSWER
    assert len(upstream.calls(CHAT)) == before + 1


def chat_gap(upstream: FakeUpstream) -> float:
    """Seconds between the last two chat requests the fake received."""
    first, second = upstream.calls(CHAT)[-2:]
    return second.at - first.at


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")


# --- 429, 5xx and retries ---------------------------------------------------------------------------


async def test_a_429_with_retry_after_in_seconds_waits_that_long_then_succeeds(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script(
        "POST", CHAT, Reply(429, json=upstream_error(429, "Rate limit exceeded"), headers={"Retry-After": "2"})
    )
    async with server.connect(env) as client:
        assert answer_of(await chat(client)) == FAKE_ANSWER
    assert len(upstream.calls(CHAT)) == 2
    # Two seconds, not the 1-1.5 s a 429 without a usable Retry-After backs off for.
    assert 1.95 <= chat_gap(upstream) < 4.0


async def test_a_429_with_retry_after_as_an_http_date_waits_until_that_date_then_succeeds(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        # HTTP dates have whole seconds: three seconds ahead means a wait of more than two seconds,
        # longer than the 1-1.5 s a 429 without a usable Retry-After backs off for.
        retry_at = formatdate(time.time() + 3, usegmt=True)
        upstream.script(
            "POST", CHAT, Reply(429, json=upstream_error(429, "slow down"), headers={"Retry-After": retry_at})
        )
        assert answer_of(await chat(client)) == FAKE_ANSWER
    assert len(upstream.calls(CHAT)) == 2
    assert 1.9 <= chat_gap(upstream) < 4.5


async def test_a_429_asking_for_an_hour_waits_only_the_configured_maximum_then_succeeds(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env | {"OPENROUTER_MAX_RATE_LIMIT_WAIT": "0.5"}) as client:
        retry_at = formatdate(time.time() + 3600, usegmt=True)
        upstream.script(
            "POST", CHAT, Reply(429, json=upstream_error(429, "slow down"), headers={"Retry-After": retry_at})
        )
        assert answer_of(await chat(client)) == FAKE_ANSWER
    # Capped at 0.5 s; a 429 whose Retry-After went unread would back off for at least 1 s.
    assert 0.45 <= chat_gap(upstream) < 0.95


async def test_a_429_that_outlasts_the_retries_answers_with_the_rate_limit_category(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    limited = Reply(
        429, json=upstream_error(429, "Rate limit exceeded: free-models-per-min"), headers={"Retry-After": "0"}
    )
    upstream.script("POST", CHAT, *[limited] * 5)
    async with server.connect(env | {"OPENROUTER_MAX_RETRIES": "2"}) as client:
        text = error_of(await chat(client))
    assert text == "Error: Rate Limit - 429: Rate limit exceeded: free-models-per-min"
    assert len(upstream.calls(CHAT)) == 3


async def test_a_502_or_503_is_retried_after_a_backoff_and_the_call_succeeds(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        for count, status in ((2, 502), (4, 503)):
            upstream.script("POST", CHAT, Reply(status, json=upstream_error(status, "Provider returned error")))
            assert answer_of(await chat(client)) == FAKE_ANSWER, status
            assert len(upstream.calls(CHAT)) == count, status
            # Exponential backoff starts at 0.5 s (plus up to 0.5 s of jitter).
            assert 0.45 <= chat_gap(upstream) < 2.0, status


async def test_a_500_or_408_is_retried_after_a_backoff_and_the_call_succeeds(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        for count, status in ((2, 500), (4, 408)):
            upstream.script("POST", CHAT, Reply(status, json=upstream_error(status, "Internal Server Error")))
            assert answer_of(await chat(client)) == FAKE_ANSWER, status
            assert len(upstream.calls(CHAT)) == count, status
            assert 0.45 <= chat_gap(upstream) < 2.0, status


async def test_a_500_that_persists_is_tried_at_most_max_retries_plus_one_times_then_reported_with_its_message(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    failing = Reply(500, json=upstream_error(500, "Internal Server Error at the provider"))
    upstream.script("POST", CHAT, *[failing] * 3)
    async with server.connect(env | {"OPENROUTER_MAX_RETRIES": "2"}) as client:
        text = error_of(await chat(client))
        assert text == "Error: API Error - 500: Internal Server Error at the provider"
        assert len(upstream.calls(CHAT)) == 3
        await assert_next_call_works(client, upstream)


async def test_a_503_that_persists_ends_as_an_api_error_within_the_retry_budget(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, *[Reply(503, json=upstream_error(503, "No instances available"))] * 20)
    async with server.connect(env | {"OPENROUTER_RETRY_BUDGET": "1.5", "OPENROUTER_MAX_RETRIES": "10"}) as client:
        started = time.monotonic()
        text = error_of(await chat(client))
        elapsed = time.monotonic() - started
    assert text == "Error: API Error - 503: No instances available"
    assert 2 <= len(upstream.calls(CHAT)) <= 4
    assert elapsed < 1.5 + 1.0


async def test_a_503_that_persists_is_tried_at_most_max_retries_plus_one_times(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, *[Reply(503, json=upstream_error(503, "No instances available"))] * 5)
    async with server.connect(env | {"OPENROUTER_MAX_RETRIES": "1"}) as client:
        assert error_of(await chat(client)).startswith("Error: API Error - 503: ")
    assert len(upstream.calls(CHAT)) == 2


async def test_client_errors_400_401_402_403_are_reported_once_and_never_retried(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        for count, status in enumerate((400, 401, 402, 403), start=1):
            upstream.script("POST", CHAT, Reply(status, json=upstream_error(status, f"refused with {status}")))
            hint = " (check the key in OPENROUTER_API_KEY (or API_KEY): the upstream did not accept it)"
            expected = f"Error: API Error - {status}: refused with {status}" + (hint if status == 401 else "")
            assert error_of(await chat(client)) == expected
            assert len(upstream.calls(CHAT)) == count


# --- timeouts and broken answers -----------------------------------------------------------------------


async def test_a_hanging_upstream_times_out_after_request_timeout_with_a_clear_error(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(fault="hang"))
    async with server.connect(env | {"REQUEST_TIMEOUT": "1"}) as client:
        started = time.monotonic()
        text = error_of(await chat(client))
        elapsed = time.monotonic() - started
        assert text.startswith("Error: API Error - ")
        assert "within 1 s (REQUEST_TIMEOUT)" in text
        assert 0.9 <= elapsed < 2.5
        # The server let go of the hung connection rather than leaking it.
        assert await anyio.to_thread.run_sync(upstream.wait_for_disconnect, 2.0) is not None
        await assert_next_call_works(client, upstream)


async def test_a_chat_post_that_timed_out_after_being_sent_is_not_sent_again(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env | {"REQUEST_TIMEOUT": "1", "OPENROUTER_MAX_RETRIES": "3"}) as client:
        for count, streamed in enumerate((False, True), start=1):
            upstream.script("POST", CHAT, Reply(fault="hang"))
            assert "REQUEST_TIMEOUT" in error_of(await chat(client, stream=streamed))
            assert len(upstream.calls(CHAT)) == count, f"stream={streamed}: the timed-out POST was sent again"


async def test_a_refused_connection_is_retried_and_succeeds_once_the_upstream_listens(
    server: ServerProcess, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "OPENROUTER_API_KEY": TEST_KEY,
        "OPENROUTER_BASE_URL": f"http://127.0.0.1:{port}/api/v1",
        "OPENROUTER_LOG_LEVEL": "INFO",
        "OPENROUTER_MAX_RETRIES": "5",
    }
    outcome: dict[str, CallToolResult] = {}
    async with server.connect(env) as client:

        async def call() -> None:
            outcome["result"] = await chat(client)

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            # The first attempt found nothing listening; start listening during the backoff.
            await wait_until(lambda: "retrying after could not connect" in server.stderr_text())
            with FakeUpstream(catalog(), port=port) as late:
                await wait_until(lambda: "result" in outcome)
    assert answer_of(outcome["result"]) == FAKE_ANSWER
    assert len(late.calls(CHAT)) == 1


BROKEN_ANSWERS = {
    "reset": (Reply(fault="reset"), False, "the connection to 127.0.0.1 was lost before the answer was complete"),
    "close_mid_body": (
        Reply(json=completion(), fault="close_mid_body"),
        False,
        "the connection to 127.0.0.1 was lost before the answer was complete",
    ),
    "malformed_json": (Reply(fault="malformed"), False, "200: the upstream sent a body that is not valid JSON"),
    "empty_body": (Reply(fault="empty"), False, "200: the upstream sent an empty body"),
    "stream_cut_off": (
        Reply(sse=sse_chunks(done=False), fault="close_mid_body"),
        True,
        "the connection to 127.0.0.1 was lost before the answer was complete",
    ),
    "stream_without_done": (Reply(sse=sse_chunks(done=False)), True, "the upstream stream ended without [DONE]"),
}


async def test_each_broken_upstream_answer_is_a_clear_api_error_and_the_next_call_works(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        for fault, (reply, streamed, expected) in BROKEN_ANSWERS.items():
            before = len(upstream.calls(CHAT))
            upstream.script("POST", CHAT, reply)
            with anyio.fail_after(5):
                text = error_of(await chat(client, stream=streamed))
            assert text.startswith("Error: API Error - "), fault
            assert expected in text, (fault, text)
            # A chat POST whose answer broke may have reached the model: it is reported, not resent.
            assert len(upstream.calls(CHAT)) == before + 1, fault
            await assert_next_call_works(client, upstream)


# --- x-ratelimit-* headers -------------------------------------------------------------------------------


def _exhausted(reset: str) -> Reply:
    return Reply(
        json=completion(), headers={"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    )


async def test_remaining_zero_with_a_reset_in_seconds_holds_the_next_request_until_the_reset(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, _exhausted("2"))
    async with server.connect(env) as client:
        assert answer_of(await chat(client)) == FAKE_ANSWER
        with anyio.fail_after(5):
            assert answer_of(await chat(client)) == FAKE_ANSWER
    # Two seconds, not the one-second pause the limiter takes when it cannot read the reset.
    assert 1.9 <= chat_gap(upstream) < 4.0


async def test_remaining_zero_with_a_reset_in_epoch_milliseconds_holds_the_next_request_until_then(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        upstream.script("POST", CHAT, _exhausted(str(int((time.time() + 1.5) * 1000))))
        assert answer_of(await chat(client)) == FAKE_ANSWER
        with anyio.fail_after(5):
            assert answer_of(await chat(client)) == FAKE_ANSWER
    assert 1.2 <= chat_gap(upstream) < 3.5


async def test_a_rate_limit_reset_a_day_away_is_capped_by_max_rate_limit_wait(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, _exhausted(str(int((time.time() + 86_400) * 1000))))
    async with server.connect(env | {"OPENROUTER_MAX_RATE_LIMIT_WAIT": "1"}) as client:
        assert answer_of(await chat(client)) == FAKE_ANSWER
        with anyio.fail_after(5):
            assert answer_of(await chat(client)) == FAKE_ANSWER
    assert 0.8 <= chat_gap(upstream) < 3.0


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


# --- secrets and stdout, with a raw JSON-RPC client ----------------------------------------------------------


class RawServer:
    """The console script over pipes: newline-delimited JSON-RPC in, every stdout line kept."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        command = server_command()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=process_env(env),
            cwd=cwd,
        )
        self.lines: list[bytes] = []
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stderr: list[bytes] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
            threading.Thread(target=self._stderr.extend, args=(self.process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self._next_id = 0

    def _read_stdout(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.lines.append(line)
            try:
                self._messages.put(json.loads(line))
            except json.JSONDecodeError:
                continue

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message))

    def send_raw(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self.wait_for_response(self._next_id, timeout)

    def wait_for_response(self, request_id: int, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if message.get("id") == request_id and "method" not in message:
                return message

    def initialize(self) -> None:
        answer = self.request(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}},
        )
        assert "result" in answer, answer
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        answer = self.request("tools/call", {"name": name, "arguments": arguments})
        assert "result" in answer, answer
        return answer["result"]

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def stderr_text(self) -> str:
        self._readers[1].join(timeout=2)
        return b"".join(self._stderr).decode("utf-8", errors="replace")

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def raw_server(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], RawServer]]:
    started: list[RawServer] = []

    def start(env: dict[str, str]) -> RawServer:
        started.append(RawServer(env, tmp_path))
        return started[-1]

    yield start
    for process in started:
        process.cleanup()


def test_under_a_fault_heavy_debug_workload_the_key_never_leaks_and_stdout_is_only_json_rpc(
    raw_server: Callable[[dict[str, str]], RawServer], env: dict[str, str], upstream: FakeUpstream
) -> None:
    echo = f"Invalid credentials: Bearer {TEST_KEY}"
    upstream.script("POST", CHAT, Reply(401, json=upstream_error(401, echo)))
    upstream.script("POST", CHAT, *[Reply(429, json=upstream_error(429, echo), headers={"Retry-After": "0"})] * 2)
    upstream.script("POST", CHAT, Reply(fault="reset"), Reply(fault="malformed"), Reply(fault="hang"))
    upstream.script("POST", CHAT, Reply(json=completion(content=f"your key is {TEST_KEY}")))
    upstream.script(
        "POST", CHAT, Reply(sse=[*sse_chunks(done=False)[:2], "data: " + json.dumps(upstream_error(400, echo))])
    )
    upstream.script("GET", MODELS, *[Reply(500, body=f"<html>Authorization: Bearer {TEST_KEY}</html>".encode())] * 2)
    upstream.script("GET", KEY, Reply(401, json=upstream_error(401, echo)))
    server = raw_server(env | {"OPENROUTER_LOG_LEVEL": "DEBUG", "REQUEST_TIMEOUT": "1", "OPENROUTER_MAX_RETRIES": "1"})
    server.initialize()
    results = [server.call_tool("chat_completion", {"messages": USER}) for _ in range(6)]
    results.append(server.call_tool("chat_completion", {"messages": USER, "stream": True}))
    results.append(server.call_tool("search_models", {"query": "claude"}))
    results.append(server.call_tool("get_key_info", {}))
    results.append(
        server.call_tool("chat_completion", {"messages": [{"role": "user", "content": TEST_KEY}], "top_p": 9})
    )
    server.close_stdin()
    assert server.wait(5) == 0
    stderr = server.stderr_text()

    assert [result["isError"] for result in results] == [True, True, True, True, True, False, True, True, True, True]
    assert TEST_KEY not in json.dumps(results)
    assert "[redacted]" in json.dumps(results)
    assert "DEBUG" in stderr and "[redacted]" in stderr  # the redaction was exercised, not merely quiet
    assert TEST_KEY not in stderr
    assert server.lines, "the server wrote nothing to stdout"
    for line in server.lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
        assert TEST_KEY.encode() not in line


def test_a_request_nested_too_deeply_for_the_json_parser_does_not_take_the_server_down(
    raw_server: Callable[[dict[str, str]], RawServer], env: dict[str, str], upstream: FakeUpstream
) -> None:
    server = raw_server(env)
    server.initialize()
    depth = 5000
    junk = '{"a": ' * depth + '"bottom"' + "}" * depth
    server.send_raw(
        '{"jsonrpc": "2.0", "id": 500, "method": "tools/call", "params": {"name": "chat_completion", '
        f'"arguments": {{"messages": {json.dumps(USER)}, "provider": {{"junk": {junk}}}}}}}}}'
    )
    # The SDK's transport drops a line it cannot parse (no answer to id 500); the server must live on.
    result = server.call_tool("chat_completion", {"messages": USER})
    assert result["isError"] is False
    assert len(upstream.calls(CHAT)) == 1
    server.close_stdin()
    assert server.wait(5) == 0
    assert "Traceback" not in server.stderr_text()


# --- lifecycle ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_flight", [False, True], ids=["idle", "request_in_flight"])
@pytest.mark.parametrize("ending", ["stdin_eof", "sigterm"])
def test_the_server_exits_promptly_and_cleanly_on_stdin_eof_or_sigterm(
    ending: str,
    in_flight: bool,
    raw_server: Callable[[dict[str, str]], RawServer],
    env: dict[str, str],
    upstream: FakeUpstream,
) -> None:
    server = raw_server(env)
    server.initialize()
    if in_flight:
        upstream.script("POST", CHAT, Reply(fault="hang"))
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 99,
                "method": "tools/call",
                "params": {"name": "chat_completion", "arguments": {"messages": USER}},
            }
        )
        deadline = time.monotonic() + 5
        while not upstream.calls(CHAT):
            assert time.monotonic() < deadline, "the chat request never reached the upstream"
            time.sleep(0.01)
    started = time.monotonic()
    if ending == "sigterm":
        server.process.send_signal(signal.SIGTERM)
    else:
        server.close_stdin()
    status = server.wait(5)
    took = time.monotonic() - started
    assert status == 0
    assert took < 1.0
    assert "Traceback" not in server.stderr_text()
    for line in server.lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
