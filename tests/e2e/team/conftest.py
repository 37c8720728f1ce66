"""Fixtures for the team server's end-to-end tests: two users in a tokens file, the server on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.team_server import TeamServer, write_tokens

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-fedcba9876543210"


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    return write_tokens(
        tmp_path / "tokens.txt",
        f"# team members\nalice {ALICE}\nbob {BOB} 0.50  # bob has a daily budget\n",
    )


@pytest.fixture
def team_env(env: dict[str, str], tmp_path: Path, tokens_file: Path) -> dict[str, str]:
    return {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tokens_file), "OPENROUTER_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def team(tmp_path: Path, team_env: dict[str, str]) -> Iterator[TeamServer]:
    server = TeamServer(tmp_path, team_env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local(tmp_path: Path, env: dict[str, str]) -> Iterator[TeamServer]:
    """The server without a tokens file: loopback only, one local user."""
    server = TeamServer(tmp_path, env).start()
    try:
        yield server
    finally:
        server.stop()
