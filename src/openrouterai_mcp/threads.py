"""Conversations around a chat call: continue a stored thread, then append the new turns and the answer.

`prepare` runs before the call: with a `conversation_id` it loads the thread (the caller's own only) and
puts its messages before the call's, the first system message first; without one it names a new thread.
`save` runs after: the call's messages (attachments as descriptors, see store.scrub) and the answer are
appended. Nothing here fails a call that was answered: a store failure makes `save` return False.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ServerError, ValidationFailure
from .identity import Caller
from .jsonshape import as_dict, as_list
from .schemas import ChatArgs, Message
from .store import ConversationWrite, NewMessage, StoreError
from .store.handle import StoreHandle
from .store.scrub import plain_text, resend_content, scrub_content

logger = logging.getLogger(__name__)

TITLE_CHARS = 80


class StoreUnavailable(ServerError):
    """The conversation to continue cannot be read because the store is failing."""


@dataclass(slots=True)
class Prepared:
    args: ChatArgs
    conversation_id: str | None
    new_messages: list[dict[str, Any]]
    first_index: int
    title: str


def new_conversation_id() -> str:
    return f"conv_{uuid.uuid4().hex}"


def _first_system_first(messages: list[Message]) -> list[Message]:
    index = next((i for i, message in enumerate(messages) if message.role == "system"), None)
    if not index:
        return messages
    return [messages[index], *messages[:index], *messages[index + 1 :]]


def _title(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "user":
            text = " ".join(plain_text(scrub_content(message.get("content"))).split())
            return text[:TITLE_CHARS]
    return ""


class Threads:
    def __init__(self, handle: StoreHandle, *, history: bool, clock: Callable[[], float] = time.time) -> None:
        self._handle = handle
        self._history = history
        self._clock = clock

    async def prepare(self, caller: Caller, args: ChatArgs) -> Prepared:
        new_messages = [message.model_dump(exclude_none=True) for message in args.messages]
        if args.conversation_id is None:
            conversation_id = new_conversation_id() if self._history else None
            return Prepared(args, conversation_id, new_messages, 0, _title(new_messages))
        if not self._history:
            raise ValidationFailure(
                "conversation_id: conversation history is off (OPENROUTER_HISTORY=off), so stored conversations "
                "cannot be continued; send the whole conversation in messages, or set OPENROUTER_HISTORY=on"
            )
        try:
            store = await self._handle.get()
            info = await store.conversation(caller.user, args.conversation_id)
            stored = await store.messages(caller.user, args.conversation_id) if info is not None else []
        except StoreError as exc:
            raise StoreUnavailable(
                f"conversation {args.conversation_id} cannot be read: the store is failing ({exc}); nothing was sent"
            ) from exc
        if info is None:
            raise ValidationFailure(f"Conversation not found: {args.conversation_id}")
        earlier = [Message.model_validate({"role": m.role, "content": resend_content(m.content)}) for m in stored]
        assembled = _first_system_first([*earlier, *args.messages])
        sent = args.model_copy(update={"messages": assembled, "conversation_id": None})
        return Prepared(sent, args.conversation_id, new_messages, len(stored), info.title)

    def turns(self, caller: Caller, prepared: Prepared, result: dict[str, Any]) -> ConversationWrite | None:
        """What to append for this answered call: its messages (attachments as descriptors) and the answer."""
        if prepared.conversation_id is None:
            return None
        choice = as_dict(next(iter(as_list(result.get("choices"))), None))
        content = as_dict(choice.get("message")).get("content")
        cost = as_dict(result.get("usage")).get("cost")
        rows = [NewMessage(str(m.get("role")), scrub_content(m.get("content"))) for m in prepared.new_messages]
        rows.append(
            NewMessage(
                "assistant",
                content if isinstance(content, str) else "",
                model=str(result["model"]) if result.get("model") else None,
                provider=str(result["provider"]) if result.get("provider") else None,
                cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
                generation_id=str(result["id"]) if result.get("id") else None,
            )
        )
        # A stored conversation is never empty, so no stored message before means a new one.
        created = prepared.first_index == 0
        return ConversationWrite(
            caller.user, prepared.conversation_id, rows, self._clock(), prepared.title, created=created
        )

    async def save(self, caller: Caller, prepared: Prepared, result: dict[str, Any]) -> bool:
        """Append the call's turns on their own (when no ledger write carries them); True when stored."""
        write = self.turns(caller, prepared, result)
        if write is None:
            return True
        try:
            store = await self._handle.get()
            await store.append(
                write.user,
                write.conversation_id,
                write.messages,
                now=write.now,
                title=write.title,
                created=write.created,
            )
        except StoreError as exc:
            logger.warning("the conversation was not stored: %s", exc)
            return False
        return True

    @staticmethod
    def answer_index(prepared: Prepared) -> int:
        return prepared.first_index + len(prepared.new_messages)
