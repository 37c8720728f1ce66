"""The SQLite database: the standard library's sqlite3, one connection, each unit of work one transaction.

Every transaction is BEGIN IMMEDIATE (one writer at a time across processes, waiting up to the busy
timeout) and WAL lets readers run meanwhile. Within the process a capacity limiter of one runs the units of
work one after the other on the connection, so this process's calls never queue inside SQLite. A unit of
work runs whole in one worker-thread hop, which keeps the event loop free while a busy database makes it
wait. A small one (a call's ledger row and turns, a budget check) runs on the event loop instead when no
other is running and the write lock is free at once: about 0.1 ms, what the thread hop alone costs.

Checkpoints. A chat call writes about a dozen WAL pages; SQLite's own checkpoint, every 1,000 pages, copies
them into the database file and syncs it inside a commit, which stalled one call in ~80 by 5-8 ms. So the
WAL is checkpointed (PASSIVE: writers go on meanwhile) after every `CHECKPOINT_EVERY` writing transactions
on a connection and a thread of its own, off the calls' path; SQLite's own checkpoint stays as a safety
net at `AUTOCHECKPOINT_PAGES`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

import anyio
import anyio.to_thread

from . import StoreError
from .database import Params, Row, failure_reason

T = TypeVar("T")
logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_EVERY = 64
AUTOCHECKPOINT_PAGES = 10_000
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_PRAGMAS = (
    f"busy_timeout={BUSY_TIMEOUT_MS}",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "secure_delete=ON",
    f"wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",
)


def _connect(target: str, uri: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(
        target,
        uri=uri,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # we emit BEGIN IMMEDIATE ourselves
        check_same_thread=False,  # used from worker threads, one at a time
    )
    try:
        for pragma in _PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        _use_wal(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _use_wal(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode (kept by the file: once, the first time it is opened).

    The switch needs the file to itself, and SQLite answers "database is locked" at once, without its busy
    handler, when another connection is making the same switch (two replicas starting together on a new
    file): so it is tried again until the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (the code is on the exception from Python 3.11; before, only the text)."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


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


class _Checkpointer:
    """PASSIVE checkpoints of the WAL, one at a time, each in a thread of its own on a connection of its own."""

    def __init__(self, target: str, uri: bool) -> None:
        self._target, self._uri = target, uri
        self._connection: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Start a checkpoint unless one is running (called between transactions, never concurrently)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._checkpoint, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _checkpoint(self) -> tuple[int, int, int] | None:
        """(busy, WAL frames, frames checkpointed), as SQLite reports them; None when it failed."""
        try:
            if self._connection is None:
                self._connection = _connect(self._target, self._uri)
            return self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # SQLite's own checkpoint remains; nothing is lost
            logger.debug("background checkpoint failed: %s", exc)
            return None

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._connection is not None:
            self._connection.close()


class SqliteDatabase:
    postgres = False

    def __init__(self, connection: sqlite3.Connection, checkpointer: _Checkpointer | None = None) -> None:
        self._connection = connection
        self._transaction = _Transaction(connection)
        self._limiter = anyio.CapacityLimiter(1)
        self._checkpointer = checkpointer
        self._writes = 0

    @classmethod
    async def open(cls, target: str, *, uri: bool) -> SqliteDatabase:
        try:
            connection = await anyio.to_thread.run_sync(_connect, target, uri)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(failure_reason(exc)) from exc
        in_memory = target == ":memory:" or "mode=memory" in target
        return cls(connection, None if in_memory else _Checkpointer(target, uri))

    async def transaction(self, work: Callable[[_Transaction], T], *, small: bool = False) -> T:
        """`small`: a unit of work of a few short statements (a call's ledger row and turns, a budget check). When
        no other transaction is running and the write lock is free at once, it runs on the event loop itself
        (about 0.1 ms, what the thread hop alone costs); otherwise, like every other, in the worker thread."""
        if small and self._limiter.borrowed_tokens == 0:
            done, result = self._at_once(work)
            if done:
                return result  # pyright: ignore[reportReturnType]
        return await anyio.to_thread.run_sync(self._in_transaction, work, limiter=self._limiter)

    def _at_once(self, work: Callable[[_Transaction], T]) -> tuple[bool, T | None]:
        """(True, result) when the write lock was free at once; (False, None) when it would have to wait."""
        connection = self._connection
        try:
            connection.execute("PRAGMA busy_timeout=0")
            try:
                connection.execute("BEGIN IMMEDIATE")
            finally:
                connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                return False, None  # another process writes (or cannot write): the worker thread waits, or says why
            raise StoreError(failure_reason(exc)) from exc
        return True, self._in_transaction(work, begun=True)

    def _in_transaction(self, work: Callable[[_Transaction], T], *, begun: bool = False) -> T:
        connection = self._connection
        try:
            changes = connection.total_changes
            if not begun:
                connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._transaction)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            with suppress(sqlite3.Error):
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
            raise StoreError(failure_reason(exc)) from exc
        if connection.total_changes != changes and self._checkpointer is not None:
            self._writes += 1
            if self._writes % CHECKPOINT_EVERY == 0:
                self._checkpointer.request()
        return result

    async def reclaim(self) -> None:
        """secure_delete zeroes freed pages; the WAL's copy of them goes at this checkpoint."""

        def checkpoint() -> None:
            with suppress(sqlite3.Error):  # another connection is reading: the next checkpoint will do it
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await anyio.to_thread.run_sync(checkpoint, limiter=self._limiter)

    async def close(self) -> None:
        def close() -> None:
            if self._checkpointer is not None:
                self._checkpointer.close()
            self._connection.close()

        await anyio.to_thread.run_sync(close, limiter=self._limiter)
