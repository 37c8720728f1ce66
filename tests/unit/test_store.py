"""The store's behaviour, identical on SQLite and PostgreSQL (every test runs on both)."""

from __future__ import annotations

import asyncio
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pytest
from store_fixtures import OpenStore

from openrouterai_mcp.budget import active_limits
from openrouterai_mcp.errors import BudgetExceeded
from openrouterai_mcp.identity import Caller
from openrouterai_mcp.store import LedgerEntry, NewMessage, Store

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)
T = NOW.timestamp()
ALICE = Caller("alice")


def turn(question: str, answer: str, *, model: str = "openai/gpt-4o", cost: float = 0.01) -> list[NewMessage]:
    return [
        NewMessage("user", question),
        NewMessage("assistant", answer, model=model, provider="OpenAI", cost=cost, generation_id=f"gen-{answer}"),
    ]


def settled(
    user: str, cost: float, *, at: float = T, model: str = "openai/gpt-4o", provider: str = "OpenAI"
) -> LedgerEntry:
    return LedgerEntry(
        user,
        at,
        model,
        served_model=model,
        provider=provider,
        prompt_tokens=10,
        completion_tokens=5,
        cost=cost,
        outcome="ok",
    )


async def test_a_conversation_reads_back_in_order_with_each_answers_provenance(store: Store) -> None:
    await store.append("alice", "c1", [NewMessage("system", "Be brief."), *turn("Hi?", "Hello.")], now=T, title="Hi?")
    await store.append("alice", "c1", turn("More?", "Sure.", model="anthropic/claude", cost=0.02), now=T + 5, title="")
    info = await store.conversation("alice", "c1")
    assert info is not None
    assert (info.turns, info.models, info.title) == (5, ["openai/gpt-4o", "anthropic/claude"], "Hi?")
    assert info.cost == pytest.approx(0.03)
    assert (info.created, info.updated) == (T, T + 5)
    messages = await store.messages("alice", "c1")
    assert [(m.index, m.role, m.content) for m in messages] == [
        (0, "system", "Be brief."),
        (1, "user", "Hi?"),
        (2, "assistant", "Hello."),
        (3, "user", "More?"),
        (4, "assistant", "Sure."),
    ]
    assert (messages[4].model, messages[4].provider, messages[4].generation_id) == (
        "anthropic/claude",
        "OpenAI",
        "gen-Sure.",
    )


async def test_messages_page_by_offset_and_limit(store: Store) -> None:
    await store.append("alice", "c1", [NewMessage("user", f"m{i}") for i in range(10)], now=T, title="m0")
    page = await store.messages("alice", "c1", offset=4, limit=3)
    assert [(m.index, m.content) for m in page] == [(4, "m4"), (5, "m5"), (6, "m6")]


async def test_content_parts_are_kept_as_parts(store: Store) -> None:
    parts = [
        {"type": "text", "text": "look"},
        {"type": "omitted", "part": "image_url", "mime_type": "image/png", "bytes": 3},
    ]
    await store.append("alice", "c1", [NewMessage("user", parts)], now=T, title="look")
    assert (await store.messages("alice", "c1"))[0].content == parts


async def test_another_users_conversation_reads_as_absent_and_cannot_be_deleted(store: Store) -> None:
    await store.append("alice", "c1", turn("secret plan", "ok"), now=T, title="secret plan")
    assert await store.conversation("bob", "c1") is None
    assert await store.messages("bob", "c1") == []
    assert await store.list_conversations("bob", None, 10) == []
    assert await store.delete_conversation("bob", "c1") is False
    assert await store.conversation("alice", "c1") is not None


async def test_listing_is_most_recent_first_limited_and_searches_titles_and_text(store: Store) -> None:
    for i in range(5):
        await store.append("alice", f"c{i}", turn(f"question {i}", f"answer {i}"), now=T + i, title=f"question {i}")
    await store.append("alice", "c1", turn("follow-up about 100%_match", "fine"), now=T + 10, title="")
    listed = await store.list_conversations("alice", None, 3)
    assert [info.conversation_id for info in listed] == ["c1", "c4", "c3"]
    assert [info.conversation_id for info in await store.list_conversations("alice", "QUESTION 2", 10)] == ["c2"]
    assert [info.conversation_id for info in await store.list_conversations("alice", "100%_m", 10)] == ["c1"]
    assert await store.list_conversations("alice", "answer 9", 10) == []


