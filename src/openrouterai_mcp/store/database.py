"""What the queries run on: one transaction's `Sql`, and the `Database` that runs a unit of work in one.

The queries (`conversation_sql`, `ledger_sql`, `schema`) are plain synchronous functions over `Sql`, written
once in the SQL that SQLite and PostgreSQL both speak, with `:name` parameters. Each database runs a whole
unit of work as one transaction:
- SQLite (`sqlite_db`): the standard library's sqlite3, the unit of work in one worker-thread hop.
- PostgreSQL (`postgres_db`): SQLAlchemy's async engine on psycopg 3 (its pool, its pre-ping).
Driver failures leave a `Database` as `StoreError` with a short reason; anything else the unit of work
raises (`BudgetExceeded`, `StoreError`) rolls the transaction back and passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Params = Mapping[str, Any]
Row = dict[str, Any]


class Sql(Protocol):
    """One open transaction."""

    @property
    def postgres(self) -> bool: ...

    def rows(self, statement: str, params: Params | None = None) -> list[Row]: ...

    def run(self, statement: str, params: Params | None = None) -> None: ...

    def run_many(self, statement: str, rows: Sequence[Params]) -> None: ...


def scalar(sql: Sql, statement: str, params: Params | None = None) -> Any:
    """The first column of the first row, or None when there is no row."""
    found = sql.rows(statement, params)
    return next(iter(found[0].values())) if found else None


class Database(Protocol):
    @property
    def postgres(self) -> bool: ...

    async def transaction(self, work: Callable[[Sql], T], *, small: bool = False) -> T:
        """Run `work` in one transaction: committed when it returns, rolled back when it raises. `small`: a few
        short statements, which a database may run without leaving the event loop."""
        ...

    async def reclaim(self) -> None:
        """After deletes: give freed space back where the database keeps copies (SQLite's WAL)."""
        ...

    async def close(self) -> None: ...


def failure_reason(exc: BaseException) -> str:
    """`Type: first line` of the driver's own exception (SQLAlchemy wraps it as `orig`)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original)
    return f"{type(original).__name__}: {text.splitlines()[0] if text else ''}".strip()
