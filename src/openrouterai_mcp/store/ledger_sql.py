"""The store's ledger queries: spend against budget limits, reservations, settlement and the usage roll-up.

Each runs inside a transaction the caller opened (see `sql.SqlStore`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..budget import Limit
from . import GroupBy, LedgerEntry, Usage, UsageRow
from .engine import utc_day
from .schema import ledger, ledger_daily


async def spent(connection: AsyncConnection, limits: list[Limit]) -> list[float]:
    """Settled cost from the daily roll-up (windows start at UTC midnight) plus pending reservations."""
    amounts: list[float] = []
    for limit in limits:
        settled = sa.select(sa.func.coalesce(sa.func.sum(ledger_daily.c.cost), 0.0)).where(
            ledger_daily.c.day >= utc_day(limit.since.timestamp())
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


async def insert_pending(connection: AsyncConnection, entry: LedgerEntry, estimate: float) -> int:
    values = _ledger_values(entry) | {"outcome": "pending", "reserved": estimate}
    result = await connection.execute(sa.insert(ledger).values(values).returning(ledger.c.id))
    return int(result.scalar_one())


async def record(connection: AsyncConnection, row_id: int | None, entry: LedgerEntry, *, sqlite: bool) -> None:
    """Write the settled row (updating the reservation `row_id` when there is one) and roll it up by day."""
    values = _ledger_values(entry) | {"reserved": 0.0}
    if row_id is None:
        await connection.execute(sa.insert(ledger).values(values))
    else:
        values.pop("at")
        values.pop("day")
        await connection.execute(sa.update(ledger).where(ledger.c.id == row_id).values(values))
    await connection.execute(_roll_up(entry, sqlite=sqlite))


def _roll_up(entry: LedgerEntry, *, sqlite: bool) -> sa.Executable:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.dialects import sqlite as sqlite_dialect

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
        "day": utc_day(entry.at),
        "model": entry.served_model or entry.requested_model or "",
        "provider": entry.provider or "",
    }
    insert = (sqlite_dialect.insert if sqlite else postgresql.insert)(ledger_daily).values(key | counts)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={name: getattr(ledger_daily.c, name) + getattr(insert.excluded, name) for name in counts},
    )


async def usage(connection: AsyncConnection, user: str, since: float | None, until: float, group_by: GroupBy) -> Usage:
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
    conditions = [ledger_daily.c.user_name == user, ledger_daily.c.day <= utc_day(until)]
    if since is not None:
        conditions.append(ledger_daily.c.day >= utc_day(since))
    grouped = sa.select(key_column.label("key"), *columns).where(*conditions).group_by(key_column)
    rows = (await connection.execute(grouped)).all()
    first = (
        await connection.execute(sa.select(sa.func.min(ledger_daily.c.day)).where(ledger_daily.c.user_name == user))
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


def _ledger_values(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "day": utc_day(entry.at),
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
