"""The store's conversation queries, each run inside a transaction the caller opened (see `sql.SqlStore`)."""

from __future__ import annotations

import json
from typing import Any

from . import ConversationInfo, ConversationWrite, StoredMessage, StoreError
from .database import Row, Sql

# No LIMIT: SQLite needs one before OFFSET, so "all" is the largest 64-bit integer (PostgreSQL accepts it too).
NO_LIMIT = 2**63 - 1
_INFO = "id, title, turns, models, cost, created, updated"
_MESSAGE = "role, content, is_parts, model, provider, cost, generation_id, created"
_INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, seq, role, content, is_parts, model, provider, cost, generation_id, "
    "created) VALUES (:conversation_id, :seq, :role, :content, :is_parts, :model, :provider, :cost, "
    ":generation_id, :created)"
)


def find(sql: Sql, user: str, conversation_id: str) -> ConversationInfo | None:
    found = sql.rows(
        f"SELECT {_INFO} FROM conversations WHERE id = :id AND user_name = :user",
        {"id": conversation_id, "user": user},
    )
    return _info(found[0]) if found else None


def read_messages(sql: Sql, user: str, conversation_id: str, offset: int, limit: int | None) -> list[StoredMessage]:
    found = sql.rows(
        f"SELECT {', '.join('m.' + name for name in _MESSAGE.split(', '))} FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE m.conversation_id = :id AND c.user_name = :user ORDER BY m.seq LIMIT :limit OFFSET :offset",
        {"id": conversation_id, "user": user, "limit": NO_LIMIT if limit is None else limit, "offset": offset},
    )
    return [_message(row, offset + position) for position, row in enumerate(found)]


def append(sql: Sql, write: ConversationWrite) -> None:
    user, conversation_id, new, now = write.user, write.conversation_id, write.messages, write.now
    row: Row | None = None
    if not write.created:
        lock = " FOR UPDATE" if sql.postgres else ""  # SQLite: BEGIN IMMEDIATE already holds the write lock
        found = sql.rows(
            f"SELECT user_name, turns, models FROM conversations WHERE id = :id{lock}", {"id": conversation_id}
        )
        row = found[0] if found else None
    if row is not None and row["user_name"] != user:
        raise StoreError("conversation belongs to another user")
    models: list[str] = json.loads(row["models"]) if row is not None else []
    for message in new:
        if message.model and message.model not in models:
            models.append(message.model)
    added_cost = sum(message.cost or 0.0 for message in new)
    start: int = row["turns"] if row is not None else 0
    values = {"id": conversation_id, "turns": len(new), "models": json.dumps(models), "cost": added_cost, "now": now}
    if row is None:
        sql.run(
            "INSERT INTO conversations (id, user_name, title, turns, models, cost, created, updated) "
            "VALUES (:id, :user, :title, :turns, :models, :cost, :now, :now)",
            values | {"user": user, "title": write.title},
        )
    else:
        sql.run(
            "UPDATE conversations SET turns = turns + :turns, models = :models, cost = cost + :cost, updated = :now "
            "WHERE id = :id",
            values,
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
        sql.run_many(_INSERT_MESSAGE, rows)


def search(sql: Sql, user: str, query: str | None, limit: int) -> list[ConversationInfo]:
    where = "user_name = :user"
    params: dict[str, Any] = {"user": user, "limit": limit}
    if query:
        # Case-insensitive substring, the query's own % _ \ taken literally.
        params["pattern"] = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += (
            " AND (lower(title) LIKE lower(:pattern) ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
            "WHERE m.conversation_id = conversations.id AND lower(m.content) LIKE lower(:pattern) ESCAPE '\\'))"
        )
    found = sql.rows(f"SELECT {_INFO} FROM conversations WHERE {where} ORDER BY updated DESC, id LIMIT :limit", params)
    return [_info(row) for row in found]


def owned(sql: Sql, user: str, conversation_id: str) -> bool:
    mine = {"id": conversation_id, "user": user}
    return bool(sql.rows("SELECT id FROM conversations WHERE id = :id AND user_name = :user", mine))


def updated_before(sql: Sql, before: float) -> list[str]:
    found = sql.rows("SELECT id FROM conversations WHERE updated < :before", {"before": before})
    return [str(row["id"]) for row in found]


def delete(sql: Sql, ids: list[str]) -> None:
    if ids:
        keys = [{"id": conversation_id} for conversation_id in ids]
        sql.run_many("DELETE FROM messages WHERE conversation_id = :id", keys)
        sql.run_many("DELETE FROM conversations WHERE id = :id", keys)


def _content_text(content: str | list[dict[str, Any]]) -> tuple[str, bool]:
    if isinstance(content, str):
        return content, False
    return json.dumps(content, ensure_ascii=False), True


def _message(row: Row, index: int) -> StoredMessage:
    content: str | list[dict[str, Any]] = json.loads(row["content"]) if row["is_parts"] else row["content"]
    return StoredMessage(
        index=index,
        role=row["role"],
        content=content,
        created=row["created"],
        model=row["model"],
        provider=row["provider"],
        cost=row["cost"],
        generation_id=row["generation_id"],
    )


def _info(row: Row) -> ConversationInfo:
    return ConversationInfo(
        conversation_id=row["id"],
        title=row["title"],
        turns=row["turns"],
        models=json.loads(row["models"]),
        cost=row["cost"],
        created=row["created"],
        updated=row["updated"],
    )
