"""The team server's per-user call cap and cross-POST cancellation, driven as the SDK drives middleware."""

from __future__ import annotations

from typing import Any, cast

import anyio
import pytest
from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError

from openrouterai_mcp.call_limits import REQUEST_CANCELLED, CallLimits
from openrouterai_mcp.identity import Caller
from openrouterai_mcp.tools.base import CALLER_SCOPE_KEY


class _Request:
    def __init__(self, caller: Caller) -> None:
        self.scope = {CALLER_SCOPE_KEY: caller}


def _ctx(user: str, method: str, request_id: Any = None, params: dict[str, Any] | None = None) -> Any:
    return ServerRequestContext(
        session=cast("Any", None),
        lifespan_context=None,
        protocol_version="2025-11-25",
        method=method,
        params=params,
        request_id=request_id,
        request=_Request(Caller(user)),
    )


def _cancel(user: str, request_id: Any) -> Any:
    return _ctx(user, "notifications/cancelled", params={"requestId": request_id})


class _Calls:
    """Tool calls that wait until released, recording how each one ended."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.outcomes: list[str] = []

    async def handler(self, ctx: Any) -> HandlerResult:
        del ctx
        await self.release.wait()
        return {"content": []}

    async def run(self, limits: CallLimits, ctx: Any) -> None:
        try:
            await limits(ctx, self.handler)
        except MCPError as exc:
            assert exc.error.code == REQUEST_CANCELLED
            self.outcomes.append("cancelled")
        else:
            self.outcomes.append("finished")


async def _passthrough(ctx: Any) -> HandlerResult:
    del ctx
    return None


async def test_a_cancel_from_the_same_user_stops_the_call_it_names() -> None:
    limits, calls = CallLimits(4), _Calls()
    async with anyio.create_task_group() as group:
        group.start_soon(calls.run, limits, _ctx("alice", "tools/call", 7))
        await anyio.wait_all_tasks_blocked()
        await limits(_cancel("alice", 7), _passthrough)
    assert calls.outcomes == ["cancelled"]
    assert limits.running == {}


async def test_a_cancel_from_another_user_or_for_another_id_stops_nothing() -> None:
    limits, calls = CallLimits(4), _Calls()
    async with anyio.create_task_group() as group:
        group.start_soon(calls.run, limits, _ctx("alice", "tools/call", 7))
        await anyio.wait_all_tasks_blocked()
        await limits(_cancel("bob", 7), _passthrough)
        await limits(_cancel("alice", 8), _passthrough)
        await limits(_cancel("alice", True), _passthrough)
        calls.release.set()
    assert calls.outcomes == ["finished"]


async def test_a_cancel_naming_an_id_two_of_the_users_calls_share_stops_neither() -> None:
    # Two clients of one user both numbered a call 1: the cancel cannot tell which one it means.
    limits, calls = CallLimits(4), _Calls()
    async with anyio.create_task_group() as group:
        group.start_soon(calls.run, limits, _ctx("alice", "tools/call", 1))
        group.start_soon(calls.run, limits, _ctx("alice", "tools/call", 1))
        await anyio.wait_all_tasks_blocked()
        await limits(_cancel("alice", 1), _passthrough)
        calls.release.set()
    assert calls.outcomes == ["finished", "finished"]


@pytest.mark.parametrize("protocol", ["2025-11-25", "2026-07-28"])
async def test_a_call_over_the_users_cap_is_a_rate_limit_result_and_other_users_are_not_limited(
    protocol: str,
) -> None:
    limits, calls = CallLimits(2), _Calls()
    refused: HandlerResult = None
    async with anyio.create_task_group() as group:
        for request_id in (1, 2):
            group.start_soon(calls.run, limits, _ctx("alice", "tools/call", request_id))
        group.start_soon(calls.run, limits, _ctx("bob", "tools/call", 1))
        await anyio.wait_all_tasks_blocked()
        third = _ctx("alice", "tools/call", 3)
        third.protocol_version = protocol
        refused = await limits(third, calls.handler)
        assert limits.running == {"alice": 2, "bob": 1}
        calls.release.set()
    assert isinstance(refused, dict)
    assert refused["isError"] is True
    assert refused["content"][0]["text"].startswith("Error: Rate Limit - alice already has 2 calls running")
    assert ("resultType" in refused) == (protocol == "2026-07-28")
    assert calls.outcomes == ["finished"] * 3
    assert limits.running == {}
