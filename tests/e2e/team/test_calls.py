"""Calls over HTTP: progress, cancellation, the per-user concurrency cap and graceful SIGTERM.

Both protocol eras are driven: `legacy` (the initialize handshake, where a cancel is a POST of its own)
and the SDK's default (2026-07-28 stateless requests, where a cancel closes the response stream).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

from tests.e2e.team.conftest import ALICE, BOB
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion, sse_chunks
from tests.results import failed, ok
from tests.team_server import MCP_HEADERS, TeamServer

USER = [{"role": "user", "content": "Say hello"}]
MODES = ["legacy", "auto"]


async def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll a condition that another thread (the fake upstream) or task makes true."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"not true within {within} s")


async def chat(client: Client, **options: Any) -> CallToolResult:
    return await client.call_tool("chat_completion", {"messages": USER}, **options)


# --- progress and cancellation ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_progress_notifications_reach_an_http_client_in_increasing_order(
    team: TeamServer, upstream: FakeUpstream, mode: str
) -> None:
    upstream.script("POST", CHAT, Reply(sse=sse_chunks(pieces=tuple("abcdef")), sse_gap=0.05))
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with team.connect(ALICE, mode=mode) as client:
        result = ok(await chat(client, progress_callback=on_progress))
    assert result["choices"][0]["message"]["content"] == "abcdef"
    assert len(seen) >= 2
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_a_call_over_http_closes_its_upstream_request_and_the_server_keeps_serving(
    team: TeamServer, upstream: FakeUpstream, mode: str
) -> None:
    upstream.script("POST", CHAT, Reply(fault="hang"))
    async with team.connect(ALICE, mode=mode) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: chat(client))
            await wait_until(lambda: len(upstream.calls(CHAT)) == 1)
            cancelled_at = time.monotonic()
            group.cancel_scope.cancel()
        dropped_at = await anyio.to_thread.run_sync(upstream.wait_for_disconnect, 5.0)
        assert dropped_at is not None, "the upstream request stayed open after the MCP request was cancelled"
        assert dropped_at - cancelled_at < 5.0
        ok(await chat(client))


async def test_a_cancel_from_another_user_does_not_stop_a_call(team: TeamServer, upstream: FakeUpstream) -> None:
    upstream.script("POST", CHAT, Reply(json=completion("openai/gpt-4o-mini"), delay=1.5))
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    async with team.connect(ALICE, mode="legacy") as client:
        results: list[CallToolResult] = []

        async def call() -> None:
            results.append(await chat(client))

        async with anyio.create_task_group() as group, team.http(BOB) as bob:
            group.start_soon(call)
            await wait_until(lambda: len(upstream.calls(CHAT)) == 1)
            for request_id in range(5):
                cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}
                response = await bob.post(team.url, json=cancel, headers=headers)
                assert response.status_code == 202
    assert upstream.disconnects == []
    ok(results[0])


# --- per-user concurrency -------------------------------------------------------------------------------


async def test_a_user_over_the_concurrent_call_limit_gets_a_rate_limit_error_and_others_are_served(
    tmp_path: Path, team_env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(fault="hang"), Reply(fault="hang"))
    server = TeamServer(tmp_path, {**team_env, "OPENROUTER_MCP_MAX_CONCURRENT_PER_USER": "2"}).start()
    try:
        async with server.connect(ALICE) as alice, server.connect(BOB) as bob:
            async with anyio.create_task_group() as group:
                group.start_soon(lambda: chat(alice))
                group.start_soon(lambda: chat(alice))
                await wait_until(lambda: len(upstream.calls(CHAT)) == 2)
                refused = failed(await chat(alice))
                served = ok(await chat(bob))
                group.cancel_scope.cancel()
            await wait_until(lambda: len(upstream.disconnects) == 2)
            again = ok(await chat(alice))
    finally:
        server.stop()
    assert refused.startswith("Error: Rate Limit - ")
    assert "OPENROUTER_MCP_MAX_CONCURRENT_PER_USER" in refused
    assert served["choices"][0]["message"]["content"]
    assert again["choices"][0]["message"]["content"]
    assert len(upstream.calls(CHAT)) == 4


# --- graceful shutdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_sigterm_lets_a_call_in_flight_finish_then_exits_0(
    team: TeamServer, upstream: FakeUpstream, mode: str
) -> None:
    upstream.script("POST", CHAT, Reply(delay=2.0, sse=sse_chunks(pieces=("slow", " answer"))))
    results: list[CallToolResult] = []
    async with team.connect(ALICE, mode=mode) as client:
        # As clients do; else the SDK lists the tools after the call (to check its output), when the server is gone.
        await client.list_tools()

        async def call() -> None:
            results.append(await chat(client, progress_callback=_ignore))

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await wait_until(lambda: len(upstream.calls(CHAT)) == 1)
            team.terminate()
            await wait_until(lambda: not _accepts(team))
    assert ok(results[0])["choices"][0]["message"]["content"] == "slow answer"
    assert await anyio.to_thread.run_sync(team.wait, 10) == 0
    assert "Traceback" not in team.stderr_text()


async def test_sigterm_ends_a_call_that_outlasts_the_grace_period_and_still_exits_0(
    tmp_path: Path, team_env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(fault="hang"))
    server = TeamServer(tmp_path, {**team_env, "OPENROUTER_MCP_SHUTDOWN_GRACE": "1"}).start()
    try:
        async with server.connect(ALICE) as client, anyio.create_task_group() as group:
            await client.list_tools()

            async def call() -> None:
                # The call is cut off when the grace period ends: the client sees the stream end, an error.
                with pytest.raises(MCPError):
                    await chat(client)

            group.start_soon(call)
            await wait_until(lambda: len(upstream.calls(CHAT)) == 1)
            started = time.monotonic()
            server.terminate()
            status = await anyio.to_thread.run_sync(server.wait, 10)
            group.cancel_scope.cancel()
    finally:
        server.stop()
    assert status == 0
    assert time.monotonic() - started < 8
    assert await anyio.to_thread.run_sync(upstream.wait_for_disconnect, 5.0) is not None


async def test_sigterm_on_an_idle_server_exits_0_without_waiting_for_the_grace_period(
    tmp_path: Path, team_env: dict[str, str]
) -> None:
    server = TeamServer(tmp_path, {**team_env, "OPENROUTER_MCP_SHUTDOWN_GRACE": "60"}).start()
    try:
        started = time.monotonic()
        server.terminate()
        status = await anyio.to_thread.run_sync(server.wait, 30)
    finally:
        server.stop()
    assert status == 0
    assert time.monotonic() - started < 30


async def _ignore(progress: float, total: float | None, message: str | None) -> None:
    del progress, total, message


def _accepts(server: TeamServer) -> bool:
    """Whether the server still accepts new connections."""
    try:
        httpx2.get(server.base + "/healthz", timeout=1.0)
    except httpx2.TransportError:
        return False
    return True


# --- JSON or SSE answers -----------------------------------------------------------------------------------


def _call(request_id: int, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"name": "chat_completion", "arguments": {"messages": USER}}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


async def test_a_call_without_a_progress_token_is_answered_in_json_and_one_with_a_token_as_a_stream(
    team: TeamServer,
) -> None:
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-11-25"}
    async with team.http(ALICE) as http:
        plain = await http.post(team.url, json=_call(1), headers=headers)
        streamed = await http.post(team.url, json=_call(2, {"progressToken": "p-1"}), headers=headers)
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["result"]["isError"] is False
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert '"progressToken":"p-1"' in streamed.text.replace(" ", "")
    assert '"id":2' in streamed.text.replace(" ", "")
