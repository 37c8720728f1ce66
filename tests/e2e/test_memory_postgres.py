"""Two server processes on one real PostgreSQL database, as two replicas of the team server would be."""

from __future__ import annotations

from tests.conftest import ServerProcess
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion
from tests.postgres import PostgresServer
from tests.results import failed, ok

QUESTION = {"role": "user", "content": "Name a prime number."}


async def test_a_conversation_started_on_one_replica_continues_on_the_other_and_shares_the_budget(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, postgres: PostgresServer
) -> None:
    shared = env | {"OPENROUTER_DATABASE_URL": postgres.create_database(), "OPENROUTER_BUDGET_DAILY_USD": "0.0002"}
    upstream.script("POST", CHAT, Reply(json=completion("openai/gpt-4o-mini", "Seven.")))
    async with server.connect(shared) as first, server.connect(shared) as second:
        started = ok(await first.call_tool("chat_completion", {"messages": [QUESTION]}))
        follow = {"role": "user", "content": "Another?"}
        continued = ok(
            await second.call_tool(
                "chat_completion", {"conversation_id": started["conversation_id"], "messages": [follow]}
            )
        )
        refused = failed(await first.call_tool("chat_completion", {"messages": [QUESTION]}))
        usage = ok(await second.call_tool("get_usage", {}))
    assert upstream.calls(CHAT)[-1].body["messages"] == [QUESTION, {"role": "assistant", "content": "Seven."}, follow]
    assert continued["stored"] is True
    assert refused.startswith("Error: Rate Limit - daily budget of $0.0002 reached ($0.0002 spent since ")
    assert len(upstream.calls(CHAT)) == 2
    assert usage["calls"] == 2
