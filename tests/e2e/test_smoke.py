"""The installed server answers over stdio against the fake upstream."""

from __future__ import annotations

import json

from tests.conftest import ServerProcess
from tests.fake_upstream import CHAT, FakeUpstream


async def test_chat_completion_over_stdio_returns_the_upstream_id_and_model(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env) as client:
        result = await client.call_tool(
            "chat_completion", {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        )
    assert result.is_error is False
    payload = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert payload["id"].startswith("gen-fake")
    assert payload["model"] == "openai/gpt-4o"
    sent = upstream.calls(CHAT)[0]
    assert sent.headers["authorization"] == f"Bearer {env['OPENROUTER_API_KEY']}"


async def test_search_models_over_stdio_finds_vision_models(server: ServerProcess, env: dict[str, str]) -> None:
    async with server.connect(env) as client:
        result = await client.call_tool("search_models", {"capabilities": {"vision": True}, "minContextLength": 150000})
    payload = json.loads(result.content[0].text)  # type: ignore[union-attr]
    ids = {model["id"] for model in payload["data"]}
    assert ids == {"openrouter/auto", "anthropic/claude-3.5-sonnet", "google/gemini-2.5-flash"}
