"""Every tool-argument example in README.md and docs/ is accepted by the tool it is shown for.

The README's "Tools at a glance" table names the tool on each row; a fenced JSON block in docs/ is an
argument example when it holds `messages` (chat_completion, or compare_models when it lists `models` and
no `model`) or only search_models' arguments. Each is validated by the same code a tool call goes through
(`parse_arguments` over the tool's argument model), so an example with a misspelt or removed argument fails
here. Tools another feature adds (rows for tools not registered yet) are skipped until they land.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from openrouterai_mcp.tools import TOOLS
from openrouterai_mcp.tools.base import parse_arguments

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
TABLE_ROW = re.compile(r"^\| `(?P<tool>[a-z_]+)` \|.*\| (?P<examples>`\{.*\}`(?: or `\{.*\}`)*) \|$", re.MULTILINE)
INLINE_OBJECT = re.compile(r"`(\{.*?\})`(?= or |$)")
JSON_BLOCK = re.compile(r"```json[^\n]*\n(.*?)```", re.DOTALL)
SEARCH_ARGUMENTS = set(TOOLS["search_models"].arguments.model_fields) | {
    field.alias for field in TOOLS["search_models"].arguments.model_fields.values() if field.alias
}


def readme_examples() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found: list[tuple[str, str]] = []
    for row in TABLE_ROW.finditer(readme):
        found += [(row["tool"], example) for example in INLINE_OBJECT.findall(row["examples"])]
    return found


def tool_for(example: dict[str, Any]) -> str | None:
    if "messages" in example:
        return "compare_models" if "models" in example and "model" not in example else "chat_completion"
    if example and example.keys() <= SEARCH_ARGUMENTS:
        return "search_models"
    return None


def docs_examples() -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for path in DOCS:
        for block in JSON_BLOCK.findall(path.read_text(encoding="utf-8")):
            parsed = json.loads(block)
            tool = tool_for(parsed) if isinstance(parsed, dict) else None
            if tool is not None:
                found.append((path.name, tool, block))
    return found


def test_the_readme_table_shows_an_example_for_every_tool_it_lists() -> None:
    shown = {tool for tool, _ in readme_examples()}
    assert {"chat_completion", "compare_models", "search_models", "get_model_info", "validate_model"} <= shown


@pytest.mark.parametrize(("tool", "example"), readme_examples(), ids=lambda value: str(value)[:40])
def test_every_readme_table_example_is_accepted_by_its_tool(tool: str, example: str) -> None:
    if tool not in TOOLS:
        pytest.skip(f"{tool} comes with another feature")
    parse_arguments(TOOLS[tool].arguments, json.loads(example))


def test_the_docs_hold_argument_examples_for_chat_compare_and_search() -> None:
    assert {tool for _, tool, _ in docs_examples()} == {"chat_completion", "compare_models", "search_models"}


@pytest.mark.parametrize(("page", "tool", "example"), docs_examples(), ids=lambda value: str(value)[:30])
def test_every_argument_example_in_the_docs_is_accepted_by_its_tool(page: str, tool: str, example: str) -> None:
    del page
    parse_arguments(TOOLS[tool].arguments, json.loads(example))
