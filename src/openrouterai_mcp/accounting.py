"""The ledger and budgets around each upstream chat call (chat_completion and every compare_models model).

`admit` runs before the request: when a budget applies it checks the spend and reserves, atomically, a
pending ledger row holding the call's estimated cost, or refuses with `BudgetExceeded` (nothing is sent).
`settle` runs after: it writes tokens, cost (the upstream's `usage.cost`, else estimated from the cached
catalog's prices and marked so), provenance, latency and outcome. A store failure never fails the call: it is
logged to stderr and `settle` reports False ("stored": false in the result).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import anyio

from .budget import Limit, active_limits, first_refusal
from .catalog import Catalog
from .errors import BudgetExceeded, ServerError
from .identity import Caller
from .jsonshape import as_dict, as_list
from .settings import Settings
from .store import ConversationWrite, LedgerEntry, StoreError
from .store.handle import StoreHandle

logger = logging.getLogger(__name__)

# USD per prompt token and per completion token, or None when unknown.
PriceLookup = Callable[[str], Awaitable[tuple[float, float] | None]]
CHARS_PER_TOKEN = 4
SETTLE_TIMEOUT_SECONDS = 10.0


@dataclass(slots=True)
class Ticket:
    entry: LedgerEntry
    row_id: int | None
    started: float
    failure: str | None = None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text_chars(body: dict[str, Any]) -> int:
    total = 0
    for message in as_list(body.get("messages")):
        content = as_dict(message).get("content")
        if isinstance(content, str):
            total += len(content)
        else:
            total += sum(len(str(as_dict(part).get("text", ""))) for part in as_list(content))
    return total


class Accountant:
    def __init__(
        self,
        settings: Settings,
        handle: StoreHandle,
        prices: PriceLookup,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._handle = handle
        self._prices = prices
        self._clock = clock
        self._monotonic = monotonic

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def limits(self, caller: Caller, now: datetime) -> list[Limit]:
        return active_limits(
            now,
            daily_usd=self._settings.budget_daily_usd,
            monthly_usd=self._settings.budget_monthly_usd,
            caller=caller,
        )

    async def check(self, caller: Caller) -> None:
        """Refuse (`BudgetExceeded`) when a budget is already reached; reserves nothing (see `admit`)."""
        limits = self.limits(caller, self.now())
        if not limits:
            return
        try:
            spent = await (await self._handle.get()).spent(limits)
        except StoreError as exc:
            logger.warning("budgets cannot be checked, the store failed (%s); the call goes ahead", exc)
            return
        message = first_refusal(limits, spent)
        if message is not None:
            raise BudgetExceeded(message)

    async def admit(self, caller: Caller, body: dict[str, Any], conversation_id: str | None) -> Ticket:
        """Check the budgets and reserve; raises `BudgetExceeded` when one is reached."""
        models = [str(model) for model in as_list(body.get("models"))]
        requested = body.get("model") or ",".join(models) or None
        now = self._clock()
        entry = LedgerEntry(caller.user, now, str(requested) if requested else None, conversation_id)
        limits = self.limits(caller, datetime.fromtimestamp(now, timezone.utc))
        if not limits:
            return Ticket(entry, None, self._monotonic())
        estimate = await self._estimate(entry.requested_model, body)
        try:
            store = await self._handle.get()
            row_id = await store.reserve(entry, limits, estimate)
        except StoreError as exc:
            logger.warning("budgets cannot be checked, the store failed (%s); the call goes ahead", exc)
            return Ticket(entry, None, self._monotonic(), failure=str(exc))
        return Ticket(entry, row_id, self._monotonic())

    async def _estimate(self, model: str | None, body: dict[str, Any]) -> float:
        prices = await self._prices(model) if model else None
        if prices is None:
            return 0.0
        prompt_tokens = -(-_text_chars(body) // CHARS_PER_TOKEN)
        completion_tokens = _int(body.get("max_tokens"))
        return prompt_tokens * prices[0] + completion_tokens * prices[1]

    async def settle(
        self,
        ticket: Ticket,
        result: dict[str, Any] | None,
        error: BaseException | None,
        conversation: ConversationWrite | None = None,
    ) -> bool:
        """Write the call's ledger row (and its conversation turns, in one transaction); True when stored."""
        entry = ticket.entry
        entry.latency_ms = round((self._monotonic() - ticket.started) * 1000)
        if result is not None:
            await self._fill(entry, result)
            entry.outcome = "ok"
        else:
            entry.outcome = "error"
            entry.error = (
                f"{error.category}: {error.message}"[:500]
                if isinstance(error, ServerError)
                else type(error).__name__
                if error is not None
                else None
            )
        if result is None and not isinstance(error, Exception) and not self._handle.opened:
            # Cancelled (e.g. the server is shutting down) before the store was ever opened: opening it now
            # would hold up the exit by the import and migration time.
            logger.warning("a cancelled call's ledger row was not stored: the store was not open yet")
            return False
        with anyio.move_on_after(SETTLE_TIMEOUT_SECONDS, shield=True):
            try:
                store = await self._handle.get()
                await store.settle(ticket.row_id, entry, conversation)
            except StoreError as exc:
                logger.warning("the call's ledger row was not stored: %s", exc)
                return False
            return ticket.failure is None
        logger.warning("the call's ledger row was not stored: the store did not answer in time")
        return False

    async def _fill(self, entry: LedgerEntry, result: dict[str, Any]) -> None:
        usage = as_dict(result.get("usage"))
        entry.served_model = str(result["model"]) if result.get("model") else None
        entry.provider = str(result["provider"]) if result.get("provider") else None
        entry.generation_id = str(result["id"]) if result.get("id") else None
        entry.prompt_tokens = _int(usage.get("prompt_tokens"))
        entry.completion_tokens = _int(usage.get("completion_tokens"))
        entry.reasoning_tokens = _int(as_dict(usage.get("completion_tokens_details")).get("reasoning_tokens"))
        entry.cached_tokens = _int(as_dict(usage.get("prompt_tokens_details")).get("cached_tokens"))
        cost = usage.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            entry.cost = float(cost)
            return
        model = entry.served_model or entry.requested_model
        prices = await self._prices(model) if model else None
        if prices is not None:
            entry.cost = entry.prompt_tokens * prices[0] + entry.completion_tokens * prices[1]
            entry.cost_estimated = True


def catalog_prices(catalog: Catalog) -> PriceLookup:
    """Per-token prices from the cached catalog. It is never fetched for this: endpoints that report no cost
    (OpenAI, Anthropic, local servers) publish no prices either, and a chat call must not wait on a list."""

    async def lookup(model: str) -> tuple[float, float] | None:
        index = catalog.cached()
        if index is None:
            return None
        try:
            pricing = index.find(model).entry.pricing or {}
            prompt, completion = float(pricing.get("prompt", "x")), float(pricing.get("completion", "x"))
        except (ServerError, ValueError, TypeError):
            return None
        return (prompt, completion) if prompt >= 0 and completion >= 0 else None

    return lookup
