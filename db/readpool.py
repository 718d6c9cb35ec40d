"""asyncpg's own pool for the planner's read statements.

A planned read is one statement whose SQL and parameters are fixed once it is compiled. Sent
through SQLAlchemy it pays SQLAlchemy's per-statement machinery (pool checkout events, the
execution context, the result wrapper): ~0.27 ms of a 0.9 ms round trip for the first page of
companies, more than PostgreSQL spends on it. Here it is sent as asyncpg prepares and caches it
per connection (its statement cache), with the same server settings as the engine's sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from db import statements
from db.engine import behind_pgbouncer, default_pool_size, server_settings, to_libpq_url

STATEMENT_CACHE = 1024
"""Prepared statements kept per connection (asyncpg's default of 100 is below the plan cache)."""


async def keep_session(_connection: asyncpg.Connection) -> None:
    """No `RESET ALL; UNLISTEN *; ...` on release: these connections only ever run the planner's
    SELECTs, which change no session state; asyncpg's default reset cost a statement per request."""


class ReadPool:
    """A lazily opened asyncpg pool; `listeners` see every statement (the tests count them)."""

    def __init__(self, url: str, size: int | None = None) -> None:
        self.url, self.size = to_libpq_url(url), size or default_pool_size()
        self.pool: asyncpg.Pool | None = None
        self.opening = asyncio.Lock()
        self.listeners: list[Callable[[str], None]] = []

    async def opened(self) -> asyncpg.Pool:
        """The pool, opened on first use (a database that is down at start does not stop the app)."""
        async with self.opening:
            if self.pool is None:
                bouncer = behind_pgbouncer()
                self.pool = await asyncpg.create_pool(
                    self.url,
                    min_size=1,
                    max_size=self.size,
                    server_settings=None if bouncer else server_settings(),
                    statement_cache_size=0 if bouncer else STATEMENT_CACHE,
                    reset=keep_session,
                )
        return self.pool

    async def fetchval(self, sql: str, args: Sequence[Any]) -> Any:
        pool = self.pool or await self.opened()
        statements.bump()
        for listener in self.listeners:
            listener(sql)
        return await pool.fetchval(sql, *args)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
