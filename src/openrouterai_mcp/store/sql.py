"""`Store` on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through psycopg 3.

Concurrency. SQLite: every transaction is BEGIN IMMEDIATE (one writer at a time across processes,
waiting up to the busy timeout), WAL lets readers run meanwhile, and an in-process lock keeps this
process's calls from queueing inside SQLite. PostgreSQL: budget checks take a transaction-level advisory
lock, so the check and the reservation of two replicas never interleave.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timezone
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import anyio
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..budget import Limit, first_refusal
from ..errors import BudgetExceeded
from . import (
    ConversationInfo,
    ConversationWrite,
    GroupBy,
    LedgerEntry,
    NewMessage,
    StoredMessage,
    StoreError,
    Usage,
    UsageRow,
)
from .files import sqlite_path
from .schema import BUDGET_LOCK, MIGRATION_LOCK, conversations, ledger, ledger_daily, messages, migrate

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

BUSY_TIMEOUT_MS = 10_000
# An unreachable database server must not hold a chat call for the TCP timeout (minutes).
PG_CONNECT_TIMEOUT_SECONDS = 5


def _database_failure(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Driver, SQL and file-system failures become `StoreError` with a short reason."""

    @wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise StoreError(_reason(exc)) from exc

    return wrapper


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return f"{type(original).__name__}: {str(original).splitlines()[0] if str(original) else ''}".strip()


def engine_url(database_url: str | None, data_dir: str | None) -> tuple[str, bool]:
    """The SQLAlchemy URL and whether it is SQLite."""
    if database_url and database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        rest = database_url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}", False
    if database_url and database_url.startswith(("sqlite://", "sqlite+aiosqlite://")):
        return "sqlite+aiosqlite://" + database_url.split("://", 1)[1], True
    return f"sqlite+aiosqlite:///{sqlite_path(data_dir)}", True


def _sqlite_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (IMMEDIATE), instead of the driver's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")


def _content_text(content: str | list[dict[str, Any]]) -> tuple[str, bool]:
    if isinstance(content, str):
        return content, False
    return json.dumps(content, ensure_ascii=False), True


def _message(row: Any, index: int) -> StoredMessage:
    content: str | list[dict[str, Any]] = json.loads(row.content) if row.is_parts else row.content
    return StoredMessage(
        index=index,
        role=row.role,
        content=content,
        created=row.created,
        model=row.model,
        provider=row.provider,
        cost=row.cost,
        generation_id=row.generation_id,
    )


def _info(row: Any) -> ConversationInfo:
    return ConversationInfo(
        conversation_id=row.id,
        title=row.title,
        turns=row.turns,
        models=json.loads(row.models),
        cost=row.cost,
        created=row.created,
        updated=row.updated,
    )


def _ledger_values(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "day": _day(entry.at),
        "user_name": entry.user,
        "conversation_id": entry.conversation_id,
        "requested_model": entry.requested_model,
        "served_model": entry.served_model,
        "provider": entry.provider,
        "generation_id": entry.generation_id,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "reasoning_tokens": entry.reasoning_tokens,
        "cached_tokens": entry.cached_tokens,
        "cost": entry.cost,
        "cost_estimated": entry.cost_estimated,
        "latency_ms": entry.latency_ms,
        "outcome": entry.outcome,
        "error": entry.error,
    }


