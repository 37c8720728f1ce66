"""Benchmark of the team server (`--transport http`) against the same server over stdio.

Run from the repository root:  uv run python bench/team_http.py  [--quick] [--database-url postgresql://...]

Reuses the benchmark's loopback fake of the OpenRouter API (bench/upstream.py: a child process with a
delay knob) and its stdio JSON-RPC session (bench/harness.py). Phases:
  1. latency: 200 sequential chat_completion calls, upstream instant; HTTP p50 vs stdio p50 (goal <= 2x)
  2. load: 64 concurrent clients x 50 calls each, upstream 50 ms, 8 users from a tokens file (8 clients
     each, under the default cap of 16); errors (goal 0), p50/p99, wall time, calls/s, peak RSS per
     server; with one replica, then two replicas side by side (clients alternate between them), on
     --database-url (PostgreSQL, as replicas should be run) or else on one shared SQLite file
The HTTP client speaks raw JSON-RPC over POST /mcp (protocol 2025-11-25, stateless: no initialize),
reading each answer (JSON, or SSE when streamed), on one keep-alive connection per client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import Session, Target, percentile, project_argv, server_env
from upstream import UpstreamControl
from workloads import CHAT_ARGS

USERS = 8
PROTOCOL = "2025-11-25"
_LISTENING = re.compile(rb"serving MCP at (http://\S+/mcp)")


@dataclass
class Replica:
    proc: asyncio.subprocess.Process
    url: str

    def rss_kb(self, field_name: str = "VmHWM") -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        return 0

    async def stop(self) -> None:
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def start_replica(env: dict[str, str], cwd: str) -> Replica:
    proc = await asyncio.create_subprocess_exec(
        *project_argv(),
        "--transport",
        "http",
        "--port",
        "0",
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    while True:
        line = await asyncio.wait_for(proc.stderr.readline(), 30)
        if not line:
            raise SystemExit(f"the HTTP server exited with {await proc.wait()}")
        found = _LISTENING.search(line)
        if found:
            asyncio.get_running_loop().create_task(_drain(proc.stderr))
            return Replica(proc, found.group(1).decode())


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _answer(body: str) -> dict[str, Any]:
    for line in body.splitlines():
        if line.startswith("data:"):
            message = json.loads(line[5:])
            if "id" in message:
                return message
    return json.loads(body)


class HttpClient:
    """One keep-alive HTTP/1.1 connection speaking raw bytes, as the stdio harness speaks raw JSON-RPC:
    the client's own cost stays out of the figures (an httpx request costs about 1 ms of CPU by itself)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
            f"MCP-Protocol-Version: {PROTOCOL}\r\n"
        )
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.next_id = 0

    async def _exchange(self, body: bytes) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            return status, await reader.readexactly(int(headers["content-length"]))
        chunks: list[bytes] = []  # chunked (an SSE answer)
        while size := int((await reader.readline()).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return status, b"".join(chunks)

    async def call(self, results: Results) -> None:
        self.next_id += 1
        request = {
            "jsonrpc": "2.0",
            "id": self.next_id,
            "method": "tools/call",
            "params": {"name": "chat_completion", "arguments": CHAT_ARGS},
        }
        started = time.perf_counter()
        try:
            status, body = await self._exchange(json.dumps(request).encode())
            message = _answer(body.decode())
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            results.errors.append(f"{type(exc).__name__}: {exc}")
            self.streams = None
            return
        elapsed = time.perf_counter() - started
        result = message.get("result") or {}
        if status != 200 or result.get("isError") or "error" in message:
            results.errors.append(f"{status}: {json.dumps(message)[:200]}")
            return
        results.latencies.append(elapsed)

    async def aclose(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


async def http_sequential(replica: Replica, token: str, calls: int) -> list[float]:
    client = HttpClient(replica.url, token)
    results = Results()
    try:
        await client.call(results)  # warm-up: connection, catalog-free path
        results = Results()
        for _ in range(calls):
            await client.call(results)
    finally:
        await client.aclose()
    if results.errors:
        raise SystemExit(f"HTTP sequential calls failed: {results.errors[:3]}")
    return results.latencies


async def stdio_sequential(env: dict[str, str], cwd: str, calls: int) -> list[float]:
    session = Session(Target("project", project_argv()), env, cwd)
    await session.spawn()
    try:
        await session.initialize()
        await session.call_tool("chat_completion", CHAT_ARGS)
        latencies: list[float] = []
        for _ in range(calls):
            elapsed, ok = await session.call_tool("chat_completion", CHAT_ARGS)
            if not ok:
                raise SystemExit("a stdio chat call failed")
            latencies.append(elapsed)
        return latencies
    finally:
        await session.close()


async def load(replicas: list[Replica], tokens: list[str], clients: int, calls: int) -> tuple[Results, float]:
    pool = [HttpClient(replicas[n % len(replicas)].url, tokens[n % len(tokens)]) for n in range(clients)]
    results = Results()

    async def run(client: HttpClient) -> None:
        for _ in range(calls):
            await client.call(results)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(run(client) for client in pool))
    finally:
        await asyncio.gather(*(client.aclose() for client in pool))
    return results, time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def main_async(options: argparse.Namespace) -> int:
    seq_calls = 50 if options.quick else 200
    clients, calls = (64, 10) if options.quick else (64, 50)
    upstream = await UpstreamControl.start()
    workdir = tempfile.mkdtemp(prefix="orm-bench-http-")
    tokens = [f"bench-token-{n:02d}-0123456789abcdef" for n in range(USERS)]
    tokens_file = Path(workdir) / "tokens.txt"
    tokens_file.write_text("".join(f"user{n} {token}\n" for n, token in enumerate(tokens)))
    tokens_file.chmod(0o600)
    # Phase 1 compares like with like: both on the default store (SQLite), each in a directory of its own.
    env = {**server_env(upstream.base_url), "OPENROUTER_DATA_DIR": str(Path(workdir) / "stdio-data")}
    http_env = {
        **env,
        "OPENROUTER_MCP_TOKENS_FILE": str(tokens_file),
        "OPENROUTER_DATA_DIR": str(Path(workdir) / "http-data"),
    }
    load_env = dict(http_env)
    if options.database_url:
        load_env["OPENROUTER_DATABASE_URL"] = options.database_url
    status = 0
    try:
        await upstream.set_delay(0.0)
        stdio_p50 = statistics.median(await stdio_sequential(env, workdir, seq_calls))
        replica = await start_replica(http_env, workdir)
        try:
            http_p50 = statistics.median(await http_sequential(replica, tokens[0], seq_calls))
        finally:
            await replica.stop()
        ratio = http_p50 / stdio_p50
        print(f"phase 1: {seq_calls} sequential chat calls, upstream instant")
        print(f"  stdio p50 {ms(stdio_p50)}   http p50 {ms(http_p50)}   ratio {ratio:.2f} (goal <= 2.00)")
        if ratio > 2.0:
            status = 1

        await upstream.set_delay(0.05)
        store = "PostgreSQL" if options.database_url else "one SQLite file"
        print(f"phase 2: {clients} concurrent clients x {calls} calls, upstream 50 ms, {USERS} users, store: {store}")
        for count in (1, 2):
            replicas = [await start_replica(load_env, workdir) for _ in range(count)]
            try:
                results, wall = await load(replicas, tokens, clients, calls)
                rss = [replica.rss_kb() / 1024 for replica in replicas]
            finally:
                for replica in replicas:
                    await replica.stop()
            done = sorted(results.latencies)
            p50 = percentile(done, 50) if done else float("nan")
            p99 = percentile(done, 99) if done else float("nan")
            print(
                f"  {count} replica{'s' if count > 1 else ' '}: {len(done)} ok, {len(results.errors)} errors, "
                f"p50 {ms(p50)}, p99 {ms(p99)}, wall {wall:.2f} s, {len(done) / wall:.0f} calls/s, "
                f"peak RSS {' + '.join(f'{value:.0f} MB' for value in rss)}"
            )
            if results.errors:
                print(f"    first errors: {results.errors[:3]}")
                status = 1
    finally:
        await upstream.stop()
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer calls (smoke run)")
    parser.add_argument("--database-url", help="OPENROUTER_DATABASE_URL for the HTTP replicas (e.g. PostgreSQL)")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
