"""`Store` on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through psycopg 3.

This class owns the engine and the transactions; the queries live in `conversation_sql` and `ledger_sql`,
the engine set-up in `engine`, the tables and migrations in `schema`.

Concurrency. SQLite: every transaction is BEGIN IMMEDIATE (one writer at a time across processes,
waiting up to the busy timeout), WAL lets readers run meanwhile, and an in-process lock keeps this
process's calls from queueing inside SQLite. PostgreSQL: budget checks take a transaction-level advisory
lock, so the check and the reservation of two replicas never interleave.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress

import anyio
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..budget import Limit, first_refusal
from ..errors import BudgetExceeded
from . import (
    ConversationInfo,
    ConversationWrite,
    GroupBy,
    LedgerEntry,
    NewMessage,
    StoredMessage,
    Usage,
    conversation_sql,
    ledger_sql,
)
from .engine import create_engine, database_failure, engine_url
from .schema import BUDGET_LOCK, MIGRATION_LOCK, migrate

logger = logging.getLogger(__name__)


class SqlStore:
    def __init__(self, engine: AsyncEngine, *, sqlite: bool) -> None:
        self._engine = engine
        self._sqlite = sqlite
        self._lock = anyio.Lock() if sqlite else None

    @classmethod
    @database_failure
    async def open(cls, *, database_url: str | None, data_dir: str | None) -> SqlStore:
        url, is_sqlite = engine_url(database_url, data_dir)
        engine = create_engine(url, sqlite=is_sqlite)
        store = cls(engine, sqlite=is_sqlite)
        try:
            async with store._transaction() as connection:
                if not is_sqlite:
                    await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                applied = await connection.run_sync(migrate)
            if applied:
                logger.info("store: applied schema migrations %s", applied)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await engine.dispose()
            raise
        return store

    @asynccontextmanager
    async def _transaction(self) -> AsyncGenerator[AsyncConnection]:
        if self._lock is None:
            async with self._engine.begin() as connection:
                yield connection
            return
        async with self._lock, self._engine.begin() as connection:
            yield connection

    async def _reclaim(self) -> None:
        """SQLite: secure_delete zeroes freed pages; the WAL copy goes at the checkpoint."""
        if self._sqlite:
            async with self._lock or anyio.Lock(), self._engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                with suppress(SQLAlchemyError):
                    await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # Conversations

    @database_failure
    async def conversation(self, user: str, conversation_id: str) -> ConversationInfo | None:
        async with self._transaction() as connection:
            return await conversation_sql.find(connection, user, conversation_id)

    @database_failure
    async def messages(
        self, user: str, conversation_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        async with self._transaction() as connection:
            return await conversation_sql.read_messages(connection, user, conversation_id, offset, limit)

    @database_failure
    async def append(
        self, user: str, conversation_id: str, new: list[NewMessage], *, now: float, title: str, created: bool = False
    ) -> None:
        async with self._transaction() as connection:
            await conversation_sql.append(
                connection, ConversationWrite(user, conversation_id, new, now, title, created)
            )

    @database_failure
    async def list_conversations(self, user: str, query: str | None, limit: int) -> list[ConversationInfo]:
        async with self._transaction() as connection:
            return await conversation_sql.search(connection, user, query, limit)

    @database_failure
    async def delete_conversation(self, user: str, conversation_id: str) -> bool:
        async with self._transaction() as connection:
            if not await conversation_sql.owned(connection, user, conversation_id):
                return False
            await conversation_sql.delete(connection, [conversation_id])
        await self._reclaim()
        return True

    @database_failure
    async def prune(self, before: float) -> int:
        async with self._transaction() as connection:
            ids = await conversation_sql.updated_before(connection, before)
            await conversation_sql.delete(connection, ids)
        if ids:
            await self._reclaim()
        return len(ids)

    # Ledger and budgets

    @database_failure
    async def spent(self, limits: list[Limit]) -> list[float]:
        async with self._transaction() as connection:
            return await ledger_sql.spent(connection, limits)

    @database_failure
    async def reserve(self, entry: LedgerEntry, limits: list[Limit], estimate: float) -> int:
        async with self._transaction() as connection:
            if not self._sqlite and limits:
                await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(BUDGET_LOCK)))
            message = first_refusal(limits, await ledger_sql.spent(connection, limits))
            if message is not None:
                raise BudgetExceeded(message)
            return await ledger_sql.insert_pending(connection, entry, estimate)

    @database_failure
    async def settle(
        self, row_id: int | None, entry: LedgerEntry, conversation: ConversationWrite | None = None
    ) -> None:
        async with self._transaction() as connection:
            if conversation is not None:
                await conversation_sql.append(connection, conversation)
            await ledger_sql.record(connection, row_id, entry, sqlite=self._sqlite)

    @database_failure
    async def usage(self, user: str, since: float | None, until: float, group_by: GroupBy) -> Usage:
        async with self._transaction() as connection:
            return await ledger_sql.usage(connection, user, since, until, group_by)

    async def close(self) -> None:
        await self._engine.dispose()
