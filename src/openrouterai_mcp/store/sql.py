"""`Store` on SQL: SQLite (the standard library's sqlite3) or PostgreSQL (SQLAlchemy on psycopg 3).

This class says which queries make up each operation and runs them as one transaction of its `Database`;
the queries live in `conversation_sql` and `ledger_sql`, the tables and migrations in `schema`, the two
databases in `sqlite_db` and `postgres_db`.

Concurrency. SQLite: every transaction is BEGIN IMMEDIATE (one writer at a time across processes,
waiting up to the busy timeout), WAL lets readers run meanwhile, and one transaction at a time runs in
this process. PostgreSQL: budget checks take a transaction-level advisory lock, so the check and the
reservation of two replicas never interleave.
"""

from __future__ import annotations

import logging

import anyio

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
from .database import Database, Sql
from .engine import open_database
from .schema import migrate

logger = logging.getLogger(__name__)

# Turns up to this many characters are written without leaving the event loop (about 0.1 ms; see sqlite_db).
SMALL_WRITE_CHARS = 32_768


class SqlStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    @classmethod
    async def open(cls, *, database_url: str | None, data_dir: str | None) -> SqlStore:
        database = await open_database(database_url, data_dir)
        try:
            applied = await database.transaction(migrate)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await database.close()
            raise
        if applied:
            logger.info("store: applied schema migrations %s", applied)
        return cls(database)

    # Conversations

    async def conversation(self, user: str, conversation_id: str) -> ConversationInfo | None:
        return await self._database.transaction(
            lambda sql: conversation_sql.find(sql, user, conversation_id), small=True
        )

    async def messages(
        self, user: str, conversation_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        return await self._database.transaction(
            lambda sql: conversation_sql.read_messages(sql, user, conversation_id, offset, limit)
        )

    async def append(
        self, user: str, conversation_id: str, new: list[NewMessage], *, now: float, title: str, created: bool = False
    ) -> None:
        write = ConversationWrite(user, conversation_id, new, now, title, created)
        await self._database.transaction(lambda sql: conversation_sql.append(sql, write))

    async def list_conversations(self, user: str, query: str | None, limit: int) -> list[ConversationInfo]:
        return await self._database.transaction(lambda sql: conversation_sql.search(sql, user, query, limit))

    async def delete_conversation(self, user: str, conversation_id: str) -> bool:
        def delete(sql: Sql) -> bool:
            if not conversation_sql.owned(sql, user, conversation_id):
                return False
            conversation_sql.delete(sql, [conversation_id])
            return True

        deleted = await self._database.transaction(delete)
        if deleted:
            await self._database.reclaim()
        return deleted

    async def prune(self, before: float) -> int:
        def prune(sql: Sql) -> int:
            ids = conversation_sql.updated_before(sql, before)
            conversation_sql.delete(sql, ids)
            return len(ids)

        removed = await self._database.transaction(prune)
        if removed:
            await self._database.reclaim()
        return removed

    # Ledger and budgets

    async def spent(self, limits: list[Limit]) -> list[float]:
        return await self._database.transaction(lambda sql: ledger_sql.spent(sql, limits), small=True)

    async def reserve(self, entry: LedgerEntry, limits: list[Limit], estimate: float) -> int:
        def reserve(sql: Sql) -> int:
            if limits:
                ledger_sql.lock_budgets(sql)
            message = first_refusal(limits, ledger_sql.spent(sql, limits))
            if message is not None:
                raise BudgetExceeded(message)
            return ledger_sql.insert_pending(sql, entry, estimate)

        return await self._database.transaction(reserve, small=True)

    async def settle(
        self, row_id: int | None, entry: LedgerEntry, conversation: ConversationWrite | None = None
    ) -> None:
        def settle(sql: Sql) -> None:
            if conversation is not None:
                conversation_sql.append(sql, conversation)
            ledger_sql.record(sql, row_id, entry)

        # A call's turns are its new messages and the answer: small, unless a message is long.
        size = sum(len(str(message.content)) for message in conversation.messages) if conversation else 0
        await self._database.transaction(settle, small=size <= SMALL_WRITE_CHARS)

    async def usage(self, user: str, since: float | None, until: float, group_by: GroupBy) -> Usage:
        return await self._database.transaction(lambda sql: ledger_sql.usage(sql, user, since, until, group_by))

    async def close(self) -> None:
        await self._database.close()
