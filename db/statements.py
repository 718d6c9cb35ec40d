"""SQL statements per request, for logs and metrics: the web layer opens a counter per request
(`counting()`), and both database paths (SQLAlchemy's engines, the planner's asyncpg pool) add
to the counter of the request they run in (a context variable, so concurrent requests never mix)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_current: ContextVar[list[int] | None] = ContextVar("upl_statements", default=None)


def counting() -> list[int]:
    """A fresh counter for the request running in this context; `[0]` holds the count."""
    counter = [0]
    _current.set(counter)
    return counter


def bump() -> None:
    counter = _current.get()
    if counter is not None:
        counter[0] += 1


def count_on(engine: AsyncEngine) -> None:
    """Count every statement `engine` sends."""

    def before_cursor_execute(*_: Any) -> None:
        bump()

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)
