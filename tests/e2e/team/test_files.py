"""Local files over HTTP: the caller is on another machine, so the server's disk stays closed unless
OPENROUTER_FILE_ROOTS opens directories of it; nothing refused is ever sent upstream."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.e2e.team.conftest import ALICE
from tests.fake_upstream import CHAT, FakeUpstream
from tests.results import failed, ok
from tests.team_server import TeamServer

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
USER = [{"role": "user", "content": "What is in this picture?"}]


@pytest.mark.parametrize("source", ["/etc/passwd", "file:///etc/passwd", "/etc/hostname"])
async def test_without_file_roots_a_local_path_over_http_is_refused_and_nothing_is_sent(
    team: TeamServer, upstream: FakeUpstream, source: str
) -> None:
    async with team.connect(ALICE) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": USER, "attachments": [source]}))
    assert text.startswith("Error: Validation Error - ")
    assert "OPENROUTER_FILE_ROOTS" in text
    assert upstream.calls(CHAT) == []


async def test_without_file_roots_an_image_part_with_a_server_path_is_refused(
    team: TeamServer, upstream: FakeUpstream
) -> None:
    part = [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "/etc/passwd"}}]
    async with team.connect(ALICE) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": part}]}))
    assert "OPENROUTER_FILE_ROOTS" in text
    assert upstream.calls(CHAT) == []


async def test_with_file_roots_a_file_inside_is_sent_and_one_outside_is_refused(
    tmp_path: Path, team_env: dict[str, str], upstream: FakeUpstream
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "dot.png").write_bytes(PNG)
    server = TeamServer(tmp_path, {**team_env, "OPENROUTER_FILE_ROOTS": str(shared)}).start()
    try:
        async with server.connect(ALICE) as client:
            inside = await client.call_tool(
                "chat_completion", {"messages": USER, "attachments": [str(shared / "dot.png")]}
            )
            outside = await client.call_tool("chat_completion", {"messages": USER, "attachments": ["/etc/passwd"]})
    finally:
        server.stop()
    ok(inside)
    assert "outside the directories in OPENROUTER_FILE_ROOTS" in failed(outside)
    [sent] = upstream.calls(CHAT)
    assert "data:image/png;base64," in str(sent.body["messages"])