async def test_deleting_a_conversation_erases_its_text_and_keeps_the_ledger(store: Store) -> None:
    await store.append("alice", "c1", turn("private words", "reply"), now=T, title="private words")
    entry = settled("alice", 0.5)
    entry.conversation_id = "c1"
    await store.settle(None, entry)
    assert await store.delete_conversation("alice", "c1") is True
    assert await store.conversation("alice", "c1") is None
    assert await store.messages("alice", "c1") == []
    assert await store.list_conversations("alice", "private", 10) == []
    usage = await store.usage("alice", None, T + 1, "model")
    assert (usage.total.calls, usage.total.cost) == (1, 0.5)


async def test_pruning_removes_conversations_last_updated_before_the_cutoff(store: Store) -> None:
    await store.append("alice", "old", turn("a", "b"), now=T - 40 * 86400, title="a")
    await store.append("alice", "new", turn("c", "d"), now=T - 29 * 86400, title="c")
    assert await store.prune(T - 30 * 86400) == 1
    assert [info.conversation_id for info in await store.list_conversations("alice", None, 10)] == ["new"]


async def test_twenty_concurrent_writers_all_land(store: Store) -> None:
    async def one(i: int) -> None:
        await store.append("alice", f"c{i}", turn(f"q{i}", f"a{i}"), now=T + i, title=f"q{i}")
        await store.settle(None, settled("alice", 0.01))

    await asyncio.gather(*(one(i) for i in range(20)))
    assert len(await store.list_conversations("alice", None, 50)) == 20
    usage = await store.usage("alice", None, T + 100, "model")
    assert usage.total.calls == 20
    assert usage.total.cost == pytest.approx(0.2)


async def test_two_replicas_starting_together_migrate_once_and_share_data(open_replica: OpenStore) -> None:
    first, second = await asyncio.gather(open_replica(), open_replica())
    await first.append("alice", "c1", turn("from one", "ok"), now=T, title="from one")
    assert [m.content for m in await second.messages("alice", "c1")] == ["from one", "ok"]
    third = await open_replica()
    assert (await third.conversation("alice", "c1")) is not None


async def test_usage_totals_and_breaks_down_by_model_day_and_provider_within_the_period(store: Store) -> None:
    await store.settle(None, settled("alice", 0.25, model="a/x", provider="P1"))
    await store.settle(None, settled("alice", 0.5, model="b/y", provider="P2", at=T - 86400))
    await store.settle(None, settled("alice", 1.0, model="a/x", provider="P1", at=T - 40 * 86400))
    await store.settle(None, settled("bob", 9.0))
    estimated = settled("alice", 0.125, model="a/x", provider="P1")
    estimated.cost_estimated = True
    await store.settle(None, estimated)
    usage = await store.usage("alice", T - 7 * 86400, T + 1, "model")
    assert (usage.total.calls, usage.total.cost, usage.total.estimated_cost) == (3, 0.875, 0.125)
    assert (usage.total.prompt_tokens, usage.total.completion_tokens) == (30, 15)
    by_model = {row.key: (row.calls, row.cost) for row in usage.breakdown}
    assert by_model == {"a/x": (2, 0.375), "b/y": (1, 0.5)}
    by_day = {row.key: row.calls for row in (await store.usage("alice", None, T + 1, "day")).breakdown}
    assert by_day == {"2026-12-01": 2, "2026-11-30": 1, "2026-10-22": 1}
    by_provider = {row.key: row.cost for row in (await store.usage("alice", None, T + 1, "provider")).breakdown}
    assert by_provider == {"P1": 1.375, "P2": 0.5}


async def test_a_budget_exactly_reached_refuses_and_just_under_admits(store: Store) -> None:
    limits = active_limits(NOW, daily_usd=2.0, monthly_usd=None, caller=ALICE)
    await store.settle(None, settled("alice", 1.99))
    row = await store.reserve(LedgerEntry("alice", T, "m"), limits, 0.0)
    await store.settle(row, settled("alice", 0.01))
    with pytest.raises(BudgetExceeded) as refused:
        await store.reserve(LedgerEntry("alice", T, "m"), limits, 0.0)
    assert refused.value.message == (
        "daily budget of $2.00 reached ($2.0000 spent since 2026-12-01T00:00:00Z); "
        "it resets at 2026-12-02T00:00:00Z. Raise OPENROUTER_BUDGET_DAILY_USD to go on."
    )


