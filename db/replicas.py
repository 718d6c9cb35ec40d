"""PostgreSQL streaming replicas (`DATABASE_REPLICA_URLS`) for read-only requests.

A poller asks every replica, every `poll` seconds and in one statement, how far it has replayed
(`pg_last_wal_replay_lsn()`) and what its generation counters are, and the primary where its WAL
is now (`pg_current_wal_lsn()`). From that, per replica:

* **lag, by LSN**: zero when the replica has replayed what the primary had written at the last
  poll; otherwise the time since the primary first stood past the replica's position. An idle
  primary writes nothing, so its replicas are never "behind" (unlike `now() -
  pg_last_xact_replay_timestamp()`, which grows forever on an idle primary).
* **health**: reachable, in recovery, lag within `max_lag` seconds; a replica that fails or
  lags leaves the rotation and comes back when it answers and has caught up.

`choose()` picks a replica for one request among the healthy ones that are **not older than
what the process knows was written**: every generation counter at least the process's current
one (so no answer is older than one the process gave before, or than a write the process heard
of: the response cache may store what it reads) and, for a caller who wrote, a replay position
past that caller's last write (read your writes). When none qualifies, the primary answers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine, read_engine
from db.readpool import ReadPool

logger = logging.getLogger("upl.replicas")

REPLICA_STATE = text(
    "SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn() - '0/0'::pg_lsn AS replayed, "
    "(SELECT coalesce(json_object_agg(table_name, generation), '{}') FROM data_generations) AS generations"
)
PRIMARY_POSITION = text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")


@dataclass
class Replica:
    url: str
    engine: AsyncEngine
    read_engine: AsyncEngine
    read_pool: ReadPool
    name: str = ""
    healthy: bool = False
    reachable: bool = False
    replayed: int = 0
    generations: dict[str, int] = field(default_factory=dict)
    lag: float | None = None
    """Seconds behind the primary by LSN (None: unknown, not reachable)."""

    def serves(self, generations: dict[str, int], written: int) -> bool:
        if not self.healthy or self.replayed < written:
            return False
        known = self.generations
        return all(known.get(table, 0) >= value for table, value in generations.items())

    def status(self) -> dict[str, Any]:
        state = "up" if self.healthy else "lagging" if self.reachable else "down"
        lag = None if self.lag is None else round(self.lag, 3)
        return {"name": self.name, "status": state, "lag_seconds": lag}


class Replicas:
    def __init__(self, urls: tuple[str, ...], primary: AsyncEngine, *, max_lag: float = 5.0, poll: float = 0.2) -> None:
        self.primary, self.max_lag, self.poll = primary, max_lag, poll
        self.replicas: list[Replica] = []
        for url in urls:
            engine = create_engine(url)
            name = engine.url.set(password=None).render_as_string().replace("postgresql+asyncpg://", "")
            self.replicas.append(
                Replica(url, engine, read_engine(engine), ReadPool(engine.url.render_as_string(False)), name)
            )
        self.positions: deque[tuple[float, int]] = deque()
        """(when, primary LSN) of recent polls: how long ago the primary stood at a position."""
        self.task: asyncio.Task[None] | None = None
        self.polled = asyncio.Event()

    def __bool__(self) -> bool:
        return bool(self.replicas)

    async def start(self) -> None:
        if self.replicas:
            self.task = asyncio.create_task(self.run(), name="replica-poller")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        for replica in self.replicas:
            await replica.read_pool.close()
            await replica.engine.dispose()

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception as exc:  # the primary away: keep the last known state, try again
                logger.warning("replica poll failed: %s", type(exc).__name__)
            await asyncio.sleep(self.poll)

    async def poll_once(self) -> None:
        async with read_engine(self.primary).connect() as connection:
            position = int((await connection.execute(PRIMARY_POSITION)).scalar_one())
        now = time.monotonic()
        if not self.positions or self.positions[-1][1] != position:
            self.positions.append((now, position))
        while len(self.positions) > 1 and self.positions[0][0] < now - 10 * max(self.max_lag, 1.0):
            self.positions.popleft()
        await asyncio.gather(*(self.check(replica, position, now) for replica in self.replicas))
        self.polled.set()

    async def check(self, replica: Replica, position: int, now: float) -> None:
        try:
            async with replica.read_engine.connect() as connection:
                row = (await asyncio.wait_for(connection.execute(REPLICA_STATE), timeout=2.0)).one()
        except Exception as exc:
            if replica.reachable:
                logger.warning("replica %s unreachable (%s): out of rotation", replica.name, type(exc).__name__)
            replica.reachable = replica.healthy = False
            replica.lag = None
            return
        generations = row.generations if isinstance(row.generations, dict) else orjson.loads(row.generations)
        replica.reachable = True
        replica.replayed = int(row.replayed or 0)
        replica.generations = {table: int(value) for table, value in generations.items()}
        replica.lag = self.lag_of(replica.replayed, position, now)
        healthy = bool(row.in_recovery) and replica.lag <= self.max_lag
        if healthy != replica.healthy:
            logger.info(
                "replica %s %s rotation (lag %.3f s)", replica.name, "back in" if healthy else "out of", replica.lag
            )
        replica.healthy = healthy

    def lag_of(self, replayed: int, position: int, now: float) -> float:
        """Seconds since the primary first stood past `replayed` (0 when the replica has it all)."""
        if replayed >= position:
            return 0.0
        for when, lsn in self.positions:
            if lsn > replayed:
                return now - when
        return 0.0

    def failed(self, name: str) -> None:
        """A request found the replica gone: out of rotation until a poll finds it well again."""
        for replica in self.replicas:
            if replica.name == name and replica.healthy:
                logger.warning("replica %s failed a request: out of rotation", name)
                replica.healthy = replica.reachable = False

    def choose(self, generations: dict[str, int], written: int = 0) -> Replica | None:
        """A replica that has everything this request must see, or None (the primary)."""
        candidates = [replica for replica in self.replicas if replica.serves(generations, written)]
        return random.choice(candidates) if candidates else None

    async def position(self) -> int:
        """The primary's WAL position now (after a write: the caller's write is before it)."""
        async with read_engine(self.primary).connect() as connection:
            return int((await connection.execute(PRIMARY_POSITION)).scalar_one())
