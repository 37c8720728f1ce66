"""A real HTTP server on 127.0.0.1 that imitates OpenRouter (and OpenAI-compatible / Anthropic APIs).

Each test scripts what a route answers next with `Reply` objects: status, JSON or raw body, headers,
a delay, a fault (hang, reset, close mid-body, malformed JSON, empty body) or a server-sent-event
stream (optionally cut short). Chat answers can be scripted per requested model (for several
models asked at once), and a reply can wait until a number of requests are in flight together
(a barrier: proof of concurrency that does not depend on timing). It records every request, how
many were in flight at most, and notices when the client drops a connection, so tests can assert
on what the server under test sent and when it gave up.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

Fault = Literal["hang", "reset", "close_mid_body", "malformed", "empty"]

# Routes, recognised by the end of the request path.
CHAT = "chat/completions"
MODELS = "models"
KEY = "key"
MESSAGES = "messages"
BARRIER_WAIT = 10.0


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: Fault | None = None
    # Server-sent events: each item is one event's text (e.g. 'data: {...}' or ': OPENROUTER PROCESSING').
    sse: list[str] | None = None
    sse_gap: float = 0.0
    # Answer only once this many requests are in flight at the same time (at most BARRIER_WAIT seconds).
    barrier: int = 0


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    proxied: bool
    at: float


def route_of(path: str) -> str:
    clean = urlsplit(path).path.rstrip("/")
    for route in (CHAT, MESSAGES, MODELS, KEY):
        if clean.endswith("/" + route) or clean == route:
            return route
    return clean


def completion(
    model: str = "openai/gpt-4o-mini", content: str = "Hello from the fake upstream", n: int = 1
) -> dict[str, Any]:
    return {
        "id": f"gen-fake-{n}",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": model,
        "provider": "FakeProvider",
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "native_finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 5,
            "total_tokens": 17,
            "cost": 0.000123,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def sse_chunks(
    model: str = "openai/gpt-4o-mini", pieces: tuple[str, ...] = ("Hel", "lo", "!"), *, done: bool = True
) -> list[str]:
    """A streamed answer in OpenRouter's shape: keep-alive comment, deltas, finish, usage chunk, [DONE]."""
    base = {
        "id": "gen-stream-1",
        "provider": "FakeProvider",
        "model": model,
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
    }
    events = [": OPENROUTER PROCESSING"]
    for piece in pieces:
        chunk = base | {
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]
        }
        events.append("data: " + json.dumps(chunk))
    events.append("data: " + json.dumps(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    usage = {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10 + len(pieces), "cost": 0.00042}
    events.append("data: " + json.dumps(base | {"choices": [], "usage": usage}))
    if done:
        events.append("data: [DONE]")
    return events


def anthropic_message(model: str = "claude-sonnet-4-5", text: str = "Hello from fake Anthropic") -> dict[str, Any]:
    return {
        "id": "msg_fake_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 21, "output_tokens": 7},
    }


def anthropic_sse(
    model: str = "claude-sonnet-4-5", pieces: tuple[str, ...] = ("Hi", " there"), *, stop: bool = True
) -> list[str]:
    def event(kind: str, data: dict[str, Any]) -> str:
        return f"event: {kind}\ndata: {json.dumps(data | {'type': kind})}"

    events = [
        event(
            "message_start",
            {"message": {"id": "msg_stream_1", "model": model, "usage": {"input_tokens": 9, "output_tokens": 1}}},
        ),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        event("ping", {}),
    ]
    events += [event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": p}}) for p in pieces]
    events += [
        event("content_block_stop", {"index": 0}),
        event("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": len(pieces)}}),
    ]
    if stop:
        events.append(event("message_stop", {}))
    return events


def key_info() -> dict[str, Any]:
    return {
        "data": {
            "label": "sk-or-v1-abc...xyz",
            "limit": 20.0,
            "limit_remaining": 17.5,
            "limit_reset": None,
            "include_byok_in_limit": False,
            "usage": 2.5,
            "usage_daily": 0.1,
            "usage_weekly": 0.7,
            "usage_monthly": 2.5,
            "byok_usage": 0,
            "is_free_tier": False,
        }
    }


class _Server(ThreadingHTTPServer):
    # Many concurrent clients connect at once; the default backlog of 5 would delay some by a SYN retry.
    request_queue_size = 128


class FakeUpstream:
    """Start with `with FakeUpstream(catalog) as upstream:`; `upstream.base_url` is the OpenRouter-style base."""

    def __init__(self, catalog: dict[str, Any] | None = None, *, port: int = 0) -> None:
        self.catalog = catalog if catalog is not None else {"data": []}
        self.requests: list[Recorded] = []
        self.disconnects: list[tuple[str, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.barrier_timeouts = 0
        self._scripts: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self._model_scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # `port` lets a test start listening late on an address the server under test already uses.
        self._server = _Server(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.url + "/api/v1"

    # --- scripting -------------------------------------------------------------------------
    def script(self, method: str, route: str, *replies: Reply) -> None:
        """Queue answers for a route (CHAT, MODELS, KEY, MESSAGES); once used up, defaults apply."""
        with self._lock:
            self._scripts[(method, route)].extend(replies)

    def script_model(self, model: str, *replies: Reply) -> None:
        """Queue chat answers for requests naming `model`; they take precedence over the route's queue."""
        with self._lock:
            self._model_scripts[model].extend(replies)

    def wait_for_disconnects(self, count: int, timeout: float) -> int:
        """How many connections the client dropped, waiting up to `timeout` for at least `count`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.disconnects) >= count:
                    break
            time.sleep(0.01)
        with self._lock:
            return len(self.disconnects)

    def calls(self, route: str, method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if route_of(r.path) == route and (method is None or r.method == method)]

    def wait_for_disconnect(self, timeout: float) -> float | None:
        """When (`time.monotonic()`) a connection held by a hang/stream was first dropped by the client, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.disconnects:
                    return self.disconnects[0][1]
            time.sleep(0.01)
        return None

    def _next_reply(self, method: str, route: str, body: Any) -> Reply:
        model = body.get("model") if isinstance(body, dict) else None
        with self._lock:
            by_model = self._model_scripts.get(model) if route in (CHAT, MESSAGES) and isinstance(model, str) else None
            if by_model:
                return by_model.popleft()
            queue = self._scripts.get((method, route))
            if queue:
                return queue.popleft()
        return self._default_reply(method, route, body)

    def _default_reply(self, method: str, route: str, body: Any) -> Reply:
        model = body.get("model") if isinstance(body, dict) else None
        streaming = isinstance(body, dict) and body.get("stream") is True
        if route == MODELS and method == "GET":
            return Reply(json=self.catalog)
        if route == KEY and method == "GET":
            return Reply(json=key_info())
        if route == CHAT and method == "POST":
            answered = model if model and model != "openrouter/auto" else "openai/gpt-4o-mini"
            if streaming:
                return Reply(sse=sse_chunks(answered))
            return Reply(json=completion(answered, n=len(self.requests)))
        if route == MESSAGES and method == "POST":
            if streaming:
                return Reply(sse=anthropic_sse(model or "claude"))
            return Reply(json=anthropic_message(model or "claude"))
        return Reply(status=404, json={"error": {"message": f"no route {method} {route}", "code": 404}})

    # --- serving ---------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = None
                proxied = self.path.startswith("http://") or self.path.startswith("https://")
                path = urlsplit(self.path).path if proxied else self.path
                with upstream._lock:
                    upstream.requests.append(
                        Recorded(
                            self.command,
                            path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            raw,
                            proxied,
                            time.monotonic(),
                        )
                    )
                reply = upstream._next_reply(self.command, route_of(path), body)
                with upstream._lock:
                    upstream.in_flight += 1
                    upstream.max_in_flight = max(upstream.max_in_flight, upstream.in_flight)
                try:
                    if reply.barrier and not self._barrier(reply.barrier):
                        return
                    if reply.delay and not self._wait(reply.delay):
                        return
                    self._answer(reply, path)
                finally:
                    with upstream._lock:
                        upstream.in_flight -= 1

            do_GET = _serve
            do_POST = _serve

            def _client_gone(self) -> bool:
                readable, _, _ = select.select([self.connection], [], [], 0)
                if not readable:
                    return False
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def _wait(self, seconds: float, path: str = "") -> bool:
                """Sleep, watching the connection; False (and a recorded disconnect) if the client left."""
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline and not upstream._stopping.is_set():
                    if self._client_gone():
                        self._record_disconnect(path or self.path)
                        return False
                    time.sleep(0.01)
                return not upstream._stopping.is_set()

            def _barrier(self, count: int) -> bool:
                """Wait until `count` requests are in flight at once; False if the client left meanwhile."""
                deadline = time.monotonic() + BARRIER_WAIT
                while time.monotonic() < deadline and not upstream._stopping.is_set():
                    with upstream._lock:
                        if upstream.max_in_flight >= count:
                            return True
                    if self._client_gone():
                        self._record_disconnect(self.path)
                        return False
                    time.sleep(0.005)
                with upstream._lock:
                    upstream.barrier_timeouts += 1
                return not upstream._stopping.is_set()

            def _record_disconnect(self, path: str) -> None:
                with upstream._lock:
                    upstream.disconnects.append((path, time.monotonic()))
                self.close_connection = True

            def _answer(self, reply: Reply, path: str) -> None:
                if reply.fault == "hang":
                    self._wait(3600, path)
                    self.close_connection = True
                    return
                if reply.fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if reply.sse is not None:
                    self._stream(reply, path)
                    return
                if reply.fault == "malformed":
                    payload = b'{"id": "gen-broken", "choices": [ {"message": '
                elif reply.fault == "empty":
                    payload = b""
                elif reply.body is not None:
                    payload = reply.body
                else:
                    payload = json.dumps(reply.json if reply.json is not None else {}).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json"} | reply.headers
                for name, value in headers.items():
                    self.send_header(name, value)
                if reply.fault == "close_mid_body":
                    self.send_header("Content-Length", str(len(payload) + 1000))
                    self.end_headers()
                    self.wfile.write(payload[: max(1, len(payload) // 2)])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, reply: Reply, path: str) -> None:
                self.send_response(reply.status)
                for name, value in (
                    {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"} | reply.headers
                ).items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for index, event in enumerate(reply.sse or []):
                        if index and reply.sse_gap and not self._wait(reply.sse_gap, path):
                            return
                        data = (event + "\n\n").encode()
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                        self.wfile.flush()
                    if reply.fault == "hang":
                        self._wait(3600, path)
                        self.close_connection = True
                        return
                    if reply.fault == "close_mid_body":
                        # End without the terminating zero-length chunk: a truncated transfer.
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self._record_disconnect(path)

        return Handler
