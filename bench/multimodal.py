"""Benchmark: a 15 MB local image attached to a chat call (issue "Multimodal", Speed and memory).

Run from the repository root:  uv run python bench/multimodal.py  [--mb 15] [--reps 3]

Spawns the installed `openrouterai-mcp` over stdio (the SDK's client) against a minimal loopback
upstream in a child process (it reads each request body and answers a fixed completion, so upstream
JSON parsing does not count as server time), and prints:
- the time to read and base64 the file once, in this process (the yardstick);
- the server's added time: a chat call with the file attached minus the same call without it, each
  call alone (goal: under 3x the yardstick);
- the server's peak RSS growth during the first attached call, from /proc/<pid>/status VmHWM
  (goal: at most 4x the file size);
- the latency of search_models calls made every 5 ms while attached calls run (goal: all under 50 ms:
  the event loop is never blocked), next to search_models alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

SCRIPT = Path(__file__).resolve()
MIB = 1024 * 1024
COMPLETION = {
    "id": "gen-bench",
    "object": "chat.completion",
    "created": 1_760_000_000,
    "model": "openai/gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
CATALOG = {
    "data": [
        {
            "id": f"vendor/model-{i}",
            "name": f"Model {i}",
            "description": "A model for the benchmark.",
            "context_length": 128_000,
            "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0.000001", "completion": "0.000002"},
            "supported_parameters": ["tools", "response_format"],
        }
        for i in range(300)
    ]
}


# --- the upstream (child process) ---------------------------------------------------------------------------------


def serve_upstream(port_file: str) -> None:
    models = json.dumps(CATALOG).encode()
    answer = json.dumps(COMPLETION).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # Headers and body are two writes: without this, Nagle + delayed ACK add 40 ms per answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._reply(models)

        def do_POST(self) -> None:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                remaining -= len(self.rfile.read(min(remaining, MIB)))
            self._reply(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


# --- measuring ----------------------------------------------------------------------------------------------------


def make_image(path: Path, megabytes: float) -> None:
    """A PNG signature and header followed by incompressible bytes: typed as an image, sized as asked."""
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00\x00\x00\x00\x00"
    path.write_bytes(head + os.urandom(int(megabytes * MIB) - len(head)))


def read_and_encode_once(path: Path) -> float:
    started = time.perf_counter()
    data = path.read_bytes()
    encoded = base64.b64encode(data)
    assert encoded
    return time.perf_counter() - started


def server_pid(parent: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"openrouterai" in cmdline:
            return int(entry.name)
    return None


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def server_argv() -> list[str]:
    script = Path(sys.executable).with_name("openrouterai-mcp")
    found = str(script) if script.exists() else shutil.which("openrouterai-mcp")
    return [found] if found else [sys.executable, "-m", "openrouterai_mcp"]


async def bench(workdir: Path, base_url: str, megabytes: float, reps: int) -> None:
    image = workdir / "screenshot.png"
    make_image(image, megabytes)
    yardstick = statistics.median(read_and_encode_once(image) for _ in range(5))
    argv = server_argv()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OPENROUTER_API_KEY": "sk-or-v1-bench-0123456789",
        "OPENROUTER_BASE_URL": base_url,
        "OPENROUTER_FILE_ROOTS": str(workdir),
        "OPENROUTER_MAX_FILE_MB": str(megabytes + 5),
    }
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=str(workdir))
    text_call = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "What is this?"}]}
    attached_call = text_call | {"attachments": [str(image)]}
    async with Client(stdio_client(params)) as client:
        pid = server_pid(os.getpid())
        await client.call_tool("search_models", {"query": "model"})

        async def timed(arguments: dict[str, Any]) -> float:
            started = time.perf_counter()
            result = await client.call_tool("chat_completion", arguments)
            assert result.is_error is False, result.content
            return time.perf_counter() - started

        text_times = [await timed(text_call) for _ in range(reps + 2)][2:]
        before = peak_rss(pid) if pid else 0
        attached_times = [await timed(attached_call)]
        growth = peak_rss(pid) - before if pid else 0
        attached_times += [await timed(attached_call) for _ in range(reps - 1)]
        search_latencies: list[float] = []
        for _ in range(reps):
            done = anyio.Event()

            async def probe(done: anyio.Event = done) -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    await client.call_tool("search_models", {"query": "model-1", "limit": 5})
                    search_latencies.append(time.perf_counter() - started)
                    await anyio.sleep(0.005)

            async with anyio.create_task_group() as group:
                group.start_soon(probe)
                await timed(attached_call)
                done.set()
        idle_search = [0.0] * 20
        for index in range(len(idle_search)):
            started = time.perf_counter()
            await client.call_tool("search_models", {"query": "model-1", "limit": 5})
            idle_search[index] = time.perf_counter() - started
    added = statistics.median(attached_times) - statistics.median(text_times)
    file_bytes = image.stat().st_size
    rows = [
        ("file size", f"{file_bytes / MIB:.1f} MB", ""),
        ("read + base64 once (yardstick)", f"{yardstick * 1000:.1f} ms", ""),
        ("chat, text only (median)", f"{statistics.median(text_times) * 1000:.1f} ms", ""),
        ("chat, file attached (median)", f"{statistics.median(attached_times) * 1000:.1f} ms", ""),
        (
            "server added time",
            f"{added * 1000:.1f} ms = {added / yardstick:.2f}x yardstick",
            "OK" if added < 3 * yardstick else "MISSED (goal < 3x)",
        ),
        (
            "server peak RSS growth",
            f"{growth / MIB:.1f} MB = {growth / file_bytes:.2f}x file" if pid else "n/a (pid not found)",
            ("OK" if growth <= 4 * file_bytes else "MISSED (goal <= 4x)") if pid else "",
        ),
        ("search_models alone (p50)", f"{statistics.median(idle_search) * 1000:.1f} ms", ""),
        (
            f"search_models during attached calls ({len(search_latencies)} calls)",
            f"p50 {statistics.median(search_latencies) * 1000:.1f} ms, max {max(search_latencies) * 1000:.1f} ms",
            "OK" if max(search_latencies) < 0.05 else "MISSED (goal < 50 ms)",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, verdict in rows:
        print(f"{name:<{width}}  {value:<36} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=15.0, help="size of the attached image (MB)")
    parser.add_argument("--reps", type=int, default=3, help="attached calls to time")
    parser.add_argument("--serve-upstream", metavar="PORT_FILE", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_upstream:
        serve_upstream(options.serve_upstream)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-multimodal-"))
    port_file = workdir / "port"
    upstream = subprocess.Popen([sys.executable, str(SCRIPT), "--serve-upstream", str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{port_file.read_text()}/api/v1"
        anyio.run(bench, workdir, base_url, options.mb, options.reps)
    finally:
        upstream.terminate()
        upstream.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
