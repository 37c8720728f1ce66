"""The store, opened on first use: nothing touches the database (or imports SQLAlchemy) before that.

Opening is single-flight. A store that cannot be opened raises `StoreError` to the caller, who answers
without it; the next use tries again. Old conversations are pruned when it opens and hourly after.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio

from . import Store, StoreError, open_store

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
Opener = Callable[[], Awaitable[Store]]


class StoreHandle:
    def __init__(
        self,
        opener: Opener,
        *,
        history_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._opener = opener
        self._history_days = history_days
        self._clock = clock
        self._store: Store | None = None
        self._lock = anyio.Lock()
        self._pruned_at: float | None = None

    @classmethod
    def for_settings(
        cls, *, database_url: str | None, data_dir: str | None, history_days: int, clock: Callable[[], float]
    ) -> StoreHandle:
        async def opener() -> Store:
            return await open_store(database_url=database_url, data_dir=data_dir)

        return cls(opener, history_days=history_days, clock=clock)

    @property
    def opened(self) -> bool:
        return self._store is not None

    async def get(self) -> Store:
        store = self._store
        if store is None:
            async with self._lock:
                store = self._store
                if store is None:
                    try:
                        store = await self._opener()
                    except StoreError as exc:
                        logger.warning("the store cannot be opened (%s); calls are answered but not stored", exc)
                        raise
                    self._store = store
        await self._maybe_prune(store)
        return store

    async def _maybe_prune(self, store: Store) -> None:
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        try:
            removed = await store.prune(now - self._history_days * 86400)
        except StoreError as exc:
            logger.warning("pruning old conversations failed: %s", exc)
            return
        if removed:
            logger.info("pruned %d conversations older than %d days", removed, self._history_days)

    async def aclose(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with anyio.CancelScope(shield=True):
                await store.close()
