"""The store: conversations and the ledger of upstream calls, behind one small interface.

`Store` is what the rest of the server uses; `sql.SqlStore` is its one implementation, on an embedded
SQLite file by default (the standard library's sqlite3) or on PostgreSQL when `OPENROUTER_DATABASE_URL`
says so (SQLAlchemy on psycopg 3). This module imports nothing: the store's modules are loaded by
`open_store`, on first use only, and SQLAlchemy only for PostgreSQL.
Every method takes the user explicitly; rows of another user read as absent.
Failures of the database surface as `StoreError` (never a driver exception), with a readable reason.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..budget import Limit

GroupBy = Literal["model", "day", "provider"]


class StoreError(Exception):
    """The database cannot be opened, read or written; the message says why (never a secret)."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    role: str
    content: str | list[dict[str, Any]]
    model: str | None = None
    provider: str | None = None
    cost: float | None = None
    generation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationWrite:
    """Messages to append to a conversation (created when `created`), written with a call's ledger row."""

    user: str
    conversation_id: str
    messages: list[NewMessage]
    now: float
    title: str
    created: bool = False


@dataclass(frozen=True, slots=True)
class StoredMessage:
    index: int
    role: str
    content: str | list[dict[str, Any]]
    created: float
    model: str | None = None
    provider: str | None = None
    cost: float | None = None
    generation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    conversation_id: str
    title: str
    turns: int
    models: list[str]
    cost: float
    created: float
    updated: float


@dataclass(slots=True)
class LedgerEntry:
    """One upstream chat call. `outcome` is "pending" while it runs, then "ok" or "error"."""

    user: str
    at: float
    requested_model: str | None
    conversation_id: str | None = None
    served_model: str | None = None
    provider: str | None = None
    generation_id: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    cost_estimated: bool = False
    latency_ms: int | None = None
    outcome: str = "pending"
    error: str | None = None


@dataclass(frozen=True, slots=True)
class UsageRow:
    key: str | None
    calls: int = 0
    cost: float = 0.0
    estimated_cost: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    total: UsageRow
    breakdown: list[UsageRow] = field(default_factory=lambda: list[UsageRow]())
    first_call: float | None = None


class Store(Protocol):
    """Conversations and ledger, per user. Times are Unix seconds (UTC)."""

    def conversation(self, user: str, conversation_id: str) -> Awaitable[ConversationInfo | None]: ...

    def messages(
        self, user: str, conversation_id: str, offset: int = 0, limit: int | None = None
    ) -> Awaitable[list[StoredMessage]]: ...

    def append(
        self, user: str, conversation_id: str, new: list[NewMessage], *, now: float, title: str, created: bool = False
    ) -> Awaitable[None]:
        """Add messages to a conversation, creating it when new (`created`: the caller knows it is new)."""
        ...

    def list_conversations(self, user: str, query: str | None, limit: int) -> Awaitable[list[ConversationInfo]]: ...

    def delete_conversation(self, user: str, conversation_id: str) -> Awaitable[bool]: ...

    def prune(self, before: float) -> Awaitable[int]:
        """Delete every conversation last updated before `before`; returns how many."""
        ...

    def reserve(self, entry: LedgerEntry, limits: list[Limit], estimate: float) -> Awaitable[int]:
        """Atomically check the budgets and add a pending ledger row reserving `estimate` USD.

        Raises `BudgetExceeded` when one of `limits` is reached. Returns the row's id for `settle`."""
        ...

    def settle(
        self, row_id: int | None, entry: LedgerEntry, conversation: ConversationWrite | None = None
    ) -> Awaitable[None]:
        """Write the finished call: update the pending row `row_id`, or add a row when None; append the
        call's turns to its conversation in the same transaction."""
        ...

    def spent(self, limits: list[Limit]) -> Awaitable[list[float]]:
        """Spend (settled cost plus pending reservations) in each limit's window and scope."""
        ...

    def usage(self, user: str, since: float | None, until: float, group_by: GroupBy) -> Awaitable[Usage]: ...

    def close(self) -> Awaitable[None]: ...


async def open_store(*, database_url: str | None, data_dir: str | None) -> Store:
    """Open (creating and migrating as needed) the store. Its modules are imported on first call, in a worker
    thread: for PostgreSQL that loads SQLAlchemy (a few hundred milliseconds), while other calls keep being
    served."""
    import importlib

    import anyio.to_thread

    sql = await anyio.to_thread.run_sync(importlib.import_module, f"{__name__}.sql")
    return await sql.SqlStore.open(database_url=database_url, data_dir=data_dir)
