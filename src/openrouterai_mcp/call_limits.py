"""Per-user limits and cancellation for the team server, as MCP middleware (one instance per process).

Concurrency: a user may run `max_per_user` tool calls at once on this process; one more is answered
`Error: Rate Limit - …` at once, so one user's burst cannot starve the others.

Cancellation: in stateless Streamable HTTP a client's `notifications/cancelled` arrives as a POST of
its own, which the SDK hands to a fresh transport that knows nothing of the call it names. So calls
in flight are registered here by (user, request id), and a cancel from the same user cancels the one
call it names. Request ids are chosen by clients, so when the same user has two calls in flight with
that id (two clients), neither is cancelled: a cancel must never stop another client's work. A cancel
that reaches another replica than the one running the call finds nothing there (best effort; clients
of the 2026-07-28 protocol cancel by closing the response stream, which always works).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .tools.base import caller_in_request

logger = logging.getLogger(__name__)

# JSON-RPC error for a call stopped by the client's own cancel; the client has stopped waiting for it.
REQUEST_CANCELLED = -32800


def _busy(ctx: ServerRequestContext[Any, Any], user: str, limit: int) -> dict[str, Any]:
    text = (
        f"Error: Rate Limit - {user} already has {limit} calls running on this server "
        "(OPENROUTER_MCP_MAX_CONCURRENT_PER_USER); wait for one to finish and try again."
    )
    result = CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
    # A short-circuiting middleware owns its wire form: `resultType` exists only in the 2026-07-28 protocol.
    dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True, exclude={"result_type"})
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        dumped["resultType"] = "complete"
    return dumped


class CallLimits:
    def __init__(self, max_per_user: int) -> None:
        self.max_per_user = max_per_user
        self.running: dict[str, int] = defaultdict(int)
        self._in_flight: dict[tuple[str, str], list[anyio.CancelScope]] = defaultdict(list)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        caller = caller_in_request(ctx.request)
        if caller is None:
            return await call_next(ctx)
        if ctx.method == "tools/call" and ctx.request_id is not None:
            return await self._call(ctx, call_next, caller.user)
        if ctx.method == "notifications/cancelled":
            self._cancel(caller.user, (ctx.params or {}).get("requestId"))
        return await call_next(ctx)

    async def _call(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext, user: str) -> HandlerResult:
        if self.running[user] >= self.max_per_user:
            logger.warning("refused a call of %s: %d calls already running", user, self.running[user])
            return _busy(ctx, user, self.max_per_user)
        key = (user, str(ctx.request_id))
        self.running[user] += 1
        with anyio.CancelScope() as scope:
            self._in_flight[key].append(scope)
            try:
                return await call_next(ctx)
            finally:
                self._in_flight[key].remove(scope)
                if not self._in_flight[key]:
                    del self._in_flight[key]
                self.running[user] -= 1
                if not self.running[user]:
                    del self.running[user]
        raise MCPError(code=REQUEST_CANCELLED, message="Request cancelled")

    def _cancel(self, user: str, request_id: Any) -> None:
        if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
            return
        scopes = self._in_flight.get((user, str(request_id)), [])
        if len(scopes) == 1:
            logger.info("cancelling call %s of %s", request_id, user)
            scopes[0].cancel()
        elif scopes:
            logger.warning("not cancelling call %s of %s: %d calls carry that id", request_id, user, len(scopes))
