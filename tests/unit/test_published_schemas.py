"""The committed input schemas are exactly what the argument models generate, and are what tools/list shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openrouterai_mcp.schemas import ModelArgs, tool_input_schema
from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import Settings
from openrouterai_mcp.tools import TOOLS, published

REGENERATE = "stale: run `uv run python -m openrouterai_mcp.tools.published` and commit input_schemas.json"


def test_the_committed_input_schemas_are_what_the_argument_models_generate() -> None:
    generated = published.generated_schemas({name: spec.arguments for name, spec in TOOLS.items()})
    assert published.committed_schemas() == generated, REGENERATE


def test_the_committed_file_is_written_as_the_generator_writes_it() -> None:
    assert published.COMMITTED.read_text(encoding="utf-8") == published.render(published.committed_schemas())


async def test_tools_list_shows_the_generated_schema_of_every_tool(mcp_client: Callable[..., Any]) -> None:
    async with mcp_client() as client:
        listed = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    assert listed == {name: tool_input_schema(spec.arguments) for name, spec in TOOLS.items()}


async def test_a_tool_missing_from_the_committed_file_gets_its_schema_generated_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    partial = {name: schema for name, schema in published.committed_schemas().items() if name != "validate_model"}
    path = tmp_path / "input_schemas.json"
    path.write_text(published.render(partial), encoding="utf-8")
    monkeypatch.setattr(published, "COMMITTED", path)
    tools = await create_server(Settings()).list_tools()
    schemas = {tool.name: tool.input_schema for tool in tools}
    assert schemas["validate_model"] == tool_input_schema(ModelArgs)


async def test_an_unreadable_committed_file_means_every_schema_is_generated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "input_schemas.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(published, "COMMITTED", path)
    tools = await create_server(Settings()).list_tools()
    assert {tool.name: tool.input_schema for tool in tools} == {
        name: tool_input_schema(spec.arguments) for name, spec in TOOLS.items()
    }
