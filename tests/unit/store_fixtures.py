"""The same store tests run on both backends: a SQLite file, and a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from openrouterai_mcp.store import Store, open_store

OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture(params=["sqlite", "postgresql"])
async def open_replica(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """`await open_replica()` opens one more store on the same database (a second replica, a restart)."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres").create_database()
    opened: list[Store] = []

    async def replica() -> Store:
        store = await open_store(database_url=url, data_dir=str(tmp_path / "data"))
        opened.append(store)
        return store

    yield replica
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_replica: OpenStore) -> Store:
    return await open_replica()
