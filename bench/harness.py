"""The harness: the servers under test, spawned over stdio, and a raw JSON-RPC client for each.

A `Target` is one way of running a server (project or floor, on asyncio or uvloop); a `Session` is one
spawned process of it and the newline-delimited JSON-RPC conversation with it (initialize, tools/list,
tools/call), with the process's CPU time and memory read from /proc. Servers get a scrubbed
environment (no inherited configuration or interpreter switches) and an empty working directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PROTOCOL_VERSION = "2025-11-25"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT = 20.0  # per JSON-RPC request; a server that stops answering is given up on
# Variables that would change either server's behaviour if inherited from the caller's shell.
_SCRUBBED_PREFIXES = ("OPENROUTER_", "API_", "DEFAULT_", "ANTHROPIC_", "OPENAI_", "BENCH_")
_SCRUBBED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "PROXY_URL", "REQUEST_TIMEOUT", "DESCRIPTION"}
_SCRUBBED |= {"LOG_LEVEL", "SSL_CERT_FILE", "SSL_CERT_DIR"}
# Interpreter switches that change start-up or run-time cost. Without PYTHONDONTWRITEBYTECODE the discarded
# first spawn writes the bytecode caches, so cold start measures an installed server, not the compiler.
_SCRUBBED |= {"PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONPROFILEIMPORTTIME"}
_SCRUBBED |= {"PYTHONMALLOC", "PYTHONASYNCIODEBUG", "PYTHONWARNINGS", "PYTHONINSPECT", "PYTHONVERBOSE"}
_SCRUBBED |= {"PYTHONUNBUFFERED"}


class BenchError(Exception):
    pass


@dataclass
class Target:
    """One way of running a server: its command line and the variables that select its event loop."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stderr_lines: int = 0
    stderr_sample: list[str] = field(default_factory=list)


def project_argv() -> list[str]:
    script = REPO / ".venv" / "bin" / "openrouterai-mcp"
    if script.exists():
        return [str(script)]
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("neither .venv/bin/openrouterai-mcp nor uv was found; run `uv sync` first")
    log("note: .venv/bin/openrouterai-mcp is missing; falling back to `uv run` (its overhead is measured)")
    return [uv, "run", "--project", str(REPO), "openrouterai-mcp"]


def floor_argv() -> list[str]:
    python = REPO / ".venv" / "bin" / "python"
    return [str(python if python.exists() else Path(sys.executable)), str(BENCH_DIR / "floor_server.py")]


def targets() -> list[Target]:
    """The four servers of one run: the floor and the project, each on stock asyncio and on uvloop."""
    return [
        Target("floor/asyncio", floor_argv()),
        Target("floor/uvloop", floor_argv(), {"BENCH_FLOOR_UVLOOP": "1"}),
        Target("ours/asyncio", project_argv(), {"OPENROUTER_UVLOOP": "off"}),
        Target("ours/uvloop", project_argv(), {"OPENROUTER_UVLOOP": "on"}),
    ]


