"""Which database a store URL names, opened: SQLite (the default file, or `sqlite:///…`) or PostgreSQL.

PostgreSQL alone loads SQLAlchemy and psycopg; the SQLite store needs only the standard library.
"""

from __future__ import annotations

from ..settings_values import POSTGRES_SCHEMES, SQLITE_SCHEMES
from . import StoreError
from .database import Database, failure_reason
from .files import sqlite_path


def postgres_url(database_url: str | None) -> str | None:
    """SQLAlchemy's URL for psycopg 3 when `database_url` names PostgreSQL, else None."""
    if database_url and database_url.startswith(POSTGRES_SCHEMES):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return None


async def open_database(database_url: str | None, data_dir: str | None) -> Database:
    postgres = postgres_url(database_url)
    if postgres is not None:
        import importlib

        import anyio.to_thread

        # SQLAlchemy's import takes a few hundred milliseconds: off the event loop.
        module = await anyio.to_thread.run_sync(importlib.import_module, f"{__package__}.postgres_db")
        database: Database = module.PostgresDatabase(postgres)
        return database
    from .sqlite_db import SqliteDatabase, connect_target

    if database_url and database_url.startswith(SQLITE_SCHEMES):
        target, uri = connect_target(database_url.split("://", 1)[1])
    else:
        try:
            target, uri = str(sqlite_path(data_dir)), False
        except OSError as exc:
            raise StoreError(failure_reason(exc)) from exc
    return await SqliteDatabase.open(target, uri=uri)
