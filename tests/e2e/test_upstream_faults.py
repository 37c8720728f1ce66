"""Upstream faults end to end: 429s and 5xx with retries, timeouts, broken answers, x-ratelimit-* headers.

Every test starts the installed console script and drives it over stdio with the SDK's client against
the fake OpenRouter on 127.0.0.1. Waits are scripted upstream delays or the server's own retry/rate-limit
waits, kept short with the REQUEST_TIMEOUT / OPENROUTER_* knobs; the tests only poll, never sleep.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from pathlib import Path

import anyio
import pytest
from mcp.types import CallToolResult

from tests.catalog_data import catalog
from tests.conftest import TEST_KEY, ServerProcess
from tests.e2e.stdio_calls import (
    FAKE_ANSWER,
    answer_of,
    assert_next_call_works,
    chat,
    chat_gap,
    free_port,
    upstream_error,
    wait_until,
)
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion, sse_chunks
from tests.results import failed as error_of

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


async def test_a_refused_connection_names_the_variable_that_set_the_url(server: ServerProcess) -> None:
    env = {
        "OPENROUTER_API_KEY": TEST_KEY,
        "OPENROUTER_BASE_URL": f"http://127.0.0.1:{free_port()}/api/v1",
        "OPENROUTER_MAX_RETRIES": "0",
    }
    async with server.connect(env) as client:
        text = error_of(await chat(client))
    assert text.startswith("Error: API Error - could not connect to 127.0.0.1: ")
    assert text.endswith("(check OPENROUTER_BASE_URL: is a server listening at that URL?)")
    assert TEST_KEY not in text


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