async def test_spend_from_before_the_window_does_not_count(store: Store) -> None:
    mid_month = datetime(2026, 12, 15, 9, tzinfo=timezone.utc)
    await store.settle(None, settled("alice", 5.0, at=mid_month.timestamp() - 86400))
    await store.settle(None, settled("alice", 7.0, at=T - 86400))  # in November
    daily = active_limits(mid_month, daily_usd=2.0, monthly_usd=None, caller=ALICE)
    assert await store.spent(daily) == [0.0]
    monthly = active_limits(mid_month, daily_usd=None, monthly_usd=2.0, caller=ALICE)
    with pytest.raises(BudgetExceeded, match=r"monthly budget of \$2.00 reached \(\$5.0000 spent since 2026-12-01"):
        await store.reserve(LedgerEntry("alice", T, "m"), monthly, 0.0)


async def test_a_users_own_budget_counts_only_their_spend(store: Store) -> None:
    await store.settle(None, settled("bob", 5.0))
    limits = active_limits(NOW, daily_usd=None, monthly_usd=None, caller=Caller("alice", daily_budget_usd=1.0))
    assert await store.reserve(LedgerEntry("alice", T, "m"), limits, 0.0) > 0
    await store.settle(None, settled("alice", 1.0))
    with pytest.raises(BudgetExceeded, match=r"daily budget of user alice of \$1\.00 reached"):
        await store.reserve(LedgerEntry("alice", T, "m"), limits, 0.0)


async def test_two_replicas_cannot_both_spend_the_last_cent(open_replica: OpenStore) -> None:
    replicas = [await open_replica(), await open_replica()]
    limits = active_limits(NOW, daily_usd=1.0, monthly_usd=None, caller=ALICE)
    await replicas[0].settle(None, settled("alice", 0.99))

    async def attempt(i: int) -> bool:
        try:
            await replicas[i % 2].reserve(LedgerEntry("alice", T, "m"), limits, 0.02)
        except BudgetExceeded:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert outcomes.count(True) == 1
    assert await replicas[1].spent(limits) == [pytest.approx(1.01)]


async def test_a_settled_reservation_counts_its_real_cost_not_the_estimate(store: Store) -> None:
    limits = active_limits(NOW, daily_usd=1.0, monthly_usd=None, caller=ALICE)
    row = await store.reserve(LedgerEntry("alice", T, "m"), limits, 0.5)
    assert await store.spent(limits) == [0.5]
    await store.settle(row, settled("alice", 0.125))
    assert await store.spent(limits) == [0.125]


# A version-1 database exactly as the first release wrote it (SQLAlchemy's DDL for SQLite, verbatim).
VERSION_1_DDL = (
    "CREATE TABLE schema_migrations (version INTEGER NOT NULL, applied_at DOUBLE NOT NULL, PRIMARY KEY (version))",
    "CREATE TABLE conversations (id VARCHAR(64) NOT NULL, user_name VARCHAR(200) NOT NULL, title TEXT NOT NULL, "
    "turns INTEGER NOT NULL, models TEXT NOT NULL, cost DOUBLE NOT NULL, created DOUBLE NOT NULL, "
    "updated DOUBLE NOT NULL, PRIMARY KEY (id))",
    "CREATE INDEX conversations_user_updated ON conversations (user_name, updated)",
    "CREATE INDEX conversations_updated ON conversations (updated)",
    "CREATE TABLE messages (conversation_id VARCHAR(64) NOT NULL, seq INTEGER NOT NULL, role VARCHAR(16) NOT NULL, "
    "content TEXT NOT NULL, is_parts BOOLEAN NOT NULL, model VARCHAR(200), provider VARCHAR(200), cost DOUBLE, "
    "generation_id VARCHAR(200), created DOUBLE NOT NULL, PRIMARY KEY (conversation_id, seq), "
    "FOREIGN KEY(conversation_id) REFERENCES conversations (id) ON DELETE CASCADE)",
    "CREATE TABLE ledger (id INTEGER NOT NULL, at DOUBLE NOT NULL, day VARCHAR(10) NOT NULL, "
    "user_name VARCHAR(200) NOT NULL, conversation_id VARCHAR(64), requested_model VARCHAR(200), "
    "served_model VARCHAR(200), provider VARCHAR(200), generation_id VARCHAR(200), prompt_tokens INTEGER NOT NULL, "
    "completion_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, "
    "cost DOUBLE, cost_estimated BOOLEAN NOT NULL, reserved DOUBLE NOT NULL, latency_ms INTEGER, "
    "outcome VARCHAR(16) NOT NULL, error TEXT, PRIMARY KEY (id))",
    "CREATE INDEX ledger_at ON ledger (at)",
    "CREATE INDEX ledger_user_at ON ledger (user_name, at)",
    "INSERT INTO schema_migrations VALUES (1, 0)",
)


