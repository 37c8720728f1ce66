"""Tables and forward migrations, recorded in `schema_migrations` (one row per applied version).

Migrations run in one transaction that first takes a lock (PostgreSQL: a transaction-level advisory
lock; SQLite: BEGIN IMMEDIATE), so two replicas starting together apply each version exactly once.
A migration is only ever appended to MIGRATIONS, never edited.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Double, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("turns", sa.Integer, nullable=False),
    sa.Column("models", sa.Text, nullable=False),  # JSON array, in order of first use
    sa.Column("cost", sa.Double, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("updated", sa.Double, nullable=False),
    sa.Index("conversations_user_updated", "user_name", "updated"),
    sa.Index("conversations_updated", "updated"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("conversation_id", sa.String(64), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("is_parts", sa.Boolean, nullable=False),  # content is a JSON array of content parts
    sa.Column("model", sa.String(200)),
    sa.Column("provider", sa.String(200)),
    sa.Column("cost", sa.Double),
    sa.Column("generation_id", sa.String(200)),
    sa.Column("created", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("conversation_id", "seq"),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("day", sa.String(10), nullable=False),  # UTC day, YYYY-MM-DD: group_by=day without date functions
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("conversation_id", sa.String(64)),
    sa.Column("requested_model", sa.String(200)),
    sa.Column("served_model", sa.String(200)),
    sa.Column("provider", sa.String(200)),
    sa.Column("generation_id", sa.String(200)),
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("reasoning_tokens", sa.Integer, nullable=False),
    sa.Column("cached_tokens", sa.Integer, nullable=False),
    sa.Column("cost", sa.Double),
    sa.Column("cost_estimated", sa.Boolean, nullable=False),
    sa.Column("reserved", sa.Double, nullable=False),  # USD held by a pending call against the budgets
    sa.Column("latency_ms", sa.Integer),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Index("ledger_at", "at"),
    sa.Index("ledger_user_at", "user_name", "at"),
)


# Per user, UTC day, model and provider: what get_usage and the budget checks read, so neither scans the
# ledger (kept in step with it by SqlStore.settle). Pending calls are read from the ledger (few rows).
ledger_daily = sa.Table(
    "ledger_daily",
    metadata,
    sa.Column("user_name", sa.String(200), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(200), nullable=False),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("cost", sa.Double, nullable=False),
    sa.Column("estimated_cost", sa.Double, nullable=False),
    sa.Column("prompt_tokens", sa.BigInteger, nullable=False),
    sa.Column("completion_tokens", sa.BigInteger, nullable=False),
    sa.Column("reasoning_tokens", sa.BigInteger, nullable=False),
    sa.Column("cached_tokens", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("user_name", "day", "model", "provider"),
    sa.Index("ledger_daily_day", "day"),
)
ledger_pending = sa.Index("ledger_outcome_at", ledger.c.outcome, ledger.c.at)


def _v1(connection: Connection) -> None:
    for table in (conversations, messages, ledger):
        table.create(connection, checkfirst=True)


def _v2(connection: Connection) -> None:
    """The daily roll-up of the ledger, filled from the rows already there."""
    ledger_daily.create(connection, checkfirst=True)
    ledger_pending.create(connection, checkfirst=True)
    roll_up_ledger(connection)


def roll_up_ledger(connection: Connection) -> None:
    """Fill the (empty) daily roll-up from the ledger's settled rows."""
    model = sa.func.coalesce(ledger.c.served_model, ledger.c.requested_model, "")
    provider = sa.func.coalesce(ledger.c.provider, "")
    settled = ledger.c.outcome != "pending"
    rollup = (
        sa.select(
            ledger.c.user_name,
            ledger.c.day,
            model,
            provider,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(ledger.c.cost), 0.0),
            sa.func.coalesce(sa.func.sum(sa.case((ledger.c.cost_estimated, ledger.c.cost), else_=0.0)), 0.0),
            sa.func.sum(ledger.c.prompt_tokens),
            sa.func.sum(ledger.c.completion_tokens),
            sa.func.sum(ledger.c.reasoning_tokens),
            sa.func.sum(ledger.c.cached_tokens),
        )
        .where(settled)
        .group_by(ledger.c.user_name, ledger.c.day, model, provider)
    )
    connection.execute(sa.insert(ledger_daily).from_select([column.name for column in ledger_daily.c], rollup))


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1), (2, _v2)]
LATEST = MIGRATIONS[-1][0]
# pg_advisory_xact_lock keys: one for migrations, one for budget checks.
MIGRATION_LOCK = 0x6F726D01
BUDGET_LOCK = 0x6F726D02


def migrate(connection: Connection) -> list[int]:
    """Apply the missing migrations inside the caller's (locked) transaction; returns the versions applied."""
    schema_migrations.create(connection, checkfirst=True)
    applied = set(connection.execute(sa.select(schema_migrations.c.version)).scalars())
    done: list[int] = []
    for version, step in MIGRATIONS:
        if version in applied:
            continue
        step(connection)
        connection.execute(sa.insert(schema_migrations).values(version=version, applied_at=time.time()))
        done.append(version)
    return done
