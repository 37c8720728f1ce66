"""The store end to end over stdio: threads survive a restart, budgets refuse with nothing sent, a broken
store never fails a call, results over the cap are cut and read back whole."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ServerProcess
from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion
from tests.results import failed, ok

QUESTION = {"role": "user", "content": "Name a prime number."}


async def test_a_conversation_continues_after_a_restart_with_another_model(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(json=completion("openai/gpt-4o-mini", "Seven.")))
    async with server.connect(env) as client:
        first = ok(await client.call_tool("chat_completion", {"model": "openai/gpt-4o-mini", "messages": [QUESTION]}))
    assert first["stored"] is True
    follow = {"role": "user", "content": "And a bigger one?"}
    upstream.script("POST", CHAT, Reply(json=completion("anthropic/claude-sonnet-4.5", "Eleven.")))
    async with server.connect(env) as client:
        second = ok(
            await client.call_tool(
                "chat_completion",
                {
                    "model": "anthropic/claude-sonnet-4.5",
                    "conversation_id": first["conversation_id"],
                    "messages": [follow],
                },
            )
        )
        listed = ok(await client.call_tool("list_conversations", {}))
    sent = upstream.calls(CHAT)[-1].body
    assert sent["model"] == "anthropic/claude-sonnet-4.5"
    assert sent["messages"] == [QUESTION, {"role": "assistant", "content": "Seven."}, follow]
    assert second["conversation_id"] == first["conversation_id"]
    (entry,) = listed["conversations"]
    assert (entry["turns"], entry["models"]) == (4, ["openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"])


async def test_trimming_a_continued_conversation_keeps_its_system_message_first(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    system = {"role": "system", "content": "You are terse."}
    env = env | {"OPENROUTER_CONTEXT_BUDGET_TOKENS": "110"}
    async with server.connect(env) as client:
        first = ok(
            await client.call_tool("chat_completion", {"messages": [system, {"role": "user", "content": "x" * 400}]})
        )
        second = ok(
            await client.call_tool(
                "chat_completion", {"conversation_id": first["conversation_id"], "messages": [QUESTION]}
            )
        )
    assert second["trimmed"]["removed_messages"] == 1
    assert [m["role"] for m in upstream.calls(CHAT)[-1].body["messages"]] == ["system", "assistant", "user"]


async def test_the_daily_budget_refuses_with_no_upstream_request_and_get_usage_shows_it(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    env = env | {"OPENROUTER_BUDGET_DAILY_USD": "0.0002"}
    async with server.connect(env) as client:
        ok(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
        ok(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
        refused = failed(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
        usage = ok(await client.call_tool("get_usage", {"period": "today"}))
    assert refused.startswith("Error: Rate Limit - daily budget of $0.0002 reached ($0.0002 spent since ")
    assert refused.endswith("Raise OPENROUTER_BUDGET_DAILY_USD to go on.")
    assert len(upstream.calls(CHAT)) == 2
    assert (usage["calls"], usage["cost"]) == (2, 0.000246)
    assert usage["budgets"][0]["name"] == "daily"


async def test_a_corrupt_store_never_fails_a_call_and_stderr_says_why(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, tmp_path: Path
) -> None:
    data = tmp_path / "broken"
    data.mkdir()
    (data / "store.sqlite3").write_bytes(b"garbage" * 1000)
    async with server.connect(env | {"OPENROUTER_DATA_DIR": str(data)}) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
    assert result["stored"] is False
    assert result["choices"][0]["message"]["content"]
    assert "file is not a database" in server.stderr_text()


async def test_history_off_refuses_conversation_id_and_keeps_no_text(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, tmp_path: Path
) -> None:
    async with server.connect(env | {"OPENROUTER_HISTORY": "off"}) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
        refused = failed(
            await client.call_tool("chat_completion", {"conversation_id": "conv_1", "messages": [QUESTION]})
        )
    assert result["conversation_id"] is None
    assert "OPENROUTER_HISTORY" in refused
    on_disk = b"".join(p.read_bytes() for p in (server.workdir / "data").iterdir() if p.is_file())
    assert b"Name a prime number." not in on_disk


async def test_a_long_answer_is_cut_to_the_cap_and_read_back_whole(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    answer = "".join(f"line {i:06d}\n" for i in range(20_000))
    upstream.script("POST", CHAT, Reply(json=completion(content=answer)))
    async with server.connect(env | {"OPENROUTER_MAX_RESULT_CHARS": "50000"}) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [QUESTION]}))
        read = result["choices"][0]["message"]["content"]
        assert result["truncated"]["total_chars"] == len(answer)
        while len(read) < len(answer):
            page = ok(
                await client.call_tool(
                    "get_conversation",
                    {"conversation_id": result["conversation_id"], "offset": 1, "limit": 1, "char_offset": len(read)},
                )
            )
            read += page["messages"][0]["content"]
    assert read == answer
