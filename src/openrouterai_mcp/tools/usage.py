"""The get_usage tool: the caller's spend from the ledger, broken down, with each budget's state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..budget import day_start, iso, month_start
from ..errors import ServerError
from ..schemas import UsageArgs
from ..store import StoreError, UsageRow
from .base import AppState, caller_of, memory_of, run_tool

_DAYS = {"7d": 7, "30d": 30}


def _since(period: str, now: datetime) -> datetime | None:
    """Periods are whole UTC days: 7d is today and the 6 days before it."""
    if period == "today":
        return day_start(now)
    if period == "month":
        return month_start(now)
    if period in _DAYS:
        return day_start(now) - timedelta(days=_DAYS[period] - 1)
    return None


def _tokens(row: UsageRow) -> dict[str, int]:
    return {
        "prompt": row.prompt_tokens,
        "completion": row.completion_tokens,
        "reasoning": row.reasoning_tokens,
        "cached": row.cached_tokens,
        "total": row.prompt_tokens + row.completion_tokens,
    }


def _money(value: float) -> float:
    return round(value, 8)


async def _usage(ctx: Context[AppState], state: AppState, args: UsageArgs) -> Any:
    memory = memory_of(state)
    caller = caller_of(ctx)
    now = memory.accountant.now()
    since = _since(args.period, now)
    limits = memory.accountant.limits(caller, now)
    try:
        store = await memory.handle.get()
        usage = await store.usage(caller.user, since.timestamp() if since else None, now.timestamp(), args.group_by)
        spent = await store.spent(limits)
    except StoreError as exc:
        raise ServerError(f"the ledger is unavailable: {exc}") from exc
    start = since or (datetime.fromtimestamp(usage.first_call, timezone.utc) if usage.first_call else now)
    breakdown = sorted(usage.breakdown, key=lambda row: (row.key or "") if args.group_by == "day" else -row.cost)
    return {
        "period": args.period,
        "from": iso(start),
        "to": iso(now),
        "calls": usage.total.calls,
        "cost": _money(usage.total.cost),
        "estimated_cost": _money(usage.total.estimated_cost),
        "tokens": _tokens(usage.total),
        "breakdown": [
            {
                args.group_by: row.key,
                "calls": row.calls,
                "cost": _money(row.cost),
                "estimated_cost": _money(row.estimated_cost),
                "tokens": _tokens(row),
            }
            for row in breakdown
        ],
        "budgets": [
            {
                "name": limit.name,
                "limit": limit.limit_usd,
                "spent": _money(amount),
                "remaining": _money(max(0.0, limit.limit_usd - amount)),
                "resets_at": iso(limit.resets_at),
            }
            for limit, amount in zip(limits, spent, strict=True)
        ],
    }


async def get_usage(ctx: Context[AppState]) -> CallToolResult:
    """What your chat calls cost: calls, USD and tokens for a period (today, 7d, 30d, month, all; UTC),
    broken down by model, day or provider, plus each spend budget's limit, spend and reset time."""
    return await run_tool(ctx, "get_usage", UsageArgs, lambda s, a: _usage(ctx, s, a))
