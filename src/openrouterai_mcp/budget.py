"""Budget policy: which spend limits apply now, and whether a spend breaks one. Pure: no I/O, no clock.

Windows are UTC calendar periods: a daily budget covers [00:00 today, 00:00 tomorrow), a monthly one
[the 1st 00:00, the next 1st 00:00). A limit is reached when the spend is at or above it, so a budget of
$2.00 with exactly $2.00 spent refuses the next call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .identity import Caller


@dataclass(frozen=True, slots=True)
class Limit:
    """One budget: `user` None means every user's spend counts (the server's budgets)."""

    name: str
    limit_usd: float
    since: datetime
    resets_at: datetime
    user: str | None
    variable: str


def day_start(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def active_limits(now: datetime, *, daily_usd: float | None, monthly_usd: float | None, caller: Caller) -> list[Limit]:
    """The budgets that apply to this caller at `now`: the server's daily and monthly, then the caller's own."""
    today = day_start(now)
    tomorrow = today + timedelta(days=1)
    limits: list[Limit] = []
    if daily_usd is not None:
        limits.append(Limit("daily", daily_usd, today, tomorrow, None, "OPENROUTER_BUDGET_DAILY_USD"))
    if monthly_usd is not None:
        month = month_start(now)
        limits.append(Limit("monthly", monthly_usd, month, next_month(month), None, "OPENROUTER_BUDGET_MONTHLY_USD"))
    if caller.daily_budget_usd is not None:
        limits.append(
            Limit(
                f"daily ({caller.user})",
                caller.daily_budget_usd,
                today,
                tomorrow,
                caller.user,
                "the user's daily budget in OPENROUTER_MCP_TOKENS_FILE",
            )
        )
    return limits


def dollars(amount: float) -> str:
    """A budget in USD as people write it: cents (`2.00`), or the digits a sub-cent budget needs (`0.0002`)."""
    cents = f"{amount:.2f}"
    if float(cents) == amount:
        return cents
    return f"{amount:.6f}".rstrip("0")


def refusal(limit: Limit, spent: float) -> str | None:
    """The refusal text when `spent` has reached `limit`, else None."""
    if spent < limit.limit_usd:
        return None
    kind = "daily" if limit.name.startswith("daily") else "monthly"
    whose = f" of user {limit.user}" if limit.user is not None else ""
    return (
        f"{kind} budget{whose} of ${dollars(limit.limit_usd)} reached (${spent:.4f} spent since {iso(limit.since)}); "
        f"it resets at {iso(limit.resets_at)}. Raise {limit.variable} to go on."
    )


def first_refusal(limits: list[Limit], spent: list[float]) -> str | None:
    """The first budget (in `active_limits` order) that the matching spend has reached."""
    for limit, amount in zip(limits, spent, strict=True):
        message = refusal(limit, amount)
        if message is not None:
            return message
    return None
