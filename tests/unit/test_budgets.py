"""Budgets and the ledger through the tools: refusals with nothing sent, rollover, get_usage, estimates."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx
from memory_helpers import WallClock, error, memory_client, ok
from unit_payloads import catalog_payload, chat_completion

from openrouterai_mcp.budget import active_limits, first_refusal
from openrouterai_mcp.identity import Caller

USER = {"role": "user", "content": "Hi"}
DAY_ONE = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc).timestamp()
REFUSAL = (
    "Error: Rate Limit - daily budget of $2.00 reached ($2.0000 spent since 2026-12-01T00:00:00Z); "
    "it resets at 2026-12-02T00:00:00Z. Raise OPENROUTER_BUDGET_DAILY_USD to go on."
)


def costing(cost: float, **overrides: Any) -> dict[str, Any]:
    body = chat_completion("ok", **overrides)
    body["usage"]["cost"] = cost
    return body


async def test_a_call_at_exactly_the_daily_budget_is_refused_with_nothing_sent(router: respx.MockRouter) -> None:
    chat = router.post("/chat/completions").respond(json=costing(1.0))
    clock = WallClock(DAY_ONE + 3600)
    async with memory_client(router, clock, budget_daily_usd=2.0) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        refused = error(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert refused == REFUSAL
    assert chat.call_count == 2


async def test_the_daily_budget_resets_at_utc_midnight(router: respx.MockRouter) -> None:
    chat = router.post("/chat/completions").respond(json=costing(2.5))
    clock = WallClock(DAY_ONE + 86400 - 60)
    async with memory_client(router, clock, budget_daily_usd=2.0) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        clock.now = DAY_ONE + 86400 - 1
        assert error(await client.call_tool("chat_completion", {"messages": [USER]})).startswith(
            "Error: Rate Limit - daily budget of $2.00 reached ($2.5000 spent since 2026-12-01T00:00:00Z)"
        )
        clock.now = DAY_ONE + 86400
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert chat.call_count == 2


async def test_the_monthly_budget_holds_across_days_and_resets_on_the_first(router: respx.MockRouter) -> None:
    chat = router.post("/chat/completions").respond(json=costing(3.0))
    clock = WallClock(datetime(2026, 12, 30, 12, tzinfo=timezone.utc).timestamp())
    async with memory_client(router, clock, budget_monthly_usd=5.0) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        clock.now += 86400
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        clock.now = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()
        refused = error(await client.call_tool("chat_completion", {"messages": [USER]}))
        clock.now = datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert refused == (
        "Error: Rate Limit - monthly budget of $5.00 reached ($6.0000 spent since 2026-12-01T00:00:00Z); "
        "it resets at 2027-01-01T00:00:00Z. Raise OPENROUTER_BUDGET_MONTHLY_USD to go on."
    )
    assert chat.call_count == 3


async def test_only_calls_already_in_flight_when_the_budget_is_reached_overshoot_it(router: respx.MockRouter) -> None:
    release = asyncio.Event()
    all_arrived = asyncio.Event()
    arrived: list[int] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        arrived.append(1)
        if len(arrived) == 5:
            all_arrived.set()
        await release.wait()
        return httpx.Response(200, json=costing(1.0))

    chat = router.post("/chat/completions").mock(side_effect=slow)
    clock = WallClock(DAY_ONE + 3600)
    async with memory_client(router, clock, budget_daily_usd=2.0) as client:
        calls = [asyncio.create_task(client.call_tool("chat_completion", {"messages": [USER]})) for _ in range(5)]
        await all_arrived.wait()
        release.set()
        results = await asyncio.gather(*calls)
        after = error(await client.call_tool("chat_completion", {"messages": [USER]}))
        usage = ok(await client.call_tool("get_usage", {}))
    assert all(result.is_error is False for result in results)
    assert after.startswith("Error: Rate Limit - daily budget of $2.00 reached ($5.0000 spent")
    assert chat.call_count == 5
    assert usage["budgets"] == [
        {"name": "daily", "limit": 2.0, "spent": 5.0, "remaining": 0.0, "resets_at": "2026-12-02T00:00:00Z"}
    ]


async def test_known_prices_reserve_an_estimate_so_concurrent_calls_cannot_all_pass_the_last_dollar(
    router: respx.MockRouter,
) -> None:
    release = asyncio.Event()
    arrived: list[int] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        arrived.append(1)
        await release.wait()
        return httpx.Response(200, json=costing(0.5))

    router.get("/models").respond(json=catalog_payload())
    chat = router.post("/chat/completions").mock(side_effect=slow)
    clock = WallClock(DAY_ONE + 3600)
    # anthropic/claude-sonnet-4.5 costs $15 per million completion tokens: 100,000 tokens reserve $1.50.
    arguments = {"model": "anthropic/claude-sonnet-4.5", "max_tokens": 100_000, "messages": [USER]}
    async with memory_client(router, clock, budget_daily_usd=2.0) as client:
        ok(await client.call_tool("search_models", {}))
        calls = [asyncio.create_task(client.call_tool("chat_completion", arguments)) for _ in range(3)]
        done, _pending = await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
        refused = error(done.pop().result())
        assert len(arrived) == 2
        release.set()
        results = await asyncio.gather(*calls)
    # Two reservations of $1.50 each: the second was admitted at $1.50 spent, the third saw $3.00.
    assert refused.startswith("Error: Rate Limit - daily budget of $2.00 reached ($3.0000 spent")
    assert [result.is_error for result in results].count(False) == 2
    assert chat.call_count == 2


async def test_a_cost_the_endpoint_does_not_report_is_estimated_from_catalog_prices(router: respx.MockRouter) -> None:
    body = chat_completion("ok", model="anthropic/claude-sonnet-4.5")
    del body["usage"]["cost"]
    body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"] = 1000, 2000
    router.post("/chat/completions").respond(json=body)
    router.get("/models").respond(json=catalog_payload())
    async with memory_client(router, WallClock(DAY_ONE + 60)) as client:
        ok(await client.call_tool("search_models", {}))  # the catalog is cached: its prices are known
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        usage = ok(await client.call_tool("get_usage", {}))
    assert usage["cost"] == pytest.approx(1000 * 3e-6 + 2000 * 15e-6)
    assert usage["estimated_cost"] == usage["cost"]


async def test_get_usage_reports_the_period_totals_breakdown_and_budgets(router: respx.MockRouter) -> None:
    router.post("/chat/completions").mock(
        side_effect=[
            httpx.Response(200, json=costing(0.25, model="a/x", provider="P1")),
            httpx.Response(200, json=costing(0.5, model="b/y", provider="P2")),
            httpx.Response(200, json=costing(1.0, model="a/x", provider="P1")),
        ]
    )
    clock = WallClock(DAY_ONE + 3600)
    async with memory_client(router, clock, budget_daily_usd=10.0, budget_monthly_usd=100.0) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        clock.now += 86400
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        today = ok(await client.call_tool("get_usage", {}))
        by_day = ok(await client.call_tool("get_usage", {"period": "month", "group_by": "day"}))
        by_provider = ok(await client.call_tool("get_usage", {"period": "all", "group_by": "provider"}))
        bad = error(await client.call_tool("get_usage", {"period": "year"}))
    assert (today["period"], today["from"], today["to"]) == ("today", "2026-12-02T00:00:00Z", "2026-12-02T01:00:00Z")
    assert (today["calls"], today["cost"]) == (2, 1.5)
    assert today["tokens"] == {"prompt": 28, "completion": 10, "reasoning": 0, "cached": 0, "total": 38}
    assert [(row["model"], row["calls"], row["cost"]) for row in today["breakdown"]] == [
        ("a/x", 1, 1.0),
        ("b/y", 1, 0.5),
    ]
    assert today["budgets"] == [
        {"name": "daily", "limit": 10.0, "spent": 1.5, "remaining": 8.5, "resets_at": "2026-12-03T00:00:00Z"},
        {"name": "monthly", "limit": 100.0, "spent": 1.75, "remaining": 98.25, "resets_at": "2027-01-01T00:00:00Z"},
    ]
    assert [(row["day"], row["calls"]) for row in by_day["breakdown"]] == [("2026-12-01", 1), ("2026-12-02", 2)]
    assert by_day["from"] == "2026-12-01T00:00:00Z"
    assert {row["provider"]: row["cost"] for row in by_provider["breakdown"]} == {"P1": 1.25, "P2": 0.5}
    assert by_provider["from"] == "2026-12-01T00:00:00Z"  # periods are whole UTC days
    assert bad.startswith("Error: Validation Error - period:")


def test_a_users_own_daily_budget_applies_on_top_of_the_servers() -> None:
    now = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
    limits = active_limits(now, daily_usd=10.0, monthly_usd=None, caller=Caller("bob", daily_budget_usd=1.0))
    assert [limit.name for limit in limits] == ["daily", "daily (bob)"]
    assert first_refusal(limits, [0.5, 0.99]) is None
    message = first_refusal(limits, [1.0, 1.0])
    assert message is not None
    assert message.startswith("daily budget of user bob of $1.00 reached ($1.0000 spent since 2026-12-01T00:00:00Z)")
    assert message.endswith("Raise the user's daily budget in OPENROUTER_MCP_TOKENS_FILE to go on.")


def test_a_sub_cent_budget_is_named_with_its_own_digits_not_rounded_to_zero() -> None:
    now = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)
    limits = active_limits(now, daily_usd=0.0002, monthly_usd=2.5, caller=Caller())
    daily = first_refusal(limits, [0.0003, 0.0])
    monthly = first_refusal(limits, [0.0, 2.5])
    assert daily is not None and daily.startswith("daily budget of $0.0002 reached ($0.0003 spent")
    assert monthly is not None and monthly.startswith("monthly budget of $2.50 reached ($2.5000 spent")


def test_a_december_month_resets_on_the_first_of_january() -> None:
    (limit,) = active_limits(
        datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc), daily_usd=None, monthly_usd=1.0, caller=Caller()
    )
    assert (limit.since.isoformat(), limit.resets_at.isoformat()) == (
        "2026-12-01T00:00:00+00:00",
        "2027-01-01T00:00:00+00:00",
    )


async def test_compare_writes_one_ledger_row_per_model_and_is_refused_whole_once_the_budget_is_reached(
    router: respx.MockRouter,
) -> None:
    chat = router.post("/chat/completions").respond(json=costing(1.0))
    arguments = {"models": ["a/x", "b/y"], "messages": [USER]}
    async with memory_client(router, WallClock(DAY_ONE + 60), budget_daily_usd=2.0) as client:
        ok(await client.call_tool("compare_models", arguments))
        usage = ok(await client.call_tool("get_usage", {}))
        refused = error(await client.call_tool("compare_models", arguments))
    assert usage["calls"] == 2
    assert refused == REFUSAL
    assert chat.call_count == 2


async def test_compare_can_start_from_a_stored_conversation(router: respx.MockRouter) -> None:
    chat = router.post("/chat/completions").respond(json=costing(0.1))
    async with memory_client(router, WallClock(DAY_ONE + 60)) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        follow = {"role": "user", "content": "Again?"}
        ok(
            await client.call_tool(
                "compare_models",
                {"models": ["a/x", "b/y"], "conversation_id": first["conversation_id"], "messages": [follow]},
            )
        )
        thread = ok(await client.call_tool("get_conversation", {"conversation_id": first["conversation_id"]}))
    sent = [json.loads(call.request.content)["messages"] for call in chat.calls[1:]]
    assert sent == [[USER, {"role": "assistant", "content": "ok"}, follow]] * 2
    assert thread["turns"] == 2
