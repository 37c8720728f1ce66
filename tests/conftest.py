"""Shared fixtures: the fake upstream on 127.0.0.1, and the real server process driven over stdio."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.catalog_data import catalog
from tests.fake_upstream import FakeUpstream
from tests.postgres import PostgresServer, postgres_server

TEST_KEY = "sk-or-v1-TESTKEY-0123456789abcdef"
# Passed from the test run's own environment to every server it starts, so the whole end-to-end suite
# can run on either event loop (`OPENROUTER_UVLOOP=off uv run pytest tests/e2e`, as .ci/run does).
PASSED_THROUGH = ("PATH", "OPENROUTER_UVLOOP")


def process_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a server process a test starts: `env` over the passed-through variables."""
    inherited = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return {"PATH": "", **inherited, **env}


def server_command() -> list[str]:
    """The installed console script (what users run), next to this interpreter."""
    script = Path(sys.executable).with_name("openrouterai-mcp")
    if script.exists():
        return [str(script)]
    found = shutil.which("openrouterai-mcp")
    if found:
        return [found]
    return [sys.executable, "-m", "openrouterai_mcp"]


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(catalog()) as fake:
        yield fake


class ServerProcess:
    """Starts the server over stdio with an environment; `stderr_text()` reads what it logged."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.stderr_path = workdir / "server-stderr.log"

    @asynccontextmanager
    async def connect(self, env: dict[str, str], **client_options: Any) -> AsyncIterator[Client]:
        command = server_command()
        params = StdioServerParameters(
            command=command[0],
            args=command[1:],
            # The store lives in the test's directory unless the test says otherwise.
            env=process_env({"OPENROUTER_DATA_DIR": str(self.workdir / "data"), **env}),
            cwd=str(self.workdir),
        )
        with self.stderr_path.open("a", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog), **client_options) as client:
                yield client

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8") if self.stderr_path.exists() else ""


@pytest.fixture
def server(tmp_path: Path) -> ServerProcess:
    return ServerProcess(tmp_path)


@pytest.fixture
def env(upstream: FakeUpstream) -> dict[str, str]:
    """The usual environment: a key and the fake upstream as the base URL."""
    return {"OPENROUTER_API_KEY": TEST_KEY, "OPENROUTER_BASE_URL": upstream.base_url}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server on loopback for the whole run (skipped without binaries, outside CI)."""
    with postgres_server() as server:
        yield server
