"""Benchmark of the store (run on demand; not part of the tests).

    uv run python bench/store.py [--calls 400] [--database-url postgresql://...]

1. Chat overhead: p50 of in-process `chat_completion` calls (upstream answered instantly by an in-memory
   transport), store on versus OPENROUTER_HISTORY=off (the ledger is written in both). Target: <= 1 ms.
2. Cold start: building the server imports no database module (sqlite3, SQLAlchemy, psycopg).
3. Scale: with 100,000 ledger rows and 10,000 conversations (one of 200 turns), the p50 of `get_usage`
   (target <= 50 ms), `list_conversations` (<= 20 ms) and `get_conversation` of the 200-turn thread
   (<= 20 ms), each measured through the tool, in process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from mcp import Client  # noqa: E402

from openrouterai_mcp.server import create_server  # noqa: E402
from openrouterai_mcp.settings import Settings  # noqa: E402

ANSWER = {
    "id": "gen-bench",
    "object": "chat.completion",
    "created": 1_780_000_000,
    "model": "openai/gpt-4o-mini",
    "provider": "OpenAI",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13, "cost": 0.0000021},
}
CHAT = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Reply with the single word: ok"}]}


def _transport() -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ANSWER)

    return httpx.MockTransport(answer)


def _settings(data_dir: str, **extra: Any) -> Settings:
    return Settings(api_key="sk-bench", base_url="http://bench.invalid/api/v1", data_dir=data_dir, **extra)


async def _p50(call: Callable[[], Awaitable[Any]], count: int) -> float:
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def chat_overhead(calls: int, database_url: str | None) -> tuple[float, float]:
    """Two servers side by side, calls alternated between them, so machine noise hits both alike."""
    with tempfile.TemporaryDirectory() as on_dir, tempfile.TemporaryDirectory() as off_dir:
        on_server = create_server(_settings(on_dir, database_url=database_url), transport=_transport())
        off_server = create_server(_settings(off_dir, history=False, database_url=database_url), transport=_transport())
        async with Client(on_server) as on, Client(off_server) as off:
            for _ in range(20):  # warm-up: the first call opens the store
                await on.call_tool("chat_completion", CHAT)
                await off.call_tool("chat_completion", CHAT)
            times: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(calls):
                for name, client in (("on", on), ("off", off)):
                    started = time.perf_counter()
                    await client.call_tool("chat_completion", CHAT)
                    times[name].append((time.perf_counter() - started) * 1000)
    return statistics.median(times["on"]), statistics.median(times["off"])


def cold_start_imports() -> list[str]:
    create_server(_settings(tempfile.gettempdir()))
    database_modules = {"sqlite3", "sqlalchemy", "aiosqlite", "psycopg"}
    return sorted(name for name in sys.modules if name.split(".")[0] in database_modules)


async def _seed(data_dir: str, database_url: str | None) -> str:
    from openrouterai_mcp.store import open_store
    from openrouterai_mcp.store.database import Sql
    from openrouterai_mcp.store.ledger_sql import COLUMNS as LEDGER_COLUMNS
    from openrouterai_mcp.store.schema import ROLL_UP_LEDGER

    def insert(table: str, columns: list[str]) -> str:
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"

    store: Any = await open_store(database_url=database_url, data_dir=data_dir)
    now = time.time()
    models = [f"vendor{i}/model-{i}" for i in range(40)]
    ledger_rows: list[dict[str, Any]] = []
    for i in range(100_000):
        at = now - (i % (60 * 24)) * 3600 - i % 3600
        ledger_rows.append(
            {
                "at": at,
                "day": time.strftime("%Y-%m-%d", time.gmtime(at)),
                "user_name": "local" if i % 10 else "someone-else",
                "conversation_id": f"conv_{i % 10_000:05d}",
                "requested_model": models[i % 40],
                "served_model": models[i % 40],
                "provider": f"Provider{i % 7}",
                "generation_id": f"gen-{i}",
                "prompt_tokens": 100,
                "completion_tokens": 50,
                "reasoning_tokens": 0,
                "cached_tokens": 0,
                "cost": 0.0001,
                "cost_estimated": False,
                "reserved": 0.0,
                "latency_ms": 400,
                "outcome": "ok",
                "error": None,
            }
        )
    conv_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    for i in range(10_000):
        turns = 200 if i == 0 else 2
        conv_rows.append(
            {
                "id": f"conv_{i:05d}",
                "user_name": "local",
                "title": f"Question number {i}",
                "turns": turns,
                "models": json.dumps([models[i % 40]]),
                "cost": 0.001,
                "created": now - i * 60,
                "updated": now - i * 60,
            }
        )
        for seq in range(turns):
            message_rows.append(
                {
                    "conversation_id": f"conv_{i:05d}",
                    "seq": seq,
                    "role": "user" if seq % 2 == 0 else "assistant",
                    "content": f"message {seq} of conversation {i} " + "lorem ipsum " * 40,
                    "is_parts": False,
                    "model": None if seq % 2 == 0 else models[i % 40],
                    "provider": None,
                    "cost": None,
                    "generation_id": None,
                    "created": now - i * 60,
                }
            )

    def seed(sql: Sql) -> None:  # bench only: bulk rows straight into the tables
        for table in ("messages", "conversations", "ledger", "ledger_daily"):
            sql.run(f"DELETE FROM {table}")
        sql.run_many(insert("ledger", LEDGER_COLUMNS.split(", ")), ledger_rows)
        sql.run(ROLL_UP_LEDGER)
        sql.run_many(insert("conversations", list(conv_rows[0])), conv_rows)
        sql.run_many(insert("messages", list(message_rows[0])), message_rows)

    await store._database.transaction(seed)
    await store.close()
    return "conv_00000"


async def scale(database_url: str | None, calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        thread = await _seed(data_dir, database_url)
        print(f"  seeded 100,000 ledger rows and 10,000 conversations in {time.perf_counter() - started:.1f} s")
        settings = _settings(data_dir, database_url=database_url, budget_daily_usd=100.0, budget_monthly_usd=1000.0)
        async with Client(create_server(settings, transport=_transport())) as client:
            await client.call_tool("list_conversations", {})
            timings: dict[str, float] = {}
            for label, tool, arguments in (
                ("get_usage period=30d group_by=model", "get_usage", {"period": "30d"}),
                ("get_usage period=all group_by=day", "get_usage", {"period": "all", "group_by": "day"}),
                ("list_conversations limit=50", "list_conversations", {"limit": 50}),
                (
                    "get_conversation 200 turns, limit=200",
                    "get_conversation",
                    {"conversation_id": thread, "limit": 200},
                ),
            ):
                result = await client.call_tool(tool, arguments)
                assert not result.is_error, result
                timings[label] = await _p50(lambda t=tool, a=arguments: client.call_tool(t, a), calls)
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the chat overhead measurement")
    parser.add_argument("--database-url", default=None, help="measure on PostgreSQL instead of SQLite")
    options = parser.parse_args()
    backend = "PostgreSQL" if options.database_url else "SQLite"
    imported = cold_start_imports()
    print(f"cold start: database modules imported by building the server: {imported or 'none'}")
    rounds = [await chat_overhead(options.calls, options.database_url) for _ in range(options.rounds)]
    rounds.sort(key=lambda pair: pair[0] - pair[1])
    on, off = rounds[len(rounds) // 2]
    print(
        f"chat_completion p50 differences of {options.rounds} rounds: "
        + ", ".join(f"{a - b:+.2f}" for a, b in rounds)
        + " ms (the median round below)"
    )
    print(
        f"chat_completion p50 ({backend}): store on {on:.2f} ms, OPENROUTER_HISTORY=off {off:.2f} ms, "
        f"difference {on - off:+.2f} ms (target <= 1 ms)"
    )
    print(f"scale ({backend}):")
    for label, value in (await scale(options.database_url, max(20, options.calls // 10))).items():
        print(f"  {label:<42} p50 {value:7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
