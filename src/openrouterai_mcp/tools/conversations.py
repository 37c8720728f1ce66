"""The conversation tools: list_conversations, get_conversation, delete_conversation (the caller's own only)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..budget import iso
from ..errors import ServerError, ValidationFailure
from ..resultcap import cut_text, json_length
from ..schemas import ConversationArgs, GetConversationArgs, ListConversationsArgs
from ..store import ConversationInfo, Store, StoredMessage, StoreError
from .base import AppState, caller_of, memory_of, run_tool

DEFAULT_PAGE = 50
_TRUNCATION_ROOM = 400  # the "truncated" object and next_offset of a cut page
_PER_ITEM_INDENT = 64  # a message's JSON lines are indented deeper inside the page


def _when(moment: float) -> str:
    return iso(datetime.fromtimestamp(moment, timezone.utc))


def _summary(info: ConversationInfo) -> dict[str, Any]:
    return {
        "conversation_id": info.conversation_id,
        "title": info.title,
        "turns": info.turns,
        "models": info.models,
        "cost": round(info.cost, 8),
        "created": _when(info.created),
        "updated": _when(info.updated),
    }


def _message(message: StoredMessage) -> dict[str, Any]:
    shown: dict[str, Any] = {"index": message.index, "role": message.role, "content": message.content}
    if message.role == "assistant":
        shown |= {
            "model": message.model,
            "provider": message.provider,
            "cost": message.cost,
            "generation_id": message.generation_id,
        }
    return shown | {"created": _when(message.created)}


async def _store(state: AppState) -> Store:
    try:
        return await memory_of(state).handle.get()
    except StoreError as exc:
        raise ServerError(f"the conversation store is unavailable: {exc}") from exc


async def _list(ctx: Context[AppState], state: AppState, args: ListConversationsArgs) -> Any:
    store = await _store(state)
    try:
        found = await store.list_conversations(caller_of(ctx).user, args.query, args.limit)
    except StoreError as exc:
        raise ServerError(f"the conversation store failed: {exc}") from exc
    return {"object": "list", "conversations": [_summary(info) for info in found], "count": len(found)}


async def list_conversations(ctx: Context[AppState]) -> CallToolResult:
    """Stored conversations, most recently updated first: id, title, turns, models, cost, dates.

    Use it to find a conversation to continue (pass its conversation_id to chat_completion) or read."""
    return await run_tool(ctx, "list_conversations", ListConversationsArgs, lambda s, a: _list(ctx, s, a))


async def _get(ctx: Context[AppState], state: AppState, args: GetConversationArgs) -> Any:
    store = await _store(state)
    user = caller_of(ctx).user
    if args.char_offset is not None and args.limit not in (None, 1):
        raise ValidationFailure("char_offset: reads inside one message; use it with limit 1 (or no limit)")
    limit = 1 if args.char_offset is not None else (args.limit or DEFAULT_PAGE)
    try:
        info = await store.conversation(user, args.conversation_id)
        page = await store.messages(user, args.conversation_id, args.offset, limit) if info else []
    except StoreError as exc:
        raise ServerError(f"the conversation store failed: {exc}") from exc
    if info is None:
        raise ValidationFailure(f"Conversation not found: {args.conversation_id}")
    end = args.offset + len(page)
    shown_messages = [_message(message) for message in page]
    result = _summary(info) | {
        "offset": args.offset,
        "limit": limit,
        "messages": shown_messages,
        "next_offset": end if end < info.turns else None,
    }
    if args.char_offset is None:
        return _fit_page(result, args.conversation_id, state.settings.max_result_chars)
    if not page:
        raise ValidationFailure(f"offset: the conversation has {info.turns} messages (0 to {info.turns - 1})")
    shown = shown_messages[0]
    content = shown["content"]
    if not isinstance(content, str):
        raise ValidationFailure("char_offset: this message is made of content parts, not one text")
    if args.char_offset > len(content):
        raise ValidationFailure(f"char_offset: the message has {len(content)} characters")
    shown["content"] = content[args.char_offset :]
    result["char_offset"] = args.char_offset
    result["total_chars"] = len(content)
    start = args.char_offset

    def rest(shown_chars: int) -> str:
        return (
            f'call get_conversation with conversation_id "{args.conversation_id}", offset {args.offset}, '
            f"limit 1, char_offset {start + shown_chars} to read on"
        )

    if json_length(result) > state.settings.max_result_chars:
        result = cut_text(result, shown, "content", state.settings.max_result_chars, rest)
    return result


def _fit_page(result: dict[str, Any], conversation_id: str, max_chars: int) -> dict[str, Any]:
    """A page over the cap keeps its first messages and says where to go on; one long message is cut."""
    shown: list[dict[str, Any]] = result["messages"]
    if json_length(result) <= max_chars or not shown:
        return result
    total = json_length(shown)
    everything = list(shown)
    shown.clear()
    room = max_chars - json_length(result) - _TRUNCATION_ROOM
    for message in everything:
        room -= json_length(message) + _PER_ITEM_INDENT
        if room < 0 and shown:
            break
        shown.append(message)
    while True:
        result["next_offset"] = shown[-1]["index"] + 1
        result["truncated"] = {
            "shown_chars": json_length(shown),
            "total_chars": total,
            "rest": f'{len(shown)} messages fit; call get_conversation with conversation_id "{conversation_id}", '
            f"offset {result['next_offset']} for the next ones",
        }
        if len(shown) == 1 or json_length(result) <= max_chars:
            break
        shown.pop()
    if json_length(result) <= max_chars or not isinstance(shown[0]["content"], str):
        return result
    index = shown[0]["index"]

    def rest(shown_chars: int) -> str:
        return (
            f'call get_conversation with conversation_id "{conversation_id}", offset {index}, limit 1, '
            f"char_offset {shown_chars} to read on"
        )

    result.pop("truncated", None)
    return cut_text(result, shown[0], "content", max_chars, rest)


async def get_conversation(ctx: Context[AppState]) -> CallToolResult:
    """The messages of a stored conversation, in order, with each answer's model, provider, cost and generation id.

    Page with offset/limit; read one long message page by page with offset, limit 1 and char_offset
    (a cut result says where to go on)."""
    return await run_tool(ctx, "get_conversation", GetConversationArgs, lambda s, a: _get(ctx, s, a))


async def _delete(ctx: Context[AppState], state: AppState, args: ConversationArgs) -> Any:
    store = await _store(state)
    try:
        deleted = await store.delete_conversation(caller_of(ctx).user, args.conversation_id)
    except StoreError as exc:
        raise ServerError(f"the conversation store failed: {exc}") from exc
    if not deleted:
        raise ValidationFailure(f"Conversation not found: {args.conversation_id}")
    return {"conversation_id": args.conversation_id, "deleted": True}


async def delete_conversation(ctx: Context[AppState]) -> CallToolResult:
    """Delete a stored conversation: its text is erased for good; the ledger keeps what its calls cost."""
    return await run_tool(ctx, "delete_conversation", ConversationArgs, lambda s, a: _delete(ctx, s, a))
