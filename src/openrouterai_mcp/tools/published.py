"""The tools' input schemas as `tools/list` publishes them, read from a committed file at start-up.

Each schema is generated from the tool's argument model (`schemas.tool_input_schema`), the same model
that validates the arguments. Generating all of them takes ~17 ms, and forces pydantic to build every
argument model, before the server can answer `initialize`; so the generated schemas are committed in
`input_schemas.json` next to this module and read from there (the models are then built on first use).
A tool missing from the file has its schema generated at start-up, so the server is always right; a
unit test fails whenever the file differs from what the models generate. Regenerate it with:

    uv run python -m openrouterai_mcp.tools.published
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..jsonshape import as_dict
from ..schemas import tool_input_schema

COMMITTED = Path(__file__).with_name("input_schemas.json")


def committed_schemas() -> dict[str, Any]:
    """Tool name -> committed input schema; empty when the file is missing or unreadable."""
    try:
        return as_dict(json.loads(COMMITTED.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def input_schema(name: str, model: type[BaseModel], committed: dict[str, Any]) -> dict[str, Any]:
    schema = committed.get(name)
    return as_dict(schema) if isinstance(schema, dict) else tool_input_schema(model)


def generated_schemas(arguments: dict[str, type[BaseModel]]) -> dict[str, Any]:
    """What the committed file must hold for these tools (name -> argument model)."""
    return {name: tool_input_schema(model) for name, model in arguments.items()}


def render(schemas: dict[str, Any]) -> str:
    return json.dumps(schemas, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    from . import TOOLS

    COMMITTED.write_text(render(generated_schemas({name: spec.arguments for name, spec in TOOLS.items()})), "utf-8")


if __name__ == "__main__":
    main()
