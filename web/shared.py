"""Redis, when `REDIS_URL` is set: what every process and instance shares (rate limits,
throttles, APQ, the response cache), and what each falls back to while Redis is away.

Redis is an optimisation and a way to share, never a dependency a request can fail on: when a
Redis call fails, the process leaves Redis alone for `pause` seconds (no connection attempt per
request) and uses its own memory, then tries again. Nothing correct depends on Redis: cached
responses are checked against the generation counters whatever store they come from, an APQ
hash unknown to a store is answered `PersistedQueryNotFound` (the client sends the document
again), and limits counted in one process for a few seconds are only less shared.

Stale pooled connections after Redis restarts ("Connection closed by server") are retried once
by redis-py itself on a new connection (`Retry` below), so callers never see them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from web import metrics

T = TypeVar("T")
logger = logging.getLogger("upl.redis")

ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
"""What a Redis call raises when Redis is away or broken (connection refused, reset, timeout)."""

CLIENT_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1.0,
    "health_check_interval": 10,
    "retry": Retry(NoBackoff(), 1),
}
"""Short timeouts (a stalled Redis must not stall requests), one immediate retry on a fresh
connection (a pooled connection that Redis closed while it restarted), a ping before a
connection idle for 10 s is reused."""


class SharedRedis:
    """One process's view of Redis: the client, and whether Redis is in use right now."""

    def __init__(self, url: str, *, pause: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.client: Redis = Redis.from_url(url, **CLIENT_OPTIONS)
        self.pause, self.clock = pause, clock
        self.away_until = 0.0
        self.away = False

    @property
    def in_use(self) -> bool:
        return self.clock() >= self.away_until

    def failed(self, exc: BaseException) -> None:
        metrics.REDIS_FAILURES.inc()
        self.away_until = self.clock() + self.pause
        if not self.away:
            self.away = True
            logger.warning("Redis unavailable (%s): using this process's memory until it is back", type(exc).__name__)

    def succeeded(self) -> None:
        if self.away:
            self.away = False
            logger.info("Redis is back: shared stores in use again")

    async def run(self, work: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        """`work` on Redis, or `fallback` in this process while Redis is away."""
        if self.in_use:
            try:
                result = await work()
            except ERRORS as exc:
                self.failed(exc)
            else:
                self.succeeded()
                return result
        return await fallback()

    async def attempt(self, work: Callable[[], Awaitable[T]]) -> T | None:
        """`work` on Redis, or nothing (None) while Redis is away: for what only Redis can do."""
        return await self.run(work, _nothing)

    async def ping(self) -> bool:
        """Whether Redis answers now (readiness reports it; requests never wait for this)."""
        try:
            await self.client.ping()
        except ERRORS as exc:
            self.failed(exc)
            return False
        self.away_until = 0.0
        self.succeeded()
        return True

    async def close(self) -> None:
        await self.client.aclose()


async def _nothing() -> None:
    return None


def connect(url: str | None) -> SharedRedis | None:
    return SharedRedis(url) if url else None
