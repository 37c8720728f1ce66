"""The stdio transport: served by the event loop on pipes and sockets, by the SDK's threads otherwise.

Whatever carries stdin and stdout, the server answers, keeps stray output off the wire, and exits when
stdin closes.
"""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import tty
from pathlib import Path
from typing import Any

from tests.conftest import process_env, server_command

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def _lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(message).encode() + b"\n" for message in messages)


def _answers(raw: bytes) -> dict[int, dict[str, Any]]:
    messages = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return {message["id"]: message for message in messages if "id" in message}


def test_a_server_on_unix_sockets_answers_and_exits_when_its_input_closes(tmp_path: Path) -> None:
    # Some clients (libuv-based ones) give a child sockets rather than pipes for stdio.
    ours_in, theirs_in = socket.socketpair()
    ours_out, theirs_out = socket.socketpair()
    process = subprocess.Popen(
        server_command(),
        stdin=theirs_in,
        stdout=theirs_out,
        stderr=subprocess.PIPE,
        env=process_env({"OPENROUTER_LOG_LEVEL": "DEBUG"}),
        cwd=tmp_path,
    )
    theirs_in.close()
    theirs_out.close()
    try:
        ours_in.sendall(_lines(INITIALIZE, LIST_TOOLS))
        ours_in.shutdown(socket.SHUT_WR)
        ours_out.settimeout(30)
        received = b""
        while chunk := ours_out.recv(1 << 16):
            received += chunk
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        assert b"stdio transport: event-loop pipes" in process.stderr.read()
    finally:
        process.kill()
        if process.stderr is not None:
            process.stderr.close()
        ours_in.close()
        ours_out.close()
    answers = _answers(received)
    assert answers[1]["result"]["serverInfo"]["name"] == "openrouterai"
    assert "chat_completion" in {tool["name"] for tool in answers[2]["result"]["tools"]}


def test_a_server_writing_to_a_terminal_is_served_by_the_sdk_transport_and_answers_the_same(tmp_path: Path) -> None:
    # A terminal is neither a pipe nor a socket: the SDK's own transport serves it.
    terminal, terminal_side = pty.openpty()
    tty.setraw(terminal_side)  # no newline translation, no echo
    process = subprocess.Popen(
        server_command(),
        stdin=subprocess.PIPE,
        stdout=terminal_side,
        stderr=subprocess.PIPE,
        env=process_env({"OPENROUTER_LOG_LEVEL": "DEBUG"}),
        cwd=tmp_path,
    )
    os.close(terminal_side)
    assert process.stdin is not None and process.stderr is not None
    try:
        process.stdin.write(_lines(INITIALIZE, LIST_TOOLS))
        process.stdin.flush()
        received = b""
        while received.count(b"\n") < 2:
            ready, _, _ = select.select([terminal], [], [], 30)
            assert ready, f"no answer within 30 s: {received!r}"
            received += os.read(terminal, 1 << 16)
        process.stdin.close()
        assert process.wait(timeout=30) == 0
        assert b"stdio transport: the SDK's" in process.stderr.read()
    finally:
        process.kill()
        process.stderr.close()
        os.close(terminal)
    answers = _answers(received)
    assert answers[1]["result"]["serverInfo"]["name"] == "openrouterai"
    assert "search_models" in {tool["name"] for tool in answers[2]["result"]["tools"]}


_STRAY = """
import os, anyio
from openrouterai_mcp.stdio import loop_pipes

async def main() -> None:
    async with loop_pipes() as (lines, out):
        print("stray print")
        os.write(1, b"stray write to fd 1\\n")
        async for line in lines:
            await out.write("echo " + line)
            await out.flush()

anyio.run(main)
"""


def test_stray_output_goes_to_stderr_never_to_the_protocol_stream(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STRAY],
        input=b"one\nt\xc3\xa9\xffo\n",
        capture_output=True,
        env=process_env({}),
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == "echo one\necho t\u00e9\ufffdo\n"
    assert b"stray print" in done.stderr
    assert b"stray write to fd 1" in done.stderr
