"""Redis away and back, under load: callers never notice (no 5xx), `/readyz` says `degraded`
meanwhile, and the shared stores are used again once Redis answers. A private Redis server is
started for this (the machine's own is never stopped)."""

from __future__ import annotations

import asyncio
from collections import Counter

from settings import Settings
from tests.conftest import Api, serve_api
from tests.operations.servers import PrivateRedis, needs_redis

pytestmark = needs_redis


QUERIES = [
    "{ companies(first: 5) { nodes { name } } }",
    "{ networks(first: 3) { nodes { name members(first: 2) { totalCount } } } }",
    "{ ortsteile { name } }",
]


async def test_reads_go_on_while_redis_is_away_and_use_it_again_when_back(
    demo_database_url: str, private_redis: PrivateRedis
) -> None:
    shared = Settings(response_cache=True, rate_limit=True, redis_url=private_redis.url)
    async for api in serve_api(demo_database_url, settings=shared):
        await readers_through_an_outage(api, private_redis)


async def readers_through_an_outage(api: Api, private_redis: PrivateRedis) -> None:
    statuses: Counter[int] = Counter()
    running = True

    async def reader(n: int) -> None:
        i = n
        while running:
            query = QUERIES[i % len(QUERIES)] if i % 4 else f"{{ companies(first: {1 + i % 50}) {{ totalCount }} }}"
            response = await api.client.post("/graphql", json={"query": query})
            statuses[response.status_code] += 1
            assert "errors" not in response.json(), response.text
            i += 7
            await asyncio.sleep(0)

    readers = [asyncio.create_task(reader(n)) for n in range(8)]
    await asyncio.sleep(0.5)
    assert private_redis.keys() > 0  # cache entries and rate-limit windows are in Redis
    ready = (await api.client.get("/readyz")).json()
    assert (ready["status"], ready["checks"]["redis"]["status"]) == ("ready", "up")

    private_redis.stop()
    await asyncio.sleep(1.0)
    away = await api.client.get("/readyz")
    assert away.status_code == 200
    assert away.json()["status"] == "degraded"
    assert away.json()["checks"]["redis"] == {"status": "down", "fallback": "process memory"}
    during = sum(statuses.values())
    await asyncio.sleep(1.0)
    assert sum(statuses.values()) > during  # reads kept being answered

    private_redis.start()  # an empty Redis on the same port
    for _ in range(100):
        if (await api.client.get("/readyz")).json()["status"] == "ready":
            break
        await asyncio.sleep(0.1)
    assert (await api.client.get("/readyz")).json()["status"] == "ready"
    await asyncio.sleep(1.0)
    running = False
    await asyncio.gather(*readers)

    assert set(statuses) == {200}, statuses  # no 5xx at any point, no 429 either
    assert private_redis.keys() > 0  # used again after it came back (pooled connections renewed)
    fresh = await api.client.post("/graphql", json={"query": "{ companies(first: 7) { nodes { slug } } }"})
    assert fresh.status_code == 200
