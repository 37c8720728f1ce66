"""Conversations through the tools: continue any thread with any model, page, delete; history off."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest
import respx
from memory_helpers import WallClock, error, memory_client, ok, sent_messages
from unit_payloads import chat_completion

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc).timestamp()
USER = {"role": "user", "content": "What is 2+2?"}


@pytest.fixture
def clock() -> WallClock:
    return WallClock(NOW)


@pytest.fixture
def chat(router: respx.MockRouter) -> respx.Route:
    return router.post("/chat/completions").respond(json=chat_completion("Four."))


async def test_a_chat_result_names_its_conversation_and_says_it_was_stored(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    async with memory_client(router, clock) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert result["conversation_id"].startswith("conv_")
    assert result["stored"] is True


async def test_continuing_sends_the_stored_thread_first_with_another_model(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    system = {"role": "system", "content": "Answer in one word."}
    async with memory_client(router, clock) as client:
        first = ok(await client.call_tool("chat_completion", {"model": "openai/gpt-4o", "messages": [system, USER]}))
        follow = {"role": "user", "content": "And times 3?"}
        second = ok(
            await client.call_tool(
                "chat_completion",
                {"model": "google/gemini", "conversation_id": first["conversation_id"], "messages": [follow]},
            )
        )
        assert second["conversation_id"] == first["conversation_id"]
        assert sent_messages(chat) == [system, USER, {"role": "assistant", "content": "Four."}, follow]
        thread = ok(await client.call_tool("get_conversation", {"conversation_id": first["conversation_id"]}))
    assert [(m["index"], m["role"]) for m in thread["messages"]] == [
        (0, "system"),
        (1, "user"),
        (2, "assistant"),
        (3, "user"),
        (4, "assistant"),
    ]
    answer = thread["messages"][2]
    assert (answer["model"], answer["provider"], answer["cost"], answer["generation_id"]) == (
        "anthropic/claude-4.5-sonnet-20250929",
        "Google",
        0.000117,
        "gen-1778777138-y0iwbTSBFZ0eELM0EhLt",
    )
    assert thread["turns"] == 5
    assert thread["title"] == "What is 2+2?"


async def test_a_system_message_of_the_continuing_call_goes_first(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    system = {"role": "system", "content": "Be terse."}
    async with memory_client(router, clock) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        await client.call_tool(
            "chat_completion", {"conversation_id": first["conversation_id"], "messages": [system, USER]}
        )
    assert [m["role"] for m in sent_messages(chat)] == ["system", "user", "assistant", "user"]


async def test_trimming_applies_to_the_whole_assembled_conversation(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    long = {"role": "user", "content": "x" * 400}
    async with memory_client(router, clock, context_budget_tokens=100) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [long]}))
        second = ok(
            await client.call_tool("chat_completion", {"conversation_id": first["conversation_id"], "messages": [USER]})
        )
    assert second["trimmed"]["removed_messages"] == 1
    assert sent_messages(chat) == [{"role": "assistant", "content": "Four."}, USER]


async def test_an_unknown_conversation_is_refused_and_nothing_is_sent(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    async with memory_client(router, clock) as client:
        text = error(await client.call_tool("chat_completion", {"conversation_id": "conv_nope", "messages": [USER]}))
    assert text == "Error: Validation Error - Conversation not found: conv_nope"
    assert chat.call_count == 0


async def test_a_deleted_conversation_is_gone_for_reading_and_continuing(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    async with memory_client(router, clock) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        conversation = first["conversation_id"]
        deleted = ok(await client.call_tool("delete_conversation", {"conversation_id": conversation}))
        assert deleted == {"conversation_id": conversation, "deleted": True}
        assert error(await client.call_tool("get_conversation", {"conversation_id": conversation})).endswith(
            f"Conversation not found: {conversation}"
        )
        again = error(await client.call_tool("chat_completion", {"conversation_id": conversation, "messages": [USER]}))
        assert again == f"Error: Validation Error - Conversation not found: {conversation}"
        assert error(await client.call_tool("delete_conversation", {"conversation_id": conversation})).endswith(
            f"Conversation not found: {conversation}"
        )
        usage = ok(await client.call_tool("get_usage", {}))
    assert usage["calls"] == 1
    assert chat.call_count == 1


async def test_the_deleted_text_is_not_left_in_the_database_file(
    router: respx.MockRouter, clock: WallClock, tmp_path: Path
) -> None:
    router.post("/chat/completions").respond(json=chat_completion("UNIQUE-ANSWER-TEXT"))
    async with memory_client(router, clock) as client:
        first = ok(
            await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "SECRET-WORDS"}]})
        )
        ok(await client.call_tool("delete_conversation", {"conversation_id": first["conversation_id"]}))
        files = list((tmp_path / "data").iterdir())
        contents = b"".join(path.read_bytes() for path in files if path.is_file())
    assert b"SECRET-WORDS" not in contents
    assert b"UNIQUE-ANSWER-TEXT" not in contents


async def test_listing_is_most_recent_first_with_the_spec_fields(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route
) -> None:
    async with memory_client(router, clock) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "first"}]}))
        clock.now += 60
        second = ok(await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "second"}]}))
        listed = ok(await client.call_tool("list_conversations", {}))
        found = ok(await client.call_tool("list_conversations", {"query": "FIRST", "limit": 5}))
    assert [c["conversation_id"] for c in listed["conversations"]] == [
        second["conversation_id"],
        first["conversation_id"],
    ]
    entry = listed["conversations"][0]
    assert entry == {
        "conversation_id": second["conversation_id"],
        "title": "second",
        "turns": 2,
        "models": ["anthropic/claude-4.5-sonnet-20250929"],
        "cost": 0.000117,
        "created": "2026-12-01T12:01:00Z",
        "updated": "2026-12-01T12:01:00Z",
    }
    assert [c["conversation_id"] for c in found["conversations"]] == [first["conversation_id"]]


async def test_a_200000_character_answer_is_cut_in_the_result_and_read_whole_page_by_page(
    router: respx.MockRouter, clock: WallClock
) -> None:
    answer = "".join(f"{i:07d}\n" for i in range(25_000))
    assert len(answer) == 200_000
    router.post("/chat/completions").respond(json=chat_completion(answer))
    async with memory_client(router, clock, max_result_chars=60_000) as client:
        result_call = await client.call_tool("chat_completion", {"messages": [USER]})
        assert len(result_call.content[0].text) <= 60_000  # type: ignore[union-attr]
        result = ok(result_call)
        truncated = result["truncated"]
        assert truncated["total_chars"] == 200_000
        read = result["choices"][0]["message"]["content"]
        assert read == answer[: truncated["shown_chars"]]
        assert f'"{result["conversation_id"]}", offset 1, limit 1, char_offset {len(read)}' in truncated["rest"]
        pages = 1
        while len(read) < len(answer):
            page_call = await client.call_tool(
                "get_conversation",
                {"conversation_id": result["conversation_id"], "offset": 1, "limit": 1, "char_offset": len(read)},
            )
            assert len(page_call.content[0].text) <= 60_000  # type: ignore[union-attr]
            page = ok(page_call)
            assert page["total_chars"] == 200_000
            read += page["messages"][0]["content"]
            pages += 1
    assert read == answer
    assert 4 <= pages <= 6


async def test_history_off_stores_no_text_and_refuses_conversation_id_naming_the_variable(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path
) -> None:
    async with memory_client(router, clock, history=False) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
        assert result["conversation_id"] is None
        refused = error(await client.call_tool("chat_completion", {"conversation_id": "conv_x", "messages": [USER]}))
        usage = ok(await client.call_tool("get_usage", {}))
        listed = ok(await client.call_tool("list_conversations", {}))
    assert "OPENROUTER_HISTORY" in refused
    assert refused.startswith("Error: Validation Error - conversation_id:")
    assert chat.call_count == 1
    assert usage["calls"] == 1
    assert listed["conversations"] == []
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    assert b"What is 2+2?" not in stored


async def test_a_corrupt_database_file_never_fails_a_chat_call(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "store.sqlite3").write_bytes(b"this is not a database" * 200)
    with caplog.at_level(logging.WARNING):
        async with memory_client(router, clock) as client:
            result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
            listed = error(await client.call_tool("list_conversations", {}))
    assert result["choices"][0]["message"]["content"] == "Four."
    assert (result["stored"], result["conversation_id"]) == (False, None)
    assert "not stored" in caplog.text
    assert "file is not a database" in caplog.text
    assert listed.startswith("Error: Internal Error - the conversation store is unavailable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
async def test_a_read_only_data_directory_never_fails_a_chat_call(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    async with memory_client(router, clock) as client:
        result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert (result["stored"], result["conversation_id"]) == (False, None)


async def test_an_unwritable_store_location_never_fails_a_chat_call(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        async with memory_client(router, clock, data_dir=str(blocker / "data")) as client:
            result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert result["choices"][0]["message"]["content"] == "Four."
    assert (result["stored"], result["conversation_id"]) == (False, None)
    assert "cannot be opened" in caplog.text


async def test_the_store_is_created_private_on_first_chat_and_not_before(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    router.get("/models").respond(json={"data": []})
    async with memory_client(router, clock) as client:
        await client.call_tool("search_models", {})
        assert not data.exists()
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "store.sqlite3").stat().st_mode & 0o777 == 0o600


async def test_the_api_key_is_never_written_to_the_database(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path
) -> None:
    from unit_payloads import SECRET

    async with memory_client(router, clock) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    assert SECRET.encode() not in stored


async def test_a_read_only_database_never_fails_a_chat_call(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with memory_client(router, clock) as client:
        ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    read_only = f"sqlite:///file:{tmp_path / 'data' / 'store.sqlite3'}?mode=ro&uri=true"
    with caplog.at_level(logging.WARNING):
        async with memory_client(router, clock, database_url=read_only) as client:
            result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert result["choices"][0]["message"]["content"] == "Four."
    assert (result["stored"], result["conversation_id"]) == (False, None)
    assert "readonly database" in caplog.text


async def test_a_page_over_the_cap_keeps_its_first_messages_and_names_the_next_offset(
    router: respx.MockRouter, clock: WallClock
) -> None:
    router.post("/chat/completions").respond(json=chat_completion("y" * 900))
    async with memory_client(router, clock, max_result_chars=2500) as client:
        first = ok(await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "x" * 900}]}))
        page_call = await client.call_tool("get_conversation", {"conversation_id": first["conversation_id"]})
    assert len(page_call.content[0].text) <= 2500  # type: ignore[union-attr]
    page = ok(page_call)
    assert [m["index"] for m in page["messages"]] == [0]
    assert page["next_offset"] == 1
    assert "offset 1 for the next ones" in page["truncated"]["rest"]


async def test_an_unreachable_database_server_never_fails_a_chat_call(
    router: respx.MockRouter, clock: WallClock, chat: respx.Route, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with caplog.at_level(logging.WARNING):
            async with memory_client(router, clock, database_url=f"postgresql://u:pw@127.0.0.1:{port}/db") as client:
                result = ok(await client.call_tool("chat_completion", {"messages": [USER]}))
    assert (result["stored"], result["conversation_id"]) == (False, None)
    assert "cannot be opened" in caplog.text
    assert ":pw@" not in caplog.text
