"""The PostgreSQL database: SQLAlchemy's async engine on psycopg 3, for its connection pool and pre-ping.

A unit of work runs through `AsyncConnection.run_sync`: the same synchronous queries as on SQLite, each
statement awaited on psycopg's async connection underneath. Statements are `sqlalchemy.text` with `:name`
parameters, built once per statement text. An unreachable server fails fast (connect timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from . import StoreError
from .database import Params, Row, failure_reason

T = TypeVar("T")

# An unreachable database server must not hold a chat call for the TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 5


@lru_cache(maxsize=512)
def _statement(text: str) -> sa.TextClause:
    return sa.text(text)


class _Transaction:
    postgres = True

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def rows(self, statement: str, params: Params | None = None) -> list[Row]:
        result = self._connection.execute(_statement(statement), dict(params or {}))
        if not result.returns_rows:
            return []
        return [dict(row._mapping) for row in result]  # pyright: ignore[reportPrivateUsage]

    def run(self, statement: str, params: Params | None = None) -> None:
        self._connection.execute(_statement(statement), dict(params or {}))

    def run_many(self, statement: str, rows: Sequence[Params]) -> None:
        if rows:
            self._connection.execute(_statement(statement), [dict(row) for row in rows])


class PostgresDatabase:
    postgres = True

    def __init__(self, url: str) -> None:
        self._engine = create_async_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )

    async def transaction(self, work: Callable[[_Transaction], T], *, small: bool = False) -> T:
        del small  # every statement is awaited on the loop already
        try:
            async with self._engine.begin() as connection:
                return await connection.run_sync(lambda sync: work(_Transaction(sync)))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(failure_reason(exc)) from exc

    async def reclaim(self) -> None:
        """Nothing to do: PostgreSQL's VACUUM reclaims deleted rows on its own schedule."""

    async def close(self) -> None:
        await self._engine.dispose()
