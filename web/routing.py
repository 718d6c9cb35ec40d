"""Which database answers a request: a replica for a read when one has everything the caller
must see (db/replicas.py), the primary otherwise, and always for mutations and what follows them.

Read your writes: after a caller's mutation the primary's WAL position is remembered for that
caller (in Redis, so every instance knows it); the caller's reads go to a replica only once it
has replayed past that position. Without Redis (or while it is away) no instance can know where
another instance's writer stands, so staff (the only writers) read from the primary then. Every process also
compares the replicas' generation counters with the ones it has heard of (NOTIFY), which keeps
every caller's answers monotonic and the response cache from storing an older answer under newer
counters.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import State

from db.readpool import ReadPool
from db.replicas import Replicas
from resolvers.viewer import Viewer
from web import retries
from web.shared import SharedRedis

WRITE_MEMORY_SECONDS = 3600


@dataclass(frozen=True)
class Database:
    name: str
    engine: AsyncEngine
    read_pool: ReadPool


class Writes:
    """Each writer's last write position: here, and in Redis (every instance) when it is set."""

    def __init__(self, shared: SharedRedis | None, prefix: str = "upl-writes:", max_entries: int = 10_000) -> None:
        self.shared, self.prefix, self.max_entries = shared, prefix, max_entries
        self.memory: OrderedDict[str, int] = OrderedDict()

    async def wrote(self, owner: str, position: int) -> None:
        self.memory[owner] = max(position, self.memory.get(owner, 0))
        self.memory.move_to_end(owner)
        while len(self.memory) > self.max_entries:
            self.memory.popitem(last=False)
        if self.shared is not None:
            shared = self.shared

            async def in_redis() -> None:
                await shared.client.set(self.prefix + owner, position, ex=WRITE_MEMORY_SECONDS)

            await shared.attempt(in_redis)

    async def last(self, owner: str) -> int | None:
        """The writer's last position, or None when it cannot be known on every instance (no
        Redis, or Redis away): then the writer reads from the primary."""
        if self.shared is None or not self.shared.in_use:
            return None
        shared = self.shared

        async def in_redis() -> int | None:
            value = await shared.client.get(self.prefix + owner)
            return max(int(value) if value is not None else 0, self.memory.get(owner, 0))

        return await shared.attempt(in_redis)  # None while Redis is away: the position is unknown


def primary(state: State) -> Database:
    return Database("primary", state.read_engine, state.read_pool)


async def for_read(state: State, viewer: Viewer, generations: dict[str, int] | None = None) -> Database:
    """The database for a read-only request of `viewer`."""
    replicas: Replicas | None = state.replicas
    if not replicas:
        return primary(state)
    written: int | None = 0
    owner = retries.owner(viewer)
    if owner is not None and viewer.is_staff:  # only staff write
        written = await state.writes.last(owner)
        if written is None:
            return primary(state)
    current = generations if generations is not None else await state.generations.current()
    replica = replicas.choose(current, written or 0)
    if replica is None:
        return primary(state)
    return Database(replica.name, replica.read_engine, replica.read_pool)


async def after_write(state: State, viewer: Viewer) -> None:
    """Remember where the primary's WAL stands now that `viewer`'s mutation has committed."""
    replicas: Replicas | None = state.replicas
    owner = retries.owner(viewer)
    if replicas and owner is not None:
        await state.writes.wrote(owner, await replicas.position())
