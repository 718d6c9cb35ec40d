"""The data generations of this process: one counter per table, bumped at the commit of every
write (`data_generations`, migration 0003) and announced with `NOTIFY upl_generations,
'<table>:<generation>'` (migration 0007).

`GenerationWatcher` keeps them in memory from one listening asyncpg connection, so the response
cache checks a hit without a statement. It listens first and reads the table second (merging by
maximum, so a notification that overtakes the read is not lost). While its connection is down
it says it is not synchronised, and `current()` reads the table on the autocommit engine instead,
until it has reconnected and read the table again. `changed` wakes whoever waits for a change
(the realtime subscriptions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db import models
from db.engine import to_libpq_url

CHANNEL = "upl_generations"
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
PING_SECONDS = 30.0
generations = models.table_of(models.DataGeneration)
logger = logging.getLogger("upl.generations")


async def read_generations(engine: AsyncEngine) -> dict[str, int]:
    """The generations as the table holds them (one statement on the autocommit engine)."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(generations.c.table_name, generations.c.generation))).all()
    return {row.table_name: row.generation for row in rows}


class GenerationWatcher:
    def __init__(self, url: str | None, engine: AsyncEngine) -> None:
        """`url=None`: no listening connection can be had (PgBouncer in transaction mode and no
        direct URL): the generations are read per request, as while a listener is down."""
        self.url, self.engine = (to_libpq_url(url) if url else None), engine
        self.values: dict[str, int] = {}
        self.synced = False
        self.changed = asyncio.Event()
        self.listeners: list[Callable[[str, int], None]] = []
        self.connection: asyncpg.Connection | None = None
        self.task: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()
        self.first_sync = asyncio.Event()

    async def current(self) -> dict[str, int]:
        """The generations now: from memory while synchronised, else read from the table."""
        if self.synced:
            return self.values
        return await read_generations(self.engine)

    async def refresh(self) -> None:
        """After a write of this process: read the table now, so this process's next reads see
        the write without waiting for its notification (other processes learn it from theirs)."""
        current = await read_generations(self.engine)
        self.values = {**self.values, **{t: v for t, v in current.items() if v > self.values.get(t, 0)}}

    async def start(self, wait: float = 2.0) -> None:
        """Start listening; wait up to `wait` seconds for the first synchronisation (a database
        that is down at start only means reading generations per request for now)."""
        if self.url is None:
            return
        self.task = asyncio.create_task(self.run(), name="generation-watcher")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.first_sync.wait(), timeout=wait)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.disconnect()

    async def run(self) -> None:
        attempt = 0
        while True:
            try:
                await self.connect()
                attempt = 0
                while not await self.still_there():
                    pass
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                logger.warning("generation listener unavailable (%s): reading generations per request", exc)
            self.synced = False
            await self.disconnect()
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1

    async def connect(self) -> None:
        self.lost.clear()
        assert self.url is not None
        self.connection = await asyncpg.connect(self.url)
        self.connection.add_termination_listener(lambda _connection: self.lost.set())
        await self.connection.add_listener(CHANNEL, self.notified)
        rows = await self.connection.fetch("SELECT table_name, generation FROM data_generations")
        current = {row["table_name"]: row["generation"] for row in rows}
        self.values = {table: max(value, self.values.get(table, 0)) for table, value in current.items()} | {
            table: value for table, value in self.values.items() if table not in current
        }
        self.synced = True
        self.first_sync.set()
        self.wake()

    async def still_there(self) -> bool:
        """Wait for the connection to be lost (False while it holds): the termination listener
        says so at once; a ping every 30 s finds a connection that died silently."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.lost.wait(), timeout=PING_SECONDS)
            return True
        assert self.connection is not None
        try:
            await self.connection.fetchval("SELECT 1", timeout=5)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return True
        return False

    async def disconnect(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close(timeout=2)
            self.connection = None

    def notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        table, _, generation = payload.rpartition(":")
        value = int(generation)
        if value > self.values.get(table, 0):
            self.values = {**self.values, table: value}  # a new dict: readers hold a consistent one
        for listener in self.listeners:
            listener(table, value)
        self.wake()

    def wake(self) -> None:
        self.changed.set()
        self.changed.clear()
