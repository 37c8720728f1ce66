"""Who is calling: an explicit value passed from the transport into each tool call, never a global.

Over stdio there is one caller, the local user. Over HTTP (the team server) each bearer token maps to
a named user with an optional daily budget of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_USER = "local"


@dataclass(frozen=True, slots=True)
class Caller:
    user: str = LOCAL_USER
    daily_budget_usd: float | None = None


LOCAL_CALLER = Caller()
