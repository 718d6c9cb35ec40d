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

import functools
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from db import models
from resolvers.viewer import Viewer
from web.requests import Params, header
from web.shared import SharedRedis

generations = models.table_of(models.DataGeneration)

CACHE_TTL = 3600
V = TypeVar("V")
MAX_REMEMBERED_KEY_PARTS = 16_384
"""Documents and variables longer than this are hashed on every request (no memory held for them)."""
UNCACHED_ROOT_FIELDS = frozenset({"changes", "changesHead", "_service", "_entities"})


class Store(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int) -> None: ...


class MemoryStore(Generic[V]):
    """A bounded LRU with expiry, for one process."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self.max_entries = max_entries

    async def get(self, key: str) -> V | None:
        found = self.entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires < time.monotonic():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return value

    async def set(self, key: str, value: V, ttl: int) -> None:
        self.entries[key] = (time.monotonic() + ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


class RedisStore:
    """The same in Redis, shared by every worker and instance; in this process's memory while
    Redis is away (web/shared.py)."""

    def __init__(self, shared: SharedRedis, prefix: str = "upl:", fallback_entries: int = 10_000) -> None:
        self.shared, self.prefix = shared, prefix
        self.fallback = MemoryStore[bytes](fallback_entries)

    async def get(self, key: str) -> bytes | None:
        async def from_redis() -> bytes | None:
            value = await self.shared.client.get(self.prefix + key)
            return value.encode() if isinstance(value, str) else value

        return await self.shared.run(from_redis, lambda: self.fallback.get(key))

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        async def to_redis() -> None:
            await self.shared.client.set(self.prefix + key, value, ex=ttl)

        await self.shared.run(to_redis, lambda: self.fallback.set(key, value, ttl))


def make_store(shared: SharedRedis | None, database: str) -> Store:
    """Memory, or Redis under a prefix naming the database (deployments may share one Redis)."""
    if shared is None:
        return MemoryStore[bytes]()
    return RedisStore(shared, prefix=f"upl:{hashlib.sha256(database.encode()).hexdigest()[:12]}:")


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    media_type: str
    tables: tuple[str, ...]
    generations: tuple[int, ...]
    max_age: int
    etag: str

    def encode(self) -> bytes:
        """A JSON header line, then the body as it is (no base64: a hit only splits the bytes)."""
        header = orjson.dumps(
            {
                "media_type": self.media_type,
                "tables": self.tables,
                "generations": self.generations,
                "max_age": self.max_age,
                "etag": self.etag,
            }
        )
        return header + b"\n" + self.body

    @staticmethod
    def of(body: bytes, media_type: str, tables: set[str], generations: dict[str, int], max_age: int) -> CachedResponse:
        """The entry of a response that read `tables` when they were at `generations`."""
        read = tuple(sorted(tables))
        at = tuple(generations.get(t, 0) for t in read)
        return CachedResponse(body, media_type, read, at, max_age, etag_of(body))

    @staticmethod
    def decode(raw: bytes) -> CachedResponse | None:
        """The entry, or None for one this version cannot read (written by an older release)."""
        header, _, body = raw.partition(b"\n")
        try:
            data = orjson.loads(header)
            tables, generations = tuple(data["tables"]), tuple(data["generations"])
            return CachedResponse(body, data["media_type"], tables, generations, data["max_age"], data["etag"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None


def cache_key(query: str, params: Params, viewer: Viewer, media_type: str) -> str:
    """A digest of everything the response depends on (remembered for the documents and
    variables seen most, so a hit does not hash the document again)."""
    parts = (query, params.operation_name, viewer.role.value, media_type, params.variables_key)
    if len(query) + len(parts[4]) > MAX_REMEMBERED_KEY_PARTS:
        return _digest.__wrapped__(*parts)
    return _digest(*parts)


@functools.lru_cache(maxsize=4096)
def _digest(query: str, operation_name: str | None, role: str, media_type: str, variables_key: bytes) -> str:
    """Each part length-prefixed (unambiguous); the variables as `Params.variables_key` has them."""
    digest = hashlib.sha256()
    for part in (query, operation_name or "", role, media_type):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    digest.update(b"\0" if operation_name is None else b"\1")
    digest.update(variables_key)
    return "response:" + digest.hexdigest()


class ResponseCache:
    """Cached responses: as objects in this process's memory, or encoded in a shared store
    (Redis), where every worker and instance finds them."""

    def __init__(self, shared: Store | None = None, max_entries: int = 10_000) -> None:
        self.shared = shared
        self.local = MemoryStore[CachedResponse](max_entries)

    async def get(self, key: str, current: dict[str, int]) -> CachedResponse | None:
        """The response for `key`, if every table it read is still at the `current` generation."""
        if self.shared is None:
            entry = await self.local.get(key)
        else:
            raw = await self.shared.get(key)
            entry = None if raw is None else CachedResponse.decode(raw)
        if entry is None or tuple(current.get(t, 0) for t in entry.tables) != entry.generations:
            return None
        return entry

    async def put(self, key: str, entry: CachedResponse) -> None:
        if self.shared is None:
            await self.local.set(key, entry, CACHE_TTL)
        else:
            await self.shared.set(key, entry.encode(), CACHE_TTL)


def make_response_cache(shared: SharedRedis | None, database: str) -> ResponseCache:
    return ResponseCache(make_store(shared, database) if shared is not None else None)


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


def conditional(
    request: Request, body: bytes, media_type: str, headers: dict[str, str], status: int = 200, etag: str | None = None
) -> Response:
    """`304` when the client's `If-None-Match` already has this body, else the body."""
    etag = etag or etag_of(body)
    headers = {**headers, "ETag": etag}
    sent = header(request, "if-none-match") or ""
    if status == 200 and etag in {tag.strip() for tag in sent.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)
