"""Secrets, stdout and lifecycle end to end, with a raw JSON-RPC client where the bytes on stdout are the point.

Every test starts the installed console script against the fake OpenRouter on 127.0.0.1: the key never
leaks under a fault-heavy workload, stdout carries JSON-RPC only, junk input never takes the server down,
and it exits promptly on stdin EOF or SIGTERM. Upstream faults are in test_upstream_faults.py,
concurrency, cancellation and bad arguments in test_concurrency.py.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import TEST_KEY, process_env, server_command
from tests.e2e.stdio_calls import USER, upstream_error
from tests.fake_upstream import CHAT, KEY, MODELS, FakeUpstream, Reply, completion, sse_chunks

pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")

# --- secrets and stdout, with a raw JSON-RPC client ----------------------------------------------------------


class RawServer:
    """The console script over pipes: newline-delimited JSON-RPC in, every stdout line kept."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        command = server_command()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=process_env({"OPENROUTER_DATA_DIR": str(cwd / "data"), **env}),
            cwd=cwd,
        )
        self.lines: list[bytes] = []
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stderr: list[bytes] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.process.stdout,), daemon=True),
            threading.Thread(target=self._stderr.extend, args=(self.process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self._next_id = 0

    def _read_stdout(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.lines.append(line)
            try:
                self._messages.put(json.loads(line))
            except json.JSONDecodeError:
                continue

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message))

    def send_raw(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self.wait_for_response(self._next_id, timeout)

    def wait_for_response(self, request_id: int, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if message.get("id") == request_id and "method" not in message:
                return message

    def initialize(self) -> None:
        answer = self.request(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}},
        )
        assert "result" in answer, answer
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        answer = self.request("tools/call", {"name": name, "arguments": arguments})
        assert "result" in answer, answer
        return answer["result"]

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def stderr_text(self) -> str:
        self._readers[1].join(timeout=2)
        return b"".join(self._stderr).decode("utf-8", errors="replace")

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def raw_server(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], RawServer]]:
    started: list[RawServer] = []

    def start(env: dict[str, str]) -> RawServer:
        started.append(RawServer(env, tmp_path))
        return started[-1]

    yield start
    for process in started:
        process.cleanup()


def test_under_a_fault_heavy_debug_workload_the_key_never_leaks_and_stdout_is_only_json_rpc(
    raw_server: Callable[[dict[str, str]], RawServer], env: dict[str, str], upstream: FakeUpstream
) -> None:
    echo = f"Invalid credentials: Bearer {TEST_KEY}"
    upstream.script("POST", CHAT, Reply(401, json=upstream_error(401, echo)))
    upstream.script("POST", CHAT, *[Reply(429, json=upstream_error(429, echo), headers={"Retry-After": "0"})] * 2)
    upstream.script("POST", CHAT, Reply(fault="reset"), Reply(fault="malformed"), Reply(fault="hang"))
    upstream.script("POST", CHAT, Reply(json=completion(content=f"your key is {TEST_KEY}")))
    upstream.script(
        "POST", CHAT, Reply(sse=[*sse_chunks(done=False)[:2], "data: " + json.dumps(upstream_error(400, echo))])
    )
    upstream.script("GET", MODELS, *[Reply(500, body=f"<html>Authorization: Bearer {TEST_KEY}</html>".encode())] * 2)
    upstream.script("GET", KEY, Reply(401, json=upstream_error(401, echo)))
    server = raw_server(env | {"OPENROUTER_LOG_LEVEL": "DEBUG", "REQUEST_TIMEOUT": "1", "OPENROUTER_MAX_RETRIES": "1"})
    server.initialize()
    results = [server.call_tool("chat_completion", {"messages": USER}) for _ in range(6)]
    results.append(server.call_tool("chat_completion", {"messages": USER, "stream": True}))
    results.append(server.call_tool("search_models", {"query": "claude"}))
    results.append(server.call_tool("get_key_info", {}))
    results.append(
        server.call_tool("chat_completion", {"messages": [{"role": "user", "content": TEST_KEY}], "top_p": 9})
    )
    server.close_stdin()
    assert server.wait(5) == 0
    stderr = server.stderr_text()

    assert [result["isError"] for result in results] == [True, True, True, True, True, False, True, True, True, True]
    assert TEST_KEY not in json.dumps(results)
    assert "[redacted]" in json.dumps(results)
    assert "DEBUG" in stderr and "[redacted]" in stderr  # the redaction was exercised, not merely quiet
    assert TEST_KEY not in stderr
    assert server.lines, "the server wrote nothing to stdout"
    for line in server.lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
        assert TEST_KEY.encode() not in line


def test_a_request_nested_too_deeply_for_the_json_parser_does_not_take_the_server_down(
    raw_server: Callable[[dict[str, str]], RawServer], env: dict[str, str], upstream: FakeUpstream
) -> None:
    server = raw_server(env)
    server.initialize()
    depth = 5000
    junk = '{"a": ' * depth + '"bottom"' + "}" * depth
    server.send_raw(
        '{"jsonrpc": "2.0", "id": 500, "method": "tools/call", "params": {"name": "chat_completion", '
        f'"arguments": {{"messages": {json.dumps(USER)}, "provider": {{"junk": {junk}}}}}}}}}'
    )
    # The SDK's transport drops a line it cannot parse (no answer to id 500); the server must live on.
    result = server.call_tool("chat_completion", {"messages": USER})
    assert result["isError"] is False
    assert len(upstream.calls(CHAT)) == 1
    server.close_stdin()
    assert server.wait(5) == 0
    assert "Traceback" not in server.stderr_text()


# --- lifecycle ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_flight", [False, True], ids=["idle", "request_in_flight"])
@pytest.mark.parametrize("ending", ["stdin_eof", "sigterm"])
def test_the_server_exits_promptly_and_cleanly_on_stdin_eof_or_sigterm(
    ending: str,
    in_flight: bool,
    raw_server: Callable[[dict[str, str]], RawServer],
    env: dict[str, str],
    upstream: FakeUpstream,
) -> None:
    server = raw_server(env)
    server.initialize()
    if in_flight:
        upstream.script("POST", CHAT, Reply(fault="hang"))
        server.send(
            {
                "jsonrpc": "2.0",
                "id": 99,
                "method": "tools/call",
                "params": {"name": "chat_completion", "arguments": {"messages": USER}},
            }
        )
        deadline = time.monotonic() + 5
        while not upstream.calls(CHAT):
            assert time.monotonic() < deadline, "the chat request never reached the upstream"
            time.sleep(0.01)
    started = time.monotonic()
    if ending == "sigterm":
        server.process.send_signal(signal.SIGTERM)
    else:
        server.close_stdin()
    status = server.wait(5)
    took = time.monotonic() - started
    assert status == 0
    assert took < 1.0
    assert "Traceback" not in server.stderr_text()
    for line in server.lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
