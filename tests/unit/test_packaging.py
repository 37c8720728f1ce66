"""What lives next to the code and must stay true to it: the MCP Bundle manifest, the MCP Registry's
server.json, the README's `mcp-name:` marker, and the uv settings that compile bytecode on install."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from tests.spec_variables import PENDING_FEATURE_VARIABLES

from openrouterai_mcp import __version__
from openrouterai_mcp.settings import Settings, variable_names
from openrouterai_mcp.tools import TOOLS

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_VARIABLES = {name for field in Settings.model_fields for name in variable_names(field)}


def load(name: str) -> Any:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def known_variable(name: str) -> bool:
    return name in SETTINGS_VARIABLES or name in PENDING_FEATURE_VARIABLES


# --- server.json ---------------------------------------------------------------------------------


def test_server_json_is_valid_against_the_registrys_published_schema() -> None:
    schema = load("tests/data/server.schema.json")
    Draft7Validator.check_schema(schema)
    errors = [
        error.message
        for error in Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(load("server.json"))
    ]
    assert errors == []


def test_server_json_names_the_pypi_package_run_with_uvx_over_stdio() -> None:
    server = load("server.json")
    assert re.fullmatch(r"io\.github\.[A-Za-z0-9-]+/openrouterai-mcp", server["name"])
    assert len(server["description"]) <= 100
    assert server["version"] == __version__
    (package,) = server["packages"]
    assert (package["registryType"], package["identifier"], package["version"]) == (
        "pypi",
        "openrouterai-mcp",
        __version__,
    )
    assert package["runtimeHint"] == "uvx"
    assert package["transport"] == {"type": "stdio"}


def test_server_json_marks_the_key_secret_and_names_only_real_variables() -> None:
    variables = {item["name"]: item for item in load("server.json")["packages"][0]["environmentVariables"]}
    assert variables["OPENROUTER_API_KEY"]["isSecret"] is True
    assert [name for name, item in variables.items() if item.get("isSecret")] == ["OPENROUTER_API_KEY"]
    assert [name for name in variables if not known_variable(name)] == []


def test_the_readme_carries_the_registry_ownership_marker() -> None:
    name = load("server.json")["name"]
    assert f"mcp-name: {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- MCP Bundle ----------------------------------------------------------------------------------


def test_the_bundle_manifest_describes_this_version_and_every_registered_tool() -> None:
    manifest = load("manifest.json")
    assert manifest["version"] == __version__
    assert manifest["manifest_version"] == "0.4"
    listed = {tool["name"] for tool in manifest["tools"]}
    assert set(TOOLS) <= listed


def test_the_bundle_asks_for_the_key_as_a_sensitive_field_and_passes_only_real_variables() -> None:
    manifest = load("manifest.json")
    user_config = manifest["user_config"]
    assert user_config["api_key"]["sensitive"] is True
    assert user_config["file_roots"]["type"] == "directory"
    env = manifest["server"]["mcp_config"]["env"]
    assert env["OPENROUTER_API_KEY"] == "${user_config.api_key}"
    assert [name for name in env if name != "UV_COMPILE_BYTECODE" and not known_variable(name)] == []
    # Every field the env refers to is declared, and every optional one has a default (an unfilled optional
    # field without one would reach the server as a literal `${user_config.…}`).
    for reference in re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(env)):
        option = user_config[reference]
        assert option.get("required") or "default" in option, reference


def test_the_bundle_entry_point_exists_and_the_ignore_file_keeps_the_project_in_the_bundle() -> None:
    manifest = load("manifest.json")
    assert (ROOT / manifest["server"]["entry_point"]).is_file()
    assert manifest["server"]["entry_point"] in manifest["server"]["mcp_config"]["args"]
    kept = (ROOT / ".mcpbignore").read_text(encoding="utf-8").splitlines()
    for needed in ("manifest.json", "pyproject.toml", "uv.lock", "README.md", "src", "bundle"):
        assert f"!/{needed}" in kept, needed


# --- install paths --------------------------------------------------------------------------------


def test_the_projects_own_installs_compile_bytecode() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("\n[tool.uv]\n", 1)[1].split("\n[", 1)[0]
    assert "compile-bytecode = true" in section.splitlines()