def server_env(base_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _SCRUBBED and not key.upper().startswith(_SCRUBBED_PREFIXES)
    }
    env.update({"OPENROUTER_API_KEY": "sk-bench", "OPENROUTER_BASE_URL": base_url})
    return env


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of the answered calls (failed ones are counted as errors instead)."""
    ordered = sorted(value for value in values if value == value)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))]


class Session:
    """One spawned server process and the JSON-RPC conversation with it."""

    def __init__(self, target: Target, env: dict[str, str], cwd: str) -> None:
        self.target = target
        self.env = {**env, **target.env}
        self.cwd = cwd
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.t_spawn = 0.0
        self.proc: asyncio.subprocess.Process | None = None
        self.reader_task: asyncio.Task[None] | None = None
        self.stderr_task: asyncio.Task[None] | None = None
        self.broken = False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def spawn(self) -> None:
        self.t_spawn = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.target.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=self.cwd,
            limit=1 << 24,
        )
        self.reader_task = asyncio.create_task(self._read_stdout())
        self.stderr_task = asyncio.create_task(self._read_stderr())

    async def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                received = time.perf_counter()
                try:
                    message = json.loads(line)
                except ValueError:
                    self.note(f"[non-JSON on stdout] {line[:200]!r}")
                    continue
                if "id" in message and ("result" in message or "error" in message):
                    future = self.pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result((received, message))
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(BenchError("the server closed its stdout"))
            self.pending.clear()

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                break
            self.note(line.decode("utf-8", "replace").rstrip())

    def note(self, text: str) -> None:
        self.target.stderr_lines += 1
        if len(self.target.stderr_sample) < 8:
            self.target.stderr_sample.append(text)

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def send_request(self, method: str, params: dict[str, Any] | None = None) -> asyncio.Future[Any]:
        self.next_id += 1
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)
        return future

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
        """(seconds from send to answer, the answer message)."""
        sent = time.perf_counter()
        future = self.send_request(method, params)
        received, message = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        return received - sent, message

    async def initialize(self) -> tuple[float, float, float]:
        """initialize, notifications/initialized, tools/list; seconds from spawn to each answer, and the
        server's CPU seconds (user + system) by the tools/list answer: the start-up cost that machine load
        does not inflate."""
        future = self.send_request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "openrouterai-mcp-bench", "version": "1"},
            },
        )
        init_at, init = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        if "result" not in init:
            raise BenchError(f"initialize failed: {init.get('error')}")
        self.notify("notifications/initialized")
        list_at, listed = await asyncio.wait_for(self.send_request("tools/list", {}), REQUEST_TIMEOUT)
        cpu = self.cpu_seconds()
        tools = {tool["name"] for tool in listed.get("result", {}).get("tools", [])}
        if not {"chat_completion", "search_models"} <= tools:
            raise BenchError(f"tools/list lacks the benchmarked tools: {listed}")
        return init_at - self.t_spawn, list_at - self.t_spawn, cpu

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[float, bool]:
        """(round-trip seconds, ok) for one tools/call; an isError result or a JSON-RPC error is not ok."""
        if self.broken:
            return float("nan"), False
        try:
            elapsed, message = await self.request("tools/call", {"name": name, "arguments": arguments})
        except (asyncio.TimeoutError, BenchError) as exc:
            # Once a server has stopped answering, the rest of this run fails fast instead of waiting again.
            self.broken = True
            self.note(f"[bench] {name}: {type(exc).__name__} {exc}")
            return float("nan"), False
        return elapsed, _tool_ok(self, name, message)

    def memory_kb(self, field_name: str) -> int:
        with open(f"/proc/{self.pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        raise BenchError(f"{field_name} not in /proc/{self.pid}/status")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    async def close(self) -> tuple[float, bool]:
        """Close stdin; (seconds until the process exited, exited cleanly with status 0)."""
        assert self.proc is not None and self.proc.stdin is not None
        started = time.perf_counter()
        self.proc.stdin.close()
        clean = True
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except asyncio.TimeoutError:
            self.note("[bench] the server did not exit within 10 s of stdin EOF; killed")
            self.proc.kill()
            await self.proc.wait()
            clean = False
        elapsed = time.perf_counter() - started
        if self.proc.returncode != 0:
            self.note(f"[bench] exit status {self.proc.returncode}")
            clean = False
        for task in (self.reader_task, self.stderr_task):
            if task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 5)
        return elapsed, clean

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def _tool_ok(session: Session, name: str, message: dict[str, Any]) -> bool:
    result = message.get("result")
    if not isinstance(result, dict):
        session.note(f"[bench] {name}: JSON-RPC error {message.get('error')}")
        return False
    text = "".join(part.get("text", "") for part in result.get("content") or [] if isinstance(part, dict))
    if result.get("isError"):
        session.note(f"[bench] {name}: isError {text[:300]}")
        return False
    if name == "chat_completion" and '"gen-' not in text:
        session.note(f"[bench] chat_completion answered without the upstream id: {text[:300]}")
        return False
    return True
