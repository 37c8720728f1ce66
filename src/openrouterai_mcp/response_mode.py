"""Per request, a JSON or a server-sent-events answer over Streamable HTTP (the team server only).

The SDK picks one for the whole server. On the handshake protocol (2025-11-25 and earlier) an SSE
answer costs about 3 ms more per call (sse-starlette's machinery), and only a call that carries a
`progressToken` has anything to stream: its progress notifications. So such a request whose body names
no `progressToken` is answered with plain JSON, and one that does with SSE; the spec lets the server
choose, and every client accepts both. Requests of the 2026-07-28 protocol always take the SDK's SSE
path: it answers JSON anyway unless something is streamed, and it is the path that cancels a call when
the client closes the connection (that protocol's only way to cancel).

The choice travels to the SDK's session manager in a context variable: the manager reads
`json_response` while it builds the request's transport, in the request's own task, so concurrent
requests never see each other's choice.
"""

from __future__ import annotations

from collections import deque
from contextvars import ContextVar
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import RequestBodyLimitMiddleware
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_JSON_ANSWER: ContextVar[bool] = ContextVar("openrouterai_mcp_json_answer", default=False)
_PROGRESS_TOKEN = b'"progressToken"'


class PerRequestSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, answering in JSON or SSE as this request's `ResponseMode` decided."""

    @property
    def json_response(self) -> bool:  # pyright: ignore[reportIncompatibleVariableOverride]
        return _JSON_ANSWER.get()

    @json_response.setter
    def json_response(self, value: bool) -> None:
        del value  # the constructor's server-wide setting: chosen per request instead


class _ResponseMode:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        # The body is already whole and within the limit (the middleware outside reads it first).
        messages: deque[Message] = deque()
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        async def replay() -> Message:
            return messages.popleft() if messages else await receive()

        version = next((value for key, value in scope["headers"] if key == b"mcp-protocol-version"), None)
        handshake_era = version is None or version.decode("latin-1") in HANDSHAKE_PROTOCOL_VERSIONS
        # A plain byte search: no second JSON parse of a body that may hold megabytes of attachments.
        _JSON_ANSWER.set(handshake_era and _PROGRESS_TOKEN not in body)
        await self.app(scope, replay, send)


def response_mode(app: ASGIApp, max_body_size: int) -> Any:
    """`app` behind the body cap (413) and the per-request JSON/SSE choice."""
    return RequestBodyLimitMiddleware(_ResponseMode(app), max_body_size)
