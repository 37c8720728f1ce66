"""The store's ledger queries: spend against budget limits, reservations, settlement and the usage roll-up.

Each runs inside a transaction the caller opened (see `sql.SqlStore`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..budget import Limit
from . import GroupBy, LedgerEntry, Usage, UsageRow
from .database import Sql, scalar
from .schema import BUDGET_LOCK

COLUMNS = (
    "at, day, user_name, conversation_id, requested_model, served_model, provider, generation_id, prompt_tokens, "
    "completion_tokens, reasoning_tokens, cached_tokens, cost, cost_estimated, latency_ms, outcome, error, reserved"
)
_INSERT = f"INSERT INTO ledger ({COLUMNS}) VALUES ({', '.join(':' + name for name in COLUMNS.split(', '))})"
# The settled row replaces the reservation's values, except when and on which day the call started.
_SETTLE = "UPDATE ledger SET {} WHERE id = :id".format(
    ", ".join(f"{name} = :{name}" for name in COLUMNS.split(", ") if name not in ("at", "day"))
)
_COUNTS = ("calls", "cost", "estimated_cost", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
_KEY = ("user_name", "day", "model", "provider")
_ROLL_UP = (
    f"INSERT INTO ledger_daily ({', '.join(_KEY + _COUNTS)}) "
    f"VALUES ({', '.join(':' + name for name in _KEY + _COUNTS)}) "
    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{name} = ledger_daily.{name} + excluded.{name}" for name in _COUNTS)
)
_USAGE_COLUMNS = ", ".join(f"SUM({name}) AS {name}" for name in _COUNTS)
_GROUP_COLUMNS = {"model": "model", "day": "day", "provider": "provider"}


def utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")


def spent(sql: Sql, limits: list[Limit]) -> list[float]:
    """Settled cost from the daily roll-up (windows start at UTC midnight) plus pending reservations."""
    amounts: list[float] = []
    for limit in limits:
        since = limit.since.timestamp()
        params: dict[str, Any] = {"day": utc_day(since), "since": since, "user": limit.user}
        mine = " AND user_name = :user" if limit.user is not None else ""
        settled = scalar(sql, f"SELECT COALESCE(SUM(cost), 0.0) FROM ledger_daily WHERE day >= :day{mine}", params)
        pending = scalar(
            sql,
            f"SELECT COALESCE(SUM(reserved), 0.0) FROM ledger WHERE outcome = 'pending' AND at >= :since{mine}",
            params,
        )
        amounts.append(float(settled) + float(pending))
    return amounts


def lock_budgets(sql: Sql) -> None:
    """PostgreSQL: replicas check and reserve one at a time (SQLite: BEGIN IMMEDIATE already does it)."""
    if sql.postgres:
        sql.run("SELECT pg_advisory_xact_lock(:key)", {"key": BUDGET_LOCK})


def insert_pending(sql: Sql, entry: LedgerEntry, estimate: float) -> int:
    values = _ledger_values(entry) | {"outcome": "pending", "reserved": estimate}
    return int(scalar(sql, _INSERT + " RETURNING id", values))


def record(sql: Sql, row_id: int | None, entry: LedgerEntry) -> None:
    """Write the settled row (updating the reservation `row_id` when there is one) and roll it up by day."""
    values = _ledger_values(entry) | {"reserved": 0.0}
    if row_id is None:
        sql.run(_INSERT, values)
    else:
        sql.run(_SETTLE, values | {"id": row_id})
    sql.run(_ROLL_UP, _roll_up_values(entry))


def _roll_up_values(entry: LedgerEntry) -> dict[str, Any]:
    cost = entry.cost or 0.0
    return {
        "user_name": entry.user,
        "day": utc_day(entry.at),
        "model": entry.served_model or entry.requested_model or "",
        "provider": entry.provider or "",
        "calls": 1,
        "cost": cost,
        "estimated_cost": cost if entry.cost_estimated else 0.0,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "reasoning_tokens": entry.reasoning_tokens,
        "cached_tokens": entry.cached_tokens,
    }


def usage(sql: Sql, user: str, since: float | None, until: float, group_by: GroupBy) -> Usage:
    key = _GROUP_COLUMNS[group_by]
    params: dict[str, Any] = {"user": user, "until": utc_day(until)}
    window = "user_name = :user AND day <= :until"
    if since is not None:
        window += " AND day >= :since"
        params["since"] = utc_day(since)
    found = sql.rows(
        f"SELECT {key} AS group_key, {_USAGE_COLUMNS} FROM ledger_daily WHERE {window} GROUP BY {key}", params
    )
    first = scalar(sql, "SELECT MIN(day) AS first_day FROM ledger_daily WHERE user_name = :user", {"user": user})
    breakdown = [_usage_row(row["group_key"] or None, [row[name] for name in _COUNTS]) for row in found]
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
