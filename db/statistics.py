"""Planner statistics after bulk writes.

A bulk load leaves PostgreSQL without statistics for what it wrote, and where autovacuum is off
(these machines) or has not run yet, nothing makes them: the planner then estimates one row per
table and plans the nested partner read with a bitmap scan and a sort per network instead of the
memberships index, twice as slow. Every bulk path (`upl db seed`, `upl db restore`, imports)
therefore ends with `ANALYZE` of what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import to_libpq_url


def analyze_statement(tables: Iterable[str] | None = None) -> str:
    names = [f'"{name}"' for name in tables or ()]
    return "ANALYZE" + (" " + ", ".join(names) if names else "")


async def analyze(engine: AsyncEngine, tables: Iterable[str] | None = None) -> None:
    """`ANALYZE` the given tables (every table of the database when None)."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(analyze_statement(tables)))


async def analyze_url(url: str, tables: Iterable[str] | None = None) -> None:
    """The same for a database URL (the command-line tools that hold no engine)."""
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        await connection.execute(analyze_statement(tables))
    finally:
        await connection.close()
