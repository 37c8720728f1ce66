"""The SQLite database: the standard library's sqlite3, one connection, each unit of work in one thread hop.

Every transaction is BEGIN IMMEDIATE (one writer at a time across processes, waiting up to the busy
timeout) and WAL lets readers run meanwhile. Within the process a capacity limiter of one runs the units of
work one after the other on the connection, so this process's calls never queue inside SQLite. A unit of
work is a few statements; running it whole in one worker thread keeps the event loop free (a busy database
may make it wait up to the busy timeout) at the cost of one thread hop per transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

import anyio
import anyio.to_thread

from . import StoreError
from .database import Params, Row, failure_reason

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
_PRAGMAS = (
    "journal_mode=WAL",
    f"busy_timeout={BUSY_TIMEOUT_MS}",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "secure_delete=ON",
)


def connect_target(url_rest: str) -> tuple[str, bool]:
    """What sqlite3.connect gets for the part of a `sqlite:///…` URL after `://`, and whether it is a URI.

    `sqlite:///relative/path`, `sqlite:////absolute/path`; `?uri=true` passes `file:…?mode=ro` style URIs on."""
    location = url_rest[1:] if url_rest.startswith("/") else url_rest
    location, _, query = location.partition("?")
    options = dict(parse_qsl(query))
    as_uri = options.pop("uri", "").lower() == "true"
    if as_uri and options:
        location = f"{location}?{urlencode(options)}"
    return location or ":memory:", as_uri


class _Transaction:
    """`Sql` over the connection, inside the transaction `SqliteDatabase` opened."""

    postgres = False

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def rows(self, statement: str, params: Params | None = None) -> list[Row]:
        cursor = self._connection.execute(statement, params or {})
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def run(self, statement: str, params: Params | None = None) -> None:
        self._connection.execute(statement, params or {})

    def run_many(self, statement: str, rows: Sequence[Params]) -> None:
        self._connection.executemany(statement, rows)


class SqliteDatabase:
    postgres = False

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._transaction = _Transaction(connection)
        self._limiter = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, target: str, *, uri: bool) -> SqliteDatabase:
        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(
                target,
                uri=uri,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we emit BEGIN IMMEDIATE ourselves
                check_same_thread=False,  # used from worker threads, one at a time (the limiter)
            )
            try:
                for pragma in _PRAGMAS:
                    connection.execute(f"PRAGMA {pragma}")
            except BaseException:
                connection.close()
                raise
            return connection

        try:
            return cls(await anyio.to_thread.run_sync(connect))
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(failure_reason(exc)) from exc

    async def transaction(self, work: Callable[[_Transaction], T]) -> T:
        return await anyio.to_thread.run_sync(self._in_transaction, work, limiter=self._limiter)

    def _in_transaction(self, work: Callable[[_Transaction], T]) -> T:
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._transaction)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreError(failure_reason(exc)) from exc
        return result

    async def reclaim(self) -> None:
        """secure_delete zeroes freed pages; the WAL's copy of them goes at this checkpoint."""

        def checkpoint() -> None:
            with suppress(sqlite3.Error):  # another connection is reading: the next checkpoint will do it
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await anyio.to_thread.run_sync(checkpoint, limiter=self._limiter)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._connection.close, limiter=self._limiter)
