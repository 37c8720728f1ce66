"""Tables and forward migrations, recorded in `schema_migrations` (one row per applied version).

Migrations run in one transaction that first takes a lock (PostgreSQL: a transaction-level advisory
lock; SQLite: BEGIN IMMEDIATE), so two replicas starting together apply each version exactly once.
A migration is only ever appended to MIGRATIONS, never edited. The DDL is the one SQLAlchemy's `MetaData`
emitted for these tables in the first releases (same names, types and keys), so their databases open as is;
it differs between the two databases in one word, the ledger's auto-increment key.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .database import Sql

# pg_advisory_xact_lock keys: one for migrations, one for budget checks.
MIGRATION_LOCK = 0x6F726D01
BUDGET_LOCK = 0x6F726D02

_SCHEMA_MIGRATIONS = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (version)
)"""

_V1 = (
    """CREATE TABLE IF NOT EXISTS conversations (
    id VARCHAR(64) NOT NULL,
    user_name VARCHAR(200) NOT NULL,
    title TEXT NOT NULL,
    turns INTEGER NOT NULL,
    models TEXT NOT NULL,
    cost DOUBLE PRECISION NOT NULL,
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (id)
)""",
    "CREATE INDEX IF NOT EXISTS conversations_user_updated ON conversations (user_name, updated)",
    "CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated)",
    """CREATE TABLE IF NOT EXISTS messages (
    conversation_id VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    role VARCHAR(16) NOT NULL,
    content TEXT NOT NULL,
    is_parts BOOLEAN NOT NULL,
    model VARCHAR(200),
    provider VARCHAR(200),
    cost DOUBLE PRECISION,
    generation_id VARCHAR(200),
    created DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE
)""",
    """CREATE TABLE IF NOT EXISTS ledger (
    id {auto_increment} NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    day VARCHAR(10) NOT NULL,
    user_name VARCHAR(200) NOT NULL,
    conversation_id VARCHAR(64),
    requested_model VARCHAR(200),
    served_model VARCHAR(200),
    provider VARCHAR(200),
    generation_id VARCHAR(200),
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    cost DOUBLE PRECISION,
    cost_estimated BOOLEAN NOT NULL,
    reserved DOUBLE PRECISION NOT NULL,
    latency_ms INTEGER,
    outcome VARCHAR(16) NOT NULL,
    error TEXT,
    PRIMARY KEY (id)
)""",
    "CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at)",
    "CREATE INDEX IF NOT EXISTS ledger_user_at ON ledger (user_name, at)",
)

# Per user, UTC day, model and provider: what get_usage and the budget checks read, so neither scans the
# ledger (kept in step with it by `ledger_sql.record`). Pending calls are read from the ledger (few rows).
_V2 = (
    """CREATE TABLE IF NOT EXISTS ledger_daily (
    user_name VARCHAR(200) NOT NULL,
    day VARCHAR(10) NOT NULL,
    model VARCHAR(200) NOT NULL,
    provider VARCHAR(200) NOT NULL,
    calls INTEGER NOT NULL,
    cost DOUBLE PRECISION NOT NULL,
    estimated_cost DOUBLE PRECISION NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    PRIMARY KEY (user_name, day, model, provider)
)""",
    "CREATE INDEX IF NOT EXISTS ledger_daily_day ON ledger_daily (day)",
    "CREATE INDEX IF NOT EXISTS ledger_outcome_at ON ledger (outcome, at)",
)

ROLL_UP_LEDGER = """INSERT INTO ledger_daily (user_name, day, model, provider, calls, cost, estimated_cost,
    prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens)
SELECT user_name, day, COALESCE(served_model, requested_model, ''), COALESCE(provider, ''), COUNT(*),
    COALESCE(SUM(cost), 0.0), COALESCE(SUM(CASE WHEN cost_estimated THEN cost ELSE 0.0 END), 0.0),
    SUM(prompt_tokens), SUM(completion_tokens), SUM(reasoning_tokens), SUM(cached_tokens)
FROM ledger
WHERE outcome <> 'pending'
GROUP BY user_name, day, COALESCE(served_model, requested_model, ''), COALESCE(provider, '')"""


def _run_all(sql: Sql, statements: tuple[str, ...]) -> None:
    auto_increment = "SERIAL" if sql.postgres else "INTEGER"  # SQLite: INTEGER PRIMARY KEY is the rowid
    for statement in statements:
        sql.run(statement.replace("{auto_increment}", auto_increment))


def _v1(sql: Sql) -> None:
    _run_all(sql, _V1)


def _v2(sql: Sql) -> None:
    """The daily roll-up of the ledger, filled from the rows already there."""
    _run_all(sql, _V2)
    sql.run(ROLL_UP_LEDGER)


MIGRATIONS: list[tuple[int, Callable[[Sql], None]]] = [(1, _v1), (2, _v2)]
LATEST = MIGRATIONS[-1][0]


def migrate(sql: Sql) -> list[int]:
    """Apply the missing migrations inside the caller's (locked) transaction; returns the versions applied."""
    if sql.postgres:
        sql.run("SELECT pg_advisory_xact_lock(:key)", {"key": MIGRATION_LOCK})
    sql.run(_SCHEMA_MIGRATIONS)
    applied = {row["version"] for row in sql.rows("SELECT version FROM schema_migrations")}
    done: list[int] = []
    for version, step in MIGRATIONS:
        if version in applied:
            continue
        step(sql)
        sql.run(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :at)",
            {"version": version, "at": time.time()},
        )
        done.append(version)
    return done
