"""The loopback upstream: a tiny asyncio HTTP/1.1 server faking OpenRouter's API, in a child process.

`GET /api/v1/models` serves the synthetic catalog; `POST /api/v1/chat/completions` answers a realistic
`chat.completion` after a configurable delay. Control endpoints (`/_bench/...`) set the delay, read the
counters and reset the in-flight peak. `UpstreamControl` is the parent's handle on the child.

Run as a child by the benchmark: `python bench/upstream.py` (prints "PORT MODELS", stops at stdin EOF).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from catalog import make_catalog

SCRIPT = Path(__file__).resolve()

_ANSWERED_BY = {
    "openai/gpt-4o-mini": ("openai/gpt-4o-mini-2024-07-18", "OpenAI"),
    "openrouter/auto": ("anthropic/claude-4.5-sonnet-20250929", "Amazon Bedrock"),
}
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


class Upstream:
    """A tiny asyncio HTTP/1.1 server (keep-alive, Content-Length) faking OpenRouter's API."""

    def __init__(self) -> None:
        self.models_body = json.dumps(make_catalog(), separators=(",", ":")).encode()
        self.delay = 0.0
        self.counts = {"models": 0, "chat": 0, "other": 0, "connections": 0, "max_in_flight": 0}
        self.in_flight = 0
        self.rng = random.Random(7)

    def chat_answer(self, request: dict[str, Any]) -> bytes:
        requested = str(request.get("model") or "openrouter/auto")
        model, provider = _ANSWERED_BY.get(requested, (requested, "Together"))
        now = int(time.time())
        prompt_tokens = 8 + sum(len(str(m.get("content", ""))) // 4 for m in request.get("messages") or [])
        completion_tokens = 2
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        answer = {
            "id": f"gen-{now}-{''.join(self.rng.choices(alphabet, k=20))}",
            "provider": provider,
            "model": model,
            "object": "chat.completion",
            "created": now,
            "choices": [
                {
                    "logprobs": None,
                    "finish_reason": "stop",
                    "native_finish_reason": "stop",
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok", "refusal": None, "reasoning": None},
                }
            ],
            "system_fingerprint": "fp_bench",
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "cost": round(prompt_tokens * 1.5e-7 + completion_tokens * 6e-7, 9),
                "is_byok": False,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "cost_details": {"upstream_inference_cost": None},
                "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
            },
        }
        return json.dumps(answer).encode()

    async def route(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        path = path.split("?", 1)[0]
        if method == "GET" and path == "/api/v1/models":
            self.counts["models"] += 1
            return 200, self.models_body
        if method == "POST" and path == "/api/v1/chat/completions":
            self.counts["chat"] += 1
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return 400, b'{"error":{"code":400,"message":"invalid JSON body"}}'
            if self.delay > 0:
                await asyncio.sleep(self.delay)
            return 200, self.chat_answer(request)
        if method == "POST" and path == "/_bench/delay":
            self.delay = float(json.loads(body)["seconds"])
            return 200, b"{}"
        if method == "POST" and path == "/_bench/reset_peak":
            self.counts["max_in_flight"] = self.in_flight
            return 200, b"{}"
        if method == "GET" and path == "/_bench/stats":
            return 200, json.dumps(self.counts).encode()
        self.counts["other"] += 1
        return 404, b'{"error":{"code":404,"message":"Not Found"}}'

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                self.in_flight += 1
                self.counts["max_in_flight"] = max(self.counts["max_in_flight"], self.in_flight)
                try:
                    status, payload = await self.route(method, target, body)
                finally:
                    self.in_flight -= 1
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    "Connection: keep-alive\r\n\r\n"
                ).encode()
                writer.write(head + payload)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def serve_upstream() -> None:
    upstream = Upstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port} {len(json.loads(upstream.models_body)['data'])}\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    # The parent closes our stdin when it is done; that is the signal to stop.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


class UpstreamControl:
    """The parent's handle on the upstream child: its port, its delay knob, its counters."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int, models: int) -> None:
        self.proc = proc
        self.port = port
        self.models = models
        self.base_url = f"http://127.0.0.1:{port}/api/v1"

    @classmethod
    async def start(cls) -> UpstreamControl:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        port, models = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
        return cls(proc, int(port), int(models))

    async def _call(self, method: str, path: str, body: bytes = b"") -> Any:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        raw = await reader.read()
        writer.close()
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])

    async def set_delay(self, seconds: float) -> None:
        await self._call("POST", "/_bench/delay", json.dumps({"seconds": seconds}).encode())

    async def reset_peak(self) -> None:
        """Start counting the most requests in flight at once afresh (before a burst)."""
        await self._call("POST", "/_bench/reset_peak")

    async def stats(self) -> dict[str, int]:
        return await self._call("GET", "/_bench/stats")

    async def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()


if __name__ == "__main__":
    asyncio.run(serve_upstream())
