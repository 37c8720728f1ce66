"""Starting the stdio server imports only what it needs before the first call (a behavioural guard, not timed).

Each check starts a fresh interpreter, imports the console script's module and the server factory and
builds a server, as `openrouterai-mcp` does before it answers `initialize`, then reads `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_STARTED = """
import json, sys
import openrouterai_mcp.cli, openrouterai_mcp.server
from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import Settings
create_server(Settings())
print(json.dumps(sorted(sys.modules)))
"""
_SDK_ONLY = """
import json, sys
import mcp.server.mcpserver
print(json.dumps(sorted(sys.modules)))
"""
# Imported on first use only: the store's SQL implementation and its drivers (the `store` package itself is
# its small interface and records, which the tools name), the team server, the retry machinery (needed
# only after a failed attempt), the event loop (chosen when the server runs, not when it is imported).
NOT_AT_START = ("sqlite3", "sqlalchemy", "aiosqlite", "psycopg", "platformdirs", "tenacity", "uvloop")
OUR_LAZY_MODULES = (
    "openrouterai_mcp.store.sql",
    "openrouterai_mcp.store.engine",
    "openrouterai_mcp.store.conversation_sql",
    "openrouterai_mcp.store.ledger_sql",
    "openrouterai_mcp.store.schema",
    "openrouterai_mcp.store.database",
    "openrouterai_mcp.store.sqlite_db",
    "openrouterai_mcp.store.postgres_db",
    "openrouterai_mcp.store.files",
    "openrouterai_mcp.http",
    "openrouterai_mcp.check",
)
HTTP_STACK = ("uvicorn", "starlette", "sse_starlette")


def _modules(code: str, cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env={"PATH": ""}, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def _loaded(modules: set[str], package: str) -> set[str]:
    return {name for name in modules if name == package or name.startswith(package + ".")}


@pytest.fixture(scope="module")
def started_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return _modules(_STARTED, tmp_path_factory.mktemp("start"))


@pytest.mark.parametrize("package", NOT_AT_START + OUR_LAZY_MODULES)
def test_starting_the_stdio_server_does_not_import(started_modules: set[str], package: str) -> None:
    assert _loaded(started_modules, package) == set()


def test_starting_the_stdio_server_imports_no_more_of_the_http_stack_than_the_sdk_itself(
    started_modules: set[str], tmp_path: Path
) -> None:
    sdk_modules = _modules(_SDK_ONLY, tmp_path)
    for package in HTTP_STACK:
        assert _loaded(started_modules, package) <= _loaded(sdk_modules, package), package


_SQLITE_STORE_USED = """
import asyncio, json, sys
from openrouterai_mcp.store import LedgerEntry, open_store

async def main():
    store = await open_store(database_url=None, data_dir=sys.argv[1])
    await store.settle(None, LedgerEntry("local", 0.0, "m"))
    assert (await store.usage("local", None, 1.0, "model")).total.calls == 1
    await store.close()

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""


def test_the_sqlite_store_runs_on_the_standard_library_alone(tmp_path: Path) -> None:
    """SQLAlchemy (~27 MB resident) and the drivers stay out of a stdio server that writes its SQLite store."""
    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_STORE_USED, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": ""},
        check=True,
        timeout=60,
    )
    modules = set(json.loads(done.stdout))
    assert "sqlite3" in modules
    for package in ("sqlalchemy", "aiosqlite", "psycopg", "greenlet"):
        assert _loaded(modules, package) == set(), package
