"""The SQLAlchemy engine for the store: URL choice, SQLite connection setup, and driver-failure mapping.

SQLite: every transaction is BEGIN IMMEDIATE (one writer at a time across processes, waiting up to the busy
timeout) and WAL lets readers run meanwhile. PostgreSQL: an unreachable server fails fast.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from . import StoreError
from .files import sqlite_path

P = ParamSpec("P")
R = TypeVar("R")

BUSY_TIMEOUT_MS = 10_000
# An unreachable database server must not hold a chat call for the TCP timeout (minutes).
PG_CONNECT_TIMEOUT_SECONDS = 5


def database_failure(
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


def utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")


def engine_url(database_url: str | None, data_dir: str | None) -> tuple[str, bool]:
    """The SQLAlchemy URL and whether it is SQLite."""
    if database_url and database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        rest = database_url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}", False
    if database_url and database_url.startswith(("sqlite://", "sqlite+aiosqlite://")):
        return "sqlite+aiosqlite://" + database_url.split("://", 1)[1], True
    return f"sqlite+aiosqlite:///{sqlite_path(data_dir)}", True


def create_engine(url: str, *, sqlite: bool) -> AsyncEngine:
    if not sqlite:
        return create_async_engine(
            url, pool_pre_ping=True, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
        )
    return _sqlite_engine(url)


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
