"""Fixtures for the unit tests: a clean environment, a fake clock, upstream mocks and in-memory servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import respx
from mcp import Client
from pydantic import AliasChoices
from store_fixtures import open_replica, store
from unit_helpers import FakeTime, make_settings
from unit_payloads import BASE_URL, chat_completion

from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import Settings


def _settings_variables() -> set[str]:
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        names.add(field_name.upper())
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice).upper() for choice in field.validation_alias.choices)
    return names


SETTINGS_VARIABLES = _settings_variables()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No test sees the real environment or a `.env` of the checkout (Settings reads both)."""
    for name in list(os.environ):
        if name.upper() in SETTINGS_VARIABLES or name.upper().startswith("OPENROUTER_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # The store never touches the real user data directory from a test.
    monkeypatch.setenv("OPENROUTER_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> respx.MockRouter:
    """A respx router for the upstream, used as the server's transport (no global patching)."""
    return respx.MockRouter(base_url=BASE_URL, assert_all_called=False)


@pytest.fixture
def chat_route(router: respx.MockRouter) -> respx.Route:
    """The upstream's chat endpoint answering one plain completion (a test may override it)."""
    return router.post("/chat/completions").respond(json=chat_completion())


@pytest.fixture
def mcp_client(router: respx.MockRouter) -> Callable[..., Any]:
    """`async with mcp_client(**settings) as client:` — an in-memory MCP client on a fresh server."""

    @asynccontextmanager
    async def connect(config_error: str | None = None, **overrides: Any) -> AsyncIterator[Client]:
        server = create_server(
            make_settings(**overrides),
            transport=httpx.MockTransport(router.async_handler),
            config_error=config_error,
        )
        async with Client(server) as client:
            yield client

    return connect


__all__ = ["open_replica", "store"]
