"""The README, docs/ and .env.example stay true to the code: JSON blocks parse, every variable they name
exists, every relative link points at a file (or at a page another feature adds), the README stays short."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.spec_variables import PENDING_FEATURE_VARIABLES

from openrouterai_mcp.settings import Settings, variable_names

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SETTINGS_VARIABLES = {name for field in Settings.model_fields for name in variable_names(field)}
KNOWN_VARIABLES = SETTINGS_VARIABLES | PENDING_FEATURE_VARIABLES
# Pages the other features' engineers write; the README links them before they land on this branch.
PAGES_OF_OTHER_FEATURES = {"docs/multimodal.md", "docs/models.md", "docs/conversations.md", "docs/team-server.md"}
# Variables that configure something other than this server (uv, the MCP SDK, mcp-remote), named in examples.
FOREIGN_VARIABLES = {"UV_COMPILE_BYTECODE", "PYTHONDONTWRITEBYTECODE", "MCP_TOOL_TIMEOUT", "AUTH_HEADER"}

JSON_BLOCK = re.compile(r"```json[^\n]*\n(.*?)```", re.DOTALL)
OUR_VARIABLE = re.compile(r"\b(OPENROUTER_[A-Z0-9_]*[A-Z0-9])\b(?!_?\*)")
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)")


def json_blocks(path: Path) -> list[str]:
    return JSON_BLOCK.findall(path.read_text(encoding="utf-8"))


def env_names(value: Any) -> list[str]:
    """Every key of every `env` object in a parsed client configuration."""
    names: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "env" and isinstance(item, dict):
                names.extend(item)
            names.extend(env_names(item))
    elif isinstance(value, list):
        for item in value:
            names.extend(env_names(item))
    return names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_json_block_parses_and_its_env_names_real_variables(path: Path) -> None:
    for block in json_blocks(path):
        parsed = json.loads(block)
        unknown = [name for name in env_names(parsed) if name not in KNOWN_VARIABLES | FOREIGN_VARIABLES]
        assert unknown == [], f"{path.name}: {block[:80]}"


@pytest.mark.parametrize("path", [*DOCUMENTS, ROOT / ".env.example"], ids=lambda path: path.name)
def test_every_openrouter_variable_named_exists(path: Path) -> None:
    named = set(OUR_VARIABLE.findall(path.read_text(encoding="utf-8")))
    assert sorted(named - KNOWN_VARIABLES - FOREIGN_VARIABLES) == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_points_at_a_file(path: Path) -> None:
    for target in RELATIVE_LINK.findall(path.read_text(encoding="utf-8")):
        resolved = (path.parent / target).resolve()
        relative = resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else target
        assert resolved.exists() or relative in PAGES_OF_OTHER_FEATURES, f"{path.name} -> {target}"


def test_the_readme_is_short_enough_to_read_in_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_the_readme_shows_every_client_config_the_spec_asks_for() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in (
        '"command": "uvx"',  # Claude Desktop and Cline
        "claude mcp add",  # Claude Code
        "~/.gemini/settings.json",  # Gemini CLI
        ".mcpb",  # the bundle
        '"url": "https://',  # a remote team server
        '"Authorization": "Bearer',
        '"args": ["-m", "openrouterai_mcp"]',  # python -m
        "npx -y @modelcontextprotocol/inspector",  # the Inspector, non-interactive
    ):
        assert needle in readme, needle


def test_the_env_example_lists_every_setting_and_says_an_empty_value_means_unset() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields:
        assert variable_names(field)[0] in example, field
    assert "empty value means unset" in example
