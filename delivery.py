"""Delivery to partner sites and newsletters: persisted queries, caching, CORS.

* Automatic persisted queries (Apollo's protocol): a client sends
  `extensions.persistedQuery.sha256Hash`; unknown hashes get `PersistedQueryNotFound`, and the
  client registers the document by sending it once with its hash.
* Trusted documents: a key with `trusted_documents_only` may only send operations the office
  registered (`upl operations register FILE`); anything else is refused for it.
* HTTP caching: public reads carry `Cache-Control` and an `ETag`; `If-None-Match` gets `304`.
  Staff responses and responses with personal data are `private, no-store`.
* The response cache keeps public read responses keyed by document, operation, variables, role
  and media type. Each entry remembers the tables it read and their generation counters (bumped
  by a trigger at the commit of every write, table `data_generations`); a hit is served only
  when those counters are unchanged, so once a write has returned nobody gets older data.
  In one process the cache is in memory; with `REDIS_URL` it lives in Redis, shared.
* CORS: a browser may call from an origin its key allows (or, without a key, an origin in
  `UPL_ANONYMOUS_ORIGINS`); credentials are never allowed cross-origin.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from db import models
from resolvers.accounts import Viewer, api_keys, sha256

generations = models.table_of(models.DataGeneration)
persisted = models.table_of(models.PersistedOperation)

APQ_TTL = 24 * 3600
CACHE_TTL = 3600
UNCACHED_ROOT_FIELDS = frozenset({"changes", "changesHead", "_service", "_entities"})


# --- stores ---------------------------------------------------------------------------------


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


# --- persisted queries ----------------------------------------------------------------------


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def response(self, media_type: str) -> Response:
        body = orjson.dumps({"errors": [{"message": self.message, "extensions": {"code": self.code}}]})
        return Response(body, status_code=self.status, media_type=media_type)


async def trusted_document(engine: AsyncEngine, digest: str) -> str | None:
    async with engine.connect() as connection:
        document: str | None = await connection.scalar(
            select(persisted.c.document).where(persisted.c.sha256 == digest, persisted.c.trusted.is_(True))
        )
    return document


async def resolve_document(request: Request, params: dict[str, Any], viewer: Viewer) -> str:
    """The document to run: as sent, from the APQ store, or from the trusted documents."""
    store: Store = request.app.state.apq_store
    engine: AsyncEngine = request.app.state.engine
    extension = (params.get("extensions") or {}).get("persistedQuery")
    query: str | None = params.get("query")
    digest: str | None = None
    if extension is not None:
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise PersistedQueryError(
                "Unsupported persistedQuery version: use 1.", "PERSISTED_QUERY_NOT_SUPPORTED", 400
            )
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryError("`persistedQuery.sha256Hash` must be a SHA-256 in hex.", "BAD_REQUEST", 400)
        digest = digest.lower()
        if query is not None:
            if sha256(query) != digest:
                raise PersistedQueryError("The query does not match its sha256Hash.", "BAD_REQUEST", 400)
            await store.set("apq:" + digest, query.encode(), APQ_TTL)
        else:
            cached = await store.get("apq:" + digest)
            query = cached.decode() if cached is not None else await trusted_document(engine, digest)
            if query is None:
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
    if query is None:
        raise PersistedQueryError("No GraphQL query found: pass `query` as a string.", "BAD_REQUEST", 400)
    if viewer.trusted_documents_only and await trusted_document(engine, digest or sha256(query)) is None:
        raise PersistedQueryError(
            "This key may only send the operations registered for it (trusted documents).", "FORBIDDEN", 403
        )
    return query


# --- the response cache ---------------------------------------------------------------------


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
    def decode(raw: bytes) -> CachedResponse:
        data = orjson.loads(raw)
        return CachedResponse(
            body=base64.b64decode(data["body"]),
            media_type=data["media_type"],
            tables=tuple(data["tables"]),
            generations=tuple(data["generations"]),
            max_age=data["max_age"],
        )


def cache_key(query: str, params: dict[str, Any], viewer: Viewer, media_type: str) -> str:
    # the standard json module: exact for integers beyond 64 bits and NaN (orjson refuses the one
    # and writes null for the other, which would share null's entry)
    parts = json.dumps(
        [query, params.get("operation_name"), params.get("variables"), viewer.role.value, media_type],
        sort_keys=True,
    )
    return "response:" + hashlib.sha256(parts.encode()).hexdigest()


async def current_generations(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(generations.c.table_name, generations.c.generation))).all()
    return {row.table_name: row.generation for row in rows}


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


# --- CORS -----------------------------------------------------------------------------------

CORS_ALLOW_HEADERS = "authorization, content-type, accept, apollographql-client-name, apollographql-client-version"
ORIGINS_TTL = 30.0


class KeyOrigins:
    """Origins any active key allows (for preflights, which carry no key), refreshed every 30 s."""

    def __init__(self) -> None:
        self.loaded_at = -ORIGINS_TTL
        self.origins: frozenset[str] = frozenset()

    async def get(self, engine: AsyncEngine) -> frozenset[str]:
        if time.monotonic() - self.loaded_at > ORIGINS_TTL:
            async with engine.connect() as connection:
                rows = await connection.scalars(select(api_keys.c.origins).where(api_keys.c.revoked_at.is_(None)))
                self.origins = frozenset(origin for origins in rows for origin in origins)
            self.loaded_at = time.monotonic()
        return self.origins


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def cross_origin(request: Request) -> str | None:
    """The request's `Origin` when it is another site's, else None."""
    origin = request.headers.get("origin")
    if origin is None or origin == own_origin(request):
        return None
    return origin


def anonymous_allows(request: Request, origin: str) -> bool:
    allowed: tuple[str, ...] = request.app.state.settings.anonymous_origins
    return "*" in allowed or origin in allowed


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "ETag"}


async def preflight(request: Request) -> Response:
    origin = request.headers.get("origin")
    if origin is None:
        return Response(status_code=400, content="A CORS preflight needs an Origin header.", media_type="text/plain")
    key_origins = await request.app.state.key_origins.get(request.app.state.engine)
    if origin not in key_origins and not anonymous_allows(request, origin):
        return Response(status_code=403, content=f"Origin {origin} is not allowed.", media_type="text/plain")
    headers = {
        **cors_headers(origin),
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


def origin_refusal(request: Request, viewer: Viewer) -> str | None:
    """Why this cross-origin request is refused, or None when its origin is allowed."""
    origin = cross_origin(request)
    if origin is None:
        return None
    if viewer.csrf_token is not None:
        return "Session cookies are not accepted from other origins."
    if viewer.api_key_id is not None:
        return None if origin in viewer.origins else f"This key is not allowed from {origin}."
    return None if anonymous_allows(request, origin) else f"Origin {origin} may not call without a key."