async def test_a_version_1_database_is_migrated_forward_with_its_ledger_rolled_up(tmp_path: Path) -> None:
    import sqlite3

    from openrouterai_mcp.store import open_store

    path = tmp_path / "data" / "store.sqlite3"
    path.parent.mkdir()
    values = settled("alice", 0.75)
    with closing(sqlite3.connect(path)) as connection, connection:
        for statement in VERSION_1_DDL:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO ledger (at, day, user_name, requested_model, served_model, prompt_tokens, completion_tokens, "
            "reasoning_tokens, cached_tokens, cost, cost_estimated, reserved, outcome) "
            "VALUES (?, '2026-12-01', 'alice', 'm', 'm', 10, 5, 0, 0, 0.75, 0, 0.0, 'ok')",
            (values.at,),
        )
    store = await open_store(database_url=None, data_dir=str(tmp_path / "data"))
    try:
        usage = await store.usage("alice", None, T + 1, "model")
        limits = active_limits(NOW, daily_usd=1.0, monthly_usd=None, caller=ALICE)
        assert await store.spent(limits) == [0.75]
    finally:
        await store.close()
    assert (usage.total.calls, usage.total.cost) == (1, 0.75)


async def test_sqlite_checkpoints_the_wal_in_a_thread_of_its_own_after_every_few_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from openrouterai_mcp.store import open_store, sqlite_db

    checkpoints: list[tuple[str, tuple[int, int, int] | None]] = []
    original = sqlite_db._Checkpointer._checkpoint  # pyright: ignore[reportPrivateUsage]

    def recorded(self: sqlite_db._Checkpointer) -> tuple[int, int, int] | None:  # pyright: ignore[reportPrivateUsage]
        result = original(self)
        checkpoints.append((threading.current_thread().name, result))
        return result

    monkeypatch.setattr(sqlite_db, "CHECKPOINT_EVERY", 4)
    monkeypatch.setattr(sqlite_db._Checkpointer, "_checkpoint", recorded)  # pyright: ignore[reportPrivateUsage]
    store = await open_store(database_url=None, data_dir=str(tmp_path / "data"))
    try:
        for _ in range(6):
            await store.spent([])  # reads never count
        await store.usage("alice", None, T, "model")
        assert checkpoints == []
        for number in range(4):
            await store.settle(None, settled("alice", 0.01 * number))
    finally:
        await store.close()  # waits for a running checkpoint
    assert len(checkpoints) == 1
    thread, (busy, frames, copied) = checkpoints[0][0], checkpoints[0][1] or (1, 0, -1)
    assert thread == "sqlite-checkpoint"
    assert busy == 0
    assert 0 < copied <= frames  # a write may have added frames while it ran


async def test_sqlite_a_write_waiting_for_another_processs_lock_never_blocks_the_event_loop(tmp_path: Path) -> None:
    import sqlite3

    import anyio

    from openrouterai_mcp.store import open_store

    store = await open_store(database_url=None, data_dir=str(tmp_path / "data"))
    other = sqlite3.connect(tmp_path / "data" / "store.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another server process is writing
        settled_at: list[float] = []
        ticks = 0

        async def settle() -> None:
            await store.settle(None, settled("alice", 0.5))
            settled_at.append(anyio.current_time())

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(settle)
            for _ in range(20):  # the loop keeps running while the write waits for the lock
                await anyio.sleep(0.005)
                ticks += 1
            assert settled_at == []
            other.execute("COMMIT")
        assert ticks == 20
        assert len(settled_at) == 1
        usage = await store.usage("alice", None, T + 1, "model")
        assert (usage.total.calls, usage.total.cost) == (1, 0.5)
    finally:
        other.close()
        await store.close()


async def test_sqlite_a_write_after_close_is_a_store_error_never_a_driver_exception(tmp_path: Path) -> None:
    from openrouterai_mcp.store import StoreError, open_store

    store = await open_store(database_url=None, data_dir=str(tmp_path / "data"))
    await store.close()
    with pytest.raises(StoreError, match="ProgrammingError"):
        await store.settle(None, settled("alice", 0.5))
    with pytest.raises(StoreError, match="ProgrammingError"):
        await store.list_conversations("alice", None, 10)
