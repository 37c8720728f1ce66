"""The server declares and answers exactly what it has: tools and logging/setLevel, no prompts, no resources."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import INVALID_PARAMS, METHOD_NOT_FOUND

from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import Settings


async def test_the_server_declares_tools_and_logging_only() -> None:
    async with Client(create_server(Settings()), mode="legacy") as client:
        capabilities = client.server_capabilities
    assert capabilities.tools is not None
    assert capabilities.logging is not None
    assert capabilities.prompts is None
    assert capabilities.resources is None
    assert capabilities.completions is None


async def test_an_unknown_tool_is_the_json_rpc_error_invalid_params() -> None:
    async with Client(create_server(Settings()), mode="legacy") as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("no_such_tool", {})
    assert caught.value.error.code == INVALID_PARAMS
    assert caught.value.error.message == "Unknown tool: no_such_tool"


async def test_prompts_and_resources_are_methods_the_server_does_not_have() -> None:
    async with Client(create_server(Settings()), mode="legacy") as client:
        for call in (client.list_prompts, client.list_resources):
            with pytest.raises(MCPError) as caught:
                await call()
            assert caught.value.error.code == METHOD_NOT_FOUND
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("anything")
        assert caught.value.error.code == METHOD_NOT_FOUND


async def test_a_client_may_set_the_logging_level() -> None:
    async with Client(create_server(Settings()), mode="legacy") as client:
        # The SDK's client warns that the 2026-07-28 protocol deprecates logging; handshake clients still use it.
        with pytest.warns(MCPDeprecationWarning):
            result = await client.set_logging_level("debug")
    assert result.model_dump(exclude_none=True, exclude_defaults=True) == {}
