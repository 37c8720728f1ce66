"""The store's conversation queries, each run inside a transaction the caller opened (see `sql.SqlStore`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from . import ConversationInfo, ConversationWrite, StoredMessage, StoreError
from .schema import conversations, messages


async def find(connection: AsyncConnection, user: str, conversation_id: str) -> ConversationInfo | None:
    row = (
        await connection.execute(
            sa.select(conversations).where(conversations.c.id == conversation_id, conversations.c.user_name == user)
        )
    ).first()
    return _info(row) if row is not None else None


async def read_messages(
    connection: AsyncConnection, user: str, conversation_id: str, offset: int, limit: int | None
) -> list[StoredMessage]:
    query = (
        sa.select(messages)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.conversation_id == conversation_id, conversations.c.user_name == user)
        .order_by(messages.c.seq)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = (await connection.execute(query)).all()
    return [_message(row, offset + position) for position, row in enumerate(rows)]


async def append(connection: AsyncConnection, write: ConversationWrite) -> None:
    user, conversation_id, new, now, title = (
        write.user,
        write.conversation_id,
        write.messages,
        write.now,
        write.title,
    )
    select = sa.select(conversations).where(conversations.c.id == conversation_id).with_for_update()
    row = None if write.created else (await connection.execute(select)).first()
    if row is not None and row.user_name != user:
        raise StoreError("conversation belongs to another user")
    models: list[str] = json.loads(row.models) if row is not None else []
    for message in new:
        if message.model and message.model not in models:
            models.append(message.model)
    added_cost = sum(message.cost or 0.0 for message in new)
    start = row.turns if row is not None else 0
    if row is None:
        await connection.execute(
            sa.insert(conversations).values(
                id=conversation_id,
                user_name=user,
                title=title,
                turns=len(new),
                models=json.dumps(models),
                cost=added_cost,
                created=now,
                updated=now,
            )
        )
    else:
        await connection.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(
                turns=conversations.c.turns + len(new),
                models=json.dumps(models),
                cost=conversations.c.cost + added_cost,
                updated=now,
            )
        )
    rows: list[dict[str, Any]] = []
    for position, message in enumerate(new):
        text, is_parts = _content_text(message.content)
        rows.append(
            {
                "conversation_id": conversation_id,
                "seq": start + position,
                "role": message.role,
                "content": text,
                "is_parts": is_parts,
                "model": message.model,
                "provider": message.provider,
                "cost": message.cost,
                "generation_id": message.generation_id,
                "created": now,
            }
        )
    if rows:
        await connection.execute(sa.insert(messages), rows)


async def search(connection: AsyncConnection, user: str, query: str | None, limit: int) -> list[ConversationInfo]:
    select = sa.select(conversations).where(conversations.c.user_name == user)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_text = (
            sa.select(messages.c.seq)
            .where(messages.c.conversation_id == conversations.c.id, messages.c.content.ilike(pattern, escape="\\"))
            .exists()
        )
        select = select.where(sa.or_(conversations.c.title.ilike(pattern, escape="\\"), in_text))
    select = select.order_by(conversations.c.updated.desc(), conversations.c.id).limit(limit)
    rows = (await connection.execute(select)).all()
    return [_info(row) for row in rows]


async def owned(connection: AsyncConnection, user: str, conversation_id: str) -> bool:
    found = (
        await connection.execute(
            sa.select(conversations.c.id).where(
                conversations.c.id == conversation_id, conversations.c.user_name == user
            )
        )
    ).first()
    return found is not None


async def updated_before(connection: AsyncConnection, before: float) -> list[str]:
    return list(
        (await connection.execute(sa.select(conversations.c.id).where(conversations.c.updated < before)))
        .scalars()
        .all()
    )


async def delete(connection: AsyncConnection, ids: list[str]) -> None:
    if ids:
        await connection.execute(sa.delete(messages).where(messages.c.conversation_id.in_(ids)))
        await connection.execute(sa.delete(conversations).where(conversations.c.id.in_(ids)))


def _content_text(content: str | list[dict[str, Any]]) -> tuple[str, bool]:
    if isinstance(content, str):
        return content, False
    return json.dumps(content, ensure_ascii=False), True


def _message(row: Any, index: int) -> StoredMessage:
    content: str | list[dict[str, Any]] = json.loads(row.content) if row.is_parts else row.content
    return StoredMessage(
        index=index,
        role=row.role,
        content=content,
        created=row.created,
        model=row.model,
        provider=row.provider,
        cost=row.cost,
        generation_id=row.generation_id,
    )


def _info(row: Any) -> ConversationInfo:
    return ConversationInfo(
        conversation_id=row.id,
        title=row.title,
        turns=row.turns,
        models=json.loads(row.models),
        cost=row.cost,
        created=row.created,
        updated=row.updated,
    )
