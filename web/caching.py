"""HTTP caching and the response cache.

* Public reads carry `Cache-Control` and an `ETag`; `If-None-Match` gets `304`. Staff responses
  and responses with personal data are `private, no-store`.
* The response cache keeps public read responses keyed by document, operation, variables, role
  and media type. Each entry remembers the tables it read and their generation counters (bumped
  by a trigger at the commit of every write, table `data_generations`); a hit is served only
  when those counters are unchanged, so once a write has returned nobody gets older data.
  In one process the cache is in memory; with `REDIS_URL` it lives in Redis, shared.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from db import models
from resolvers.viewer import Viewer
from web.requests import Params

generations = models.table_of(models.DataGeneration)

CACHE_TTL = 3600
UNCACHED_ROOT_FIELDS = frozenset({"changes", "changesHead", "_service", "_entities"})


class Store(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int) -> None: ...


class MemoryStore:
    """A bounded LRU with expiry, for one process."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        found = self.entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires < time.monotonic():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        self.entries[key] = (time.monotonic() + ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


class RedisStore:
    """The same in Redis, shared by every worker and instance."""

    def __init__(self, url: str, prefix: str = "upl:") -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url)
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(self.prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self.client.set(self.prefix + key, value, ex=ttl)


def make_store(redis_url: str | None, database: str) -> Store:
    """Memory, or Redis under a prefix naming the database (deployments may share one Redis)."""
    if not redis_url:
        return MemoryStore()
    return RedisStore(redis_url, prefix=f"upl:{hashlib.sha256(database.encode()).hexdigest()[:12]}:")


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    media_type: str
    tables: tuple[str, ...]
    generations: tuple[int, ...]
    max_age: int

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "body": base64.b64encode(self.body).decode(),
                "media_type": self.media_type,
                "tables": self.tables,
                "generations": self.generations,
                "max_age": self.max_age,
            }
        )

    @staticmethod
    def of(body: bytes, media_type: str, tables: set[str], generations: dict[str, int], max_age: int) -> CachedResponse:
        """The entry of a response that read `tables` when they were at `generations`."""
        read = tuple(sorted(tables))
        return CachedResponse(body, media_type, read, tuple(generations.get(t, 0) for t in read), max_age)

    @staticmethod
    def decode(raw: bytes) -> CachedResponse:
        data = orjson.loads(raw)
        return CachedResponse(
            body=base64.b64decode(data["body"]),
            media_type=data["media_type"],
            tables=tuple(data["tables"]),
            generations=tuple(data["generations"]),
            max_age=data["max_age"],
        )


def cache_key(query: str, params: Params, viewer: Viewer, media_type: str) -> str:
    # the standard json module: exact for integers beyond 64 bits and NaN (orjson refuses the one
    # and writes null for the other, which would share null's entry)
    parts = json.dumps([query, params.operation_name, params.variables, viewer.role.value, media_type], sort_keys=True)
    return "response:" + hashlib.sha256(parts.encode()).hexdigest()


async def current_generations(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(generations.c.table_name, generations.c.generation))).all()
    return {row.table_name: row.generation for row in rows}


async def cached_response(store: Store, key: str, current: dict[str, int]) -> CachedResponse | None:
    """The cached response for `key`, if every table it read is still at the `current` generation."""
    raw = await store.get(key)
    if raw is None:
        return None
    entry = CachedResponse.decode(raw)
    if tuple(current.get(t, 0) for t in entry.tables) != entry.generations:
        return None
    return entry


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cache_control(viewer: Viewer, max_age: int, private_data: bool) -> str:
    if viewer.is_staff or private_data:
        return "private, no-store"
    if max_age <= 0:
        return "no-cache"
    # responses to keyed requests stay in the caller's own cache, never in a shared one
    scope = "private" if viewer.api_key_id is not None else "public"
    return f"{scope}, max-age={max_age}"


def conditional(request: Request, body: bytes, media_type: str, headers: dict[str, str], status: int = 200) -> Response:
    """`304` when the client's `If-None-Match` already has this body, else the body."""
    etag = etag_of(body)
    headers = {**headers, "ETag": etag}
    sent = request.headers.get("if-none-match", "")
    if status == 200 and etag in {tag.strip() for tag in sent.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)