class SqlStore:
    def __init__(self, engine: AsyncEngine, *, sqlite: bool) -> None:
        self._engine = engine
        self._sqlite = sqlite
        self._lock = anyio.Lock() if sqlite else None

    @classmethod
    @_database_failure
    async def open(cls, *, database_url: str | None, data_dir: str | None) -> SqlStore:
        url, is_sqlite = engine_url(database_url, data_dir)
        engine = (
            _sqlite_engine(url)
            if is_sqlite
            else create_async_engine(
                url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
            )
        )
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

    @_database_failure
    async def conversation(self, user: str, conversation_id: str) -> ConversationInfo | None:
        async with self._transaction() as connection:
            row = (
                await connection.execute(
                    sa.select(conversations).where(
                        conversations.c.id == conversation_id, conversations.c.user_name == user
                    )
                )
            ).first()
        return _info(row) if row is not None else None

    @_database_failure
    async def messages(
        self, user: str, conversation_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        query = (
            sa.select(messages)
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(messages.c.conversation_id == conversation_id, conversations.c.user_name == user)
            .order_by(messages.c.seq)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        async with self._transaction() as connection:
            rows = (await connection.execute(query)).all()
        return [_message(row, offset + position) for position, row in enumerate(rows)]

    @_database_failure
    async def append(
        self, user: str, conversation_id: str, new: list[NewMessage], *, now: float, title: str, created: bool = False
    ) -> None:
        async with self._transaction() as connection:
            await self._append(connection, ConversationWrite(user, conversation_id, new, now, title, created))

    async def _append(self, connection: AsyncConnection, write: ConversationWrite) -> None:
        user, conversation_id, new, now, title = (
            write.user,
            write.conversation_id,
            write.messages,
            write.now,
            write.title,
        )
        select = sa.select(conversations).where(conversations.c.id == conversation_id).with_for_update()
        row = None if write.created else (await connection.execute(select)).first()
        if row is not None and row.user_name != user:
            raise StoreError("conversation belongs to another user")
        models: list[str] = json.loads(row.models) if row is not None else []
        for message in new:
            if message.model and message.model not in models:
                models.append(message.model)
        added_cost = sum(message.cost or 0.0 for message in new)
        start = row.turns if row is not None else 0
        if row is None:
            await connection.execute(
                sa.insert(conversations).values(
                    id=conversation_id,
                    user_name=user,
                    title=title,
                    turns=len(new),
                    models=json.dumps(models),
                    cost=added_cost,
                    created=now,
                    updated=now,
                )
            )
        else:
            await connection.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(
                    turns=conversations.c.turns + len(new),
                    models=json.dumps(models),
                    cost=conversations.c.cost + added_cost,
                    updated=now,
                )
            )
        rows: list[dict[str, Any]] = []
        for position, message in enumerate(new):
            text, is_parts = _content_text(message.content)
            rows.append(
                {
                    "conversation_id": conversation_id,
                    "seq": start + position,
                    "role": message.role,
                    "content": text,
                    "is_parts": is_parts,
                    "model": message.model,
                    "provider": message.provider,
                    "cost": message.cost,
                    "generation_id": message.generation_id,
                    "created": now,
                }
            )
        if rows:
            await connection.execute(sa.insert(messages), rows)

    @_database_failure
    async def list_conversations(self, user: str, query: str | None, limit: int) -> list[ConversationInfo]:
        select = sa.select(conversations).where(conversations.c.user_name == user)
        if query:
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            in_text = (
                sa.select(messages.c.seq)
                .where(messages.c.conversation_id == conversations.c.id, messages.c.content.ilike(pattern, escape="\\"))
                .exists()
            )
            select = select.where(sa.or_(conversations.c.title.ilike(pattern, escape="\\"), in_text))
        select = select.order_by(conversations.c.updated.desc(), conversations.c.id).limit(limit)
        async with self._transaction() as connection:
            rows = (await connection.execute(select)).all()
        return [_info(row) for row in rows]

    async def _delete(self, connection: AsyncConnection, ids: list[str]) -> None:
        if ids:
            await connection.execute(sa.delete(messages).where(messages.c.conversation_id.in_(ids)))
            await connection.execute(sa.delete(conversations).where(conversations.c.id.in_(ids)))

    @_database_failure
    async def delete_conversation(self, user: str, conversation_id: str) -> bool:
        async with self._transaction() as connection:
            found = (
                await connection.execute(
                    sa.select(conversations.c.id).where(
                        conversations.c.id == conversation_id, conversations.c.user_name == user
                    )
                )
            ).first()
            if found is None:
                return False
            await self._delete(connection, [conversation_id])
        await self._reclaim()
        return True

    async def _reclaim(self) -> None:
        """SQLite: secure_delete zeroes freed pages; the WAL copy goes at the checkpoint."""
        if self._sqlite:
            async with self._lock or anyio.Lock(), self._engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                with suppress(SQLAlchemyError):
                    await autocommit.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @_database_failure
    async def prune(self, before: float) -> int:
        async with self._transaction() as connection:
            ids = list(
                (await connection.execute(sa.select(conversations.c.id).where(conversations.c.updated < before)))
                .scalars()
                .all()
            )
            await self._delete(connection, ids)
        if ids:
            await self._reclaim()
        return len(ids)

    async def _spent(self, connection: AsyncConnection, limits: list[Limit]) -> list[float]:
        """Settled cost from the daily roll-up (windows start at UTC midnight) plus pending reservations."""
        amounts: list[float] = []
        for limit in limits:
            settled = sa.select(sa.func.coalesce(sa.func.sum(ledger_daily.c.cost), 0.0)).where(
                ledger_daily.c.day >= _day(limit.since.timestamp())
            )
            pending = sa.select(sa.func.coalesce(sa.func.sum(ledger.c.reserved), 0.0)).where(
                ledger.c.outcome == "pending", ledger.c.at >= limit.since.timestamp()
            )
            if limit.user is not None:
                settled = settled.where(ledger_daily.c.user_name == limit.user)
                pending = pending.where(ledger.c.user_name == limit.user)
            amounts.append(
                float((await connection.execute(settled)).scalar_one())
                + float((await connection.execute(pending)).scalar_one())
            )
        return amounts

    @_database_failure
    async def spent(self, limits: list[Limit]) -> list[float]:
        async with self._transaction() as connection:
            return await self._spent(connection, limits)

    @_database_failure
    async def reserve(self, entry: LedgerEntry, limits: list[Limit], estimate: float) -> int:
        async with self._transaction() as connection:
            if not self._sqlite and limits:
                await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(BUDGET_LOCK)))
            message = first_refusal(limits, await self._spent(connection, limits))
            if message is not None:
                raise BudgetExceeded(message)
            values = _ledger_values(entry) | {"outcome": "pending", "reserved": estimate}
            result = await connection.execute(sa.insert(ledger).values(values).returning(ledger.c.id))
            return int(result.scalar_one())

    @_database_failure
    async def settle(
        self, row_id: int | None, entry: LedgerEntry, conversation: ConversationWrite | None = None
    ) -> None:
        values = _ledger_values(entry) | {"reserved": 0.0}
        async with self._transaction() as connection:
            if conversation is not None:
                await self._append(connection, conversation)
            if row_id is None:
                await connection.execute(sa.insert(ledger).values(values))
            else:
                values.pop("at")
                values.pop("day")
                await connection.execute(sa.update(ledger).where(ledger.c.id == row_id).values(values))
            await connection.execute(self._roll_up(entry))

    def _roll_up(self, entry: LedgerEntry) -> sa.Executable:
        from sqlalchemy.dialects import postgresql, sqlite

        counts = {
            "calls": 1,
            "cost": entry.cost or 0.0,
            "estimated_cost": (entry.cost or 0.0) if entry.cost_estimated else 0.0,
            "prompt_tokens": entry.prompt_tokens,
            "completion_tokens": entry.completion_tokens,
            "reasoning_tokens": entry.reasoning_tokens,
            "cached_tokens": entry.cached_tokens,
        }
        key = {
            "user_name": entry.user,
            "day": _day(entry.at),
            "model": entry.served_model or entry.requested_model or "",
            "provider": entry.provider or "",
        }
        insert = (sqlite.insert if self._sqlite else postgresql.insert)(ledger_daily).values(key | counts)
        return insert.on_conflict_do_update(
            index_elements=list(key),
            set_={name: getattr(ledger_daily.c, name) + getattr(insert.excluded, name) for name in counts},
        )

    @_database_failure
    async def usage(self, user: str, since: float | None, until: float, group_by: GroupBy) -> Usage:
        key_column = {
            "model": ledger_daily.c.model,
            "day": ledger_daily.c.day,
            "provider": ledger_daily.c.provider,
        }[group_by]
        columns = [
            sa.func.sum(ledger_daily.c.calls),
            sa.func.sum(ledger_daily.c.cost),
            sa.func.sum(ledger_daily.c.estimated_cost),
            sa.func.sum(ledger_daily.c.prompt_tokens),
            sa.func.sum(ledger_daily.c.completion_tokens),
            sa.func.sum(ledger_daily.c.reasoning_tokens),
            sa.func.sum(ledger_daily.c.cached_tokens),
        ]
        conditions = [ledger_daily.c.user_name == user, ledger_daily.c.day <= _day(until)]
        if since is not None:
            conditions.append(ledger_daily.c.day >= _day(since))
        grouped = sa.select(key_column.label("key"), *columns).where(*conditions).group_by(key_column)
        async with self._transaction() as connection:
            rows = (await connection.execute(grouped)).all()
            first = (
                await connection.execute(
                    sa.select(sa.func.min(ledger_daily.c.day)).where(ledger_daily.c.user_name == user)
                )
            ).scalar_one()
        breakdown = [_usage_row(row[0] or None, row[1:]) for row in rows]
        total = UsageRow(
            None,
            calls=sum(row.calls for row in breakdown),
            cost=sum(row.cost for row in breakdown),
            estimated_cost=sum(row.estimated_cost for row in breakdown),
            prompt_tokens=sum(row.prompt_tokens for row in breakdown),
            completion_tokens=sum(row.completion_tokens for row in breakdown),
            reasoning_tokens=sum(row.reasoning_tokens for row in breakdown),
            cached_tokens=sum(row.cached_tokens for row in breakdown),
        )
        first_day = datetime.strptime(first, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() if first else None
        return Usage(total, breakdown, first_day)

    async def close(self) -> None:
        await self._engine.dispose()


def _usage_row(key: Any, values: Any) -> UsageRow:
    calls, cost, estimated, prompt, completion, reasoning, cached = values
    return UsageRow(
        str(key) if key is not None else None,
        calls=int(calls),
        cost=float(cost),
        estimated_cost=float(estimated),
        prompt_tokens=int(prompt),
        completion_tokens=int(completion),
        reasoning_tokens=int(reasoning),
        cached_tokens=int(cached),
    )
