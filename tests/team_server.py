"""The team server as users run it: the console script with `--transport http` on a free loopback port.

`TeamServer.start()` waits for the line the server writes to stderr once it listens, which names the
port it got (`--port 0`). `connect()` gives an SDK client over Streamable HTTP with a bearer token.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import process_env, server_command

_LISTENING = re.compile(r"serving MCP at (http://\S+/mcp)")


class TeamServer:
    def __init__(self, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.workdir = workdir
        self.env = env
        self.args = ["--transport", "http", "--port", "0", *args]
        self.stderr_path = workdir / f"team-server-{id(self)}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    def launch(self) -> subprocess.Popen[bytes]:
        with self.stderr_path.open("wb") as errlog:
            self.process = subprocess.Popen(
                [*server_command(), *self.args],
                env=process_env(self.env),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errlog,
            )
        return self.process

    def start(self, within: float = 20.0) -> TeamServer:
        process = self.launch()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.stderr_text())
            if found:
                self.url = found.group(1)
                return self
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}: {self.stderr_text()}")
            time.sleep(0.02)
        raise AssertionError(f"the server did not start within {within} s: {self.stderr_text()}")

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace") if self.stderr_path.exists() else ""

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def http(self, token: str | None = None, **headers: str) -> httpx2.AsyncClient:
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return httpx2.AsyncClient(headers=sent, timeout=httpx2.Timeout(30.0, read=60.0))

    @asynccontextmanager
    async def connect(self, token: str | None = None, *, mode: str = "auto", **options: Any) -> AsyncIterator[Client]:
        async with (
            self.http(token) as http,
            Client(streamable_http_client(self.url, http_client=http), mode=mode, **options) as client,
        ):
            yield client


def write_tokens(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
