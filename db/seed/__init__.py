"""Loading data sets: the demo data (`upl db seed --demo`) and synthetic ones (`--synthetic`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import models
from db.statistics import analyze

# Insert order respects foreign keys.
TABLES = [
    models.Company,
    models.Project,
    models.Network,
    models.NetworkMembership,
    models.ProjectFundingProgram,
    models.ProjectPartner,
    models.ProjectNetwork,
    models.Space,
    models.Event,
    models.ContactPerson,
]
BATCH = 5000


class DatabaseNotEmpty(RuntimeError):
    pass


async def is_empty(connection: AsyncConnection) -> bool:
    count = await connection.scalar(select(func.count()).select_from(models.table_of(models.Company)))
    return not count


async def load(engine: AsyncEngine, rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Insert a data set into an empty database in one transaction (refusing a non-empty one),
    then `ANALYZE` every table it wrote (db/statistics.py)."""
    counts = await _insert(engine, rows)
    await analyze(engine, WRITTEN_TABLES)
    return counts


WRITTEN_TABLES = (
    *(models.table_of(model).name for model in TABLES),
    models.table_of(models.Change).name,  # the change feed's trigger writes a row per row
    models.table_of(models.DataGeneration).name,
)


async def _insert(engine: AsyncEngine, rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    async with engine.begin() as connection:
        if not await is_empty(connection):
            raise DatabaseNotEmpty("the database already holds portal data; demo data is only loaded into an empty one")
        counts: dict[str, int] = {}
        for model in TABLES:
            table = models.table_of(model)
            table_rows = rows.get(table.name, [])
            for start in range(0, len(table_rows), BATCH):
                await connection.execute(table.insert(), table_rows[start : start + BATCH])
            counts[table.name] = len(table_rows)
            if "id" in table.c:
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
        return counts
