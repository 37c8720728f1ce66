"""The server runs on uvloop unless OPENROUTER_UVLOOP=off, and serves the same either way."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ServerProcess

USER_HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(("setting", "expected"), [("on", "uvloop"), ("off", "asyncio"), ("0", "asyncio")])
async def test_the_server_runs_on_the_event_loop_the_variable_chooses(
    server: ServerProcess, env: dict[str, str], setting: str, expected: str
) -> None:
    if expected == "uvloop":
        pytest.importorskip("uvloop")
    loop_env = {**env, "OPENROUTER_UVLOOP": setting, "OPENROUTER_LOG_LEVEL": "DEBUG"}
    async with server.connect(loop_env) as client:
        result = await client.call_tool("chat_completion", {"model": "openai/gpt-4o", "messages": USER_HI})
    assert result.is_error is False
    assert json.loads(result.content[0].text)["id"].startswith("gen-fake")  # type: ignore[union-attr]
    assert f"event loop: {expected}" in server.stderr_text()


async def test_a_bad_uvloop_value_is_reported_naming_the_variable(server: ServerProcess, env: dict[str, str]) -> None:
    async with server.connect({**env, "OPENROUTER_UVLOOP": "sometimes"}) as client:
        result = await client.call_tool("search_models", {"query": "claude"})
    assert result.is_error is True
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("Error: Validation Error - invalid configuration: OPENROUTER_UVLOOP='sometimes' is invalid")
