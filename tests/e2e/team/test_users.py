"""Per-user state over HTTP: private conversations, per-user budgets and usage, and two replicas sharing
one PostgreSQL database (a conversation moves between them; a budget spent on one holds on the other).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.e2e.team.conftest import ALICE, BOB
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion
from tests.postgres import PostgresServer
from tests.results import failed, ok
from tests.team_server import INITIALIZE, MCP_HEADERS, TeamServer

HELLO = [{"role": "user", "content": "Remember the word: tangerine"}]
AGAIN = [{"role": "user", "content": "Which word?"}]


async def chat(client: Client, messages: list[dict[str, str]] = HELLO, **arguments: Any) -> Any:
    return await client.call_tool("chat_completion", {"messages": messages, **arguments})


def costly(cost: float, content: str = "ok") -> Reply:
    answer = completion(content=content)
    answer["usage"]["cost"] = cost
    return Reply(json=answer)


# --- private conversations ---------------------------------------------------------------------------


async def test_another_users_conversation_reads_as_not_found(team: TeamServer, upstream: FakeUpstream) -> None:
    async with team.connect(ALICE) as alice:
        conversation = ok(await chat(alice))["conversation_id"]
        assert ok(await alice.call_tool("get_conversation", {"conversation_id": conversation}))
    async with team.connect(BOB) as bob:
        read = failed(await bob.call_tool("get_conversation", {"conversation_id": conversation}))
        continued = failed(await chat(bob, AGAIN, conversation_id=conversation))
        deleted = failed(await bob.call_tool("delete_conversation", {"conversation_id": conversation}))
        listed = ok(await bob.call_tool("list_conversations", {}))
    expected = f"Error: Validation Error - Conversation not found: {conversation}"
    assert read == continued == deleted == expected
    assert conversation not in str(listed)
    assert len(upstream.calls(CHAT)) == 1, "a refused continuation must send nothing upstream"
    async with team.connect(ALICE) as alice:
        assert ok(await alice.call_tool("get_conversation", {"conversation_id": conversation}))


async def test_each_user_lists_only_their_own_conversations(team: TeamServer) -> None:
    async with team.connect(ALICE) as alice, team.connect(BOB) as bob:
        mine = ok(await chat(alice))["conversation_id"]
        theirs = ok(await chat(bob))["conversation_id"]
        alices = ok(await alice.call_tool("list_conversations", {}))
        bobs = ok(await bob.call_tool("list_conversations", {}))
    assert mine in str(alices) and theirs not in str(alices)
    assert theirs in str(bobs) and mine not in str(bobs)


# --- budgets and usage --------------------------------------------------------------------------------


async def test_a_user_over_their_daily_budget_is_refused_before_anything_is_sent_and_others_go_on(
    team: TeamServer, upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, costly(0.60))  # bob's budget in the tokens file is $0.50
    async with team.connect(BOB) as bob, team.connect(ALICE) as alice:
        ok(await chat(bob))
        refused = failed(await chat(bob))
        served = ok(await chat(alice))
    assert refused.startswith("Error: Rate Limit - daily budget of user bob of $0.50 reached ($0.6000 spent")
    assert "OPENROUTER_MCP_TOKENS_FILE" in refused
    assert served["choices"][0]["message"]["content"]
    assert len(upstream.calls(CHAT)) == 2


async def test_get_usage_reports_the_callers_own_spend_and_budget(team: TeamServer, upstream: FakeUpstream) -> None:
    upstream.script("POST", CHAT, costly(0.25), costly(0.125), costly(0.0625))
    async with team.connect(ALICE) as alice, team.connect(BOB) as bob:
        ok(await chat(alice))
        ok(await chat(alice))
        ok(await chat(bob))
        alices = ok(await alice.call_tool("get_usage", {}))
        bobs = ok(await bob.call_tool("get_usage", {}))
    assert (alices["calls"], alices["cost"]) == (2, pytest.approx(0.375))
    assert (bobs["calls"], bobs["cost"]) == (1, pytest.approx(0.0625))
    assert alices["budgets"] == []
    [budget] = bobs["budgets"]
    assert budget["limit"] == 0.5
    assert (budget["spent"], budget["remaining"]) == (pytest.approx(0.0625), pytest.approx(0.4375))


# --- two replicas on one PostgreSQL -----------------------------------------------------------------------


@pytest.fixture
def replicas(tmp_path: Path, team_env: dict[str, str], postgres: PostgresServer) -> Iterator[list[TeamServer]]:
    env = {**team_env, "OPENROUTER_DATABASE_URL": postgres.create_database()}
    servers: list[TeamServer] = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            servers.append(TeamServer(workdir, env).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


async def test_a_conversation_started_on_one_replica_continues_on_the_other(
    replicas: list[TeamServer], upstream: FakeUpstream
) -> None:
    first, second = replicas
    upstream.script("POST", CHAT, costly(0.01, "Noted: tangerine"), costly(0.01, "tangerine"))
    async with first.connect(ALICE) as alice:
        conversation = ok(await chat(alice))["conversation_id"]
    async with second.connect(ALICE) as alice:
        continued = ok(await chat(alice, AGAIN, conversation_id=conversation))
        history = ok(await alice.call_tool("get_conversation", {"conversation_id": conversation}))
    async with second.connect(BOB) as bob:
        hidden = failed(await bob.call_tool("get_conversation", {"conversation_id": conversation}))
    assert continued["conversation_id"] == conversation
    sent = upstream.calls(CHAT)[1].body["messages"]
    assert [message["content"] for message in sent] == [HELLO[0]["content"], "Noted: tangerine", AGAIN[0]["content"]]
    assert "tangerine" in str(history)
    assert hidden == f"Error: Validation Error - Conversation not found: {conversation}"


async def test_a_budget_spent_through_one_replica_is_seen_by_the_other(
    replicas: list[TeamServer], upstream: FakeUpstream
) -> None:
    first, second = replicas
    upstream.script("POST", CHAT, costly(0.60))
    async with first.connect(BOB) as bob:
        ok(await chat(bob))
    async with second.connect(BOB) as bob:
        refused = failed(await chat(bob))
        usage = ok(await bob.call_tool("get_usage", {}))
    assert refused.startswith("Error: Rate Limit - daily budget of user bob of $0.50 reached")
    assert len(upstream.calls(CHAT)) == 1
    assert usage["calls"] == 1


async def test_after_initialize_on_one_replica_any_replica_answers_the_next_request(
    replicas: list[TeamServer],
) -> None:
    first, second = replicas
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-11-25"}
    async with first.http(ALICE) as http:
        initialized = await http.post(first.url, json=INITIALIZE, headers=MCP_HEADERS)
        listed = await http.post(second.url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers)
    assert initialized.status_code == listed.status_code == 200
    assert "mcp-session-id" not in initialized.headers
    assert "chat_completion" in listed.text
