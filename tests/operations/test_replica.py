"""A real streaming replica: a private primary and a physical standby made with `pg_basebackup -R`
from Debian's PostgreSQL 15 server binaries, on loopback ports. Reads are answered by the standby
(its own statement log shows them), writes by the primary; the writer reads its own writes while
the standby is delayed (`recovery_min_apply_delay`); the standby stopped under load moves reads to
the primary with no 5xx, and started again it is back in rotation."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from app import create_app
from settings import Settings
from tests.operations.servers import Instance, PrivateRedis, needs_redis, needs_standby_tools

pytestmark = [needs_standby_tools, needs_redis]

COMPANY = "query($id: ID!) { node(id: $id) { ... on Company { name } } }"
CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id name } } }"
BY_NAME = "query($n: String!) { companies(first: 5, filter: { search: $n }) { nodes { name } } }"


async def healthy(client: httpx.AsyncClient, want: str = "up", seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        ready = (await client.get("/readyz")).json()
        replicas = ready["checks"].get("replicas", {})
        if replicas.get("status") == want or time.monotonic() > deadline:
            return ready
        await asyncio.sleep(0.1)


async def caught_up(app: Any, seconds: float = 30) -> None:
    """Until the standby has replayed everything the primary had written when this was called."""
    replicas = app.state.replicas
    target = await replicas.position()
    deadline = time.monotonic() + seconds
    while replicas.replicas[0].replayed < target or not replicas.replicas[0].healthy:
        assert time.monotonic() < deadline, "the standby did not catch up"
        await asyncio.sleep(0.05)


async def test_reads_on_the_standby_writes_on_the_primary_and_outages_unseen(
    cluster: tuple[Instance, Instance], staff_key: str, private_redis: PrivateRedis
) -> None:
    primary, standby = cluster
    settings = Settings(
        response_cache=True,
        rate_limit=False,
        replica_urls=(standby.url(),),
        replica_max_lag_ms=1000,
        redis_url=private_redis.url,  # where every instance finds the writer's position
    )
    app = create_app(primary.url(), settings=settings)
    staff = {"authorization": f"Bearer {staff_key}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client,
    ):

        async def post(query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            return body["data"]

        ready = await healthy(client)
        assert ready["status"] == "ready" and ready["checks"]["replicas"]["each"][0]["lag_seconds"] == 0

        # a read: answered by the standby, as its own statement log shows
        marker = f"m{uuid.uuid4().hex[:10]}"
        await post(BY_NAME, {"n": marker})
        assert marker in standby.statements_logged()
        assert marker not in primary.statements_logged()

        # the writer reads its own write at once while the standby applies WAL 3 s late
        standby.configure(recovery_min_apply_delay="3s")
        standby.reload()
        await asyncio.sleep(0.5)
        head = (await post("{ changesHead }", {}))["changesHead"]
        name = f"Replika GmbH {uuid.uuid4().hex[:6]}"
        created = (await post(CREATE, {"n": name}, staff))["companyCreate"]["company"]
        assert created["name"] == name
        assert (await post(COMPANY, {"id": created["id"]}, staff))["node"] == {"name": name}  # read your writes
        assert (await post(COMPANY, {"id": created["id"]}))["node"] == {"name": name}  # never older than the cache's
        listed = [n["name"] for n in (await post(BY_NAME, {"n": name}, staff))["companies"]["nodes"]]
        assert listed == [name]
        await asyncio.sleep(1.5)  # past UPL_REPLICA_MAX_LAG_MS: out of rotation, measured by LSN
        lagging = (await client.get("/readyz")).json()
        assert lagging["status"] == "degraded"
        assert lagging["checks"]["replicas"]["each"][0]["status"] == "lagging"
        assert lagging["checks"]["replicas"]["each"][0]["lag_seconds"] > 1
        standby.configure(recovery_min_apply_delay="0")
        standby.reload()
        await caught_up(app)
        ready = await healthy(client)
        assert ready["checks"]["replicas"]["status"] == "up"
        marker = f"m{uuid.uuid4().hex[:10]}"
        await post(BY_NAME, {"n": marker}, staff)  # caught up: the writer's reads go back to the standby
        assert marker in standby.statements_logged()
        # the change feed from the standby: the write is in it, in commit order, once
        feed = await post(
            "query($h: String) { changes(since: $h, first: 100) { nodes { objectId action } } }", {"h": head}
        )
        assert feed["changes"]["nodes"].count({"objectId": created["id"], "action": "CREATE"}) == 1
        assert "pg_current_snapshot" in standby.statements_logged()

        # the standby stopped under load: reads move to the primary, no 5xx; started: back in rotation
        statuses: Counter[int] = Counter()
        running = True

        async def reader(n: int) -> None:
            i = n
            while running:
                response = await client.post(
                    "/graphql",
                    json={
                        "query": BY_NAME if i % 2 else "{ companies(first: 3) { nodes { name } } }",
                        "variables": {"n": f"x{n}-{i}"},
                    },
                )
                statuses[response.status_code] += 1
                assert "errors" not in response.json(), response.text
                i += 1

        readers = [asyncio.create_task(reader(n)) for n in range(6)]
        await asyncio.sleep(0.5)
        standby.stop("immediate")
        await asyncio.sleep(1.5)
        down = await client.get("/readyz")
        assert down.status_code == 200 and down.json()["status"] == "degraded"
        assert down.json()["checks"]["replicas"]["each"][0]["status"] == "down"
        standby.start()
        ready = await healthy(client)
        await asyncio.sleep(0.5)
        running = False
        await asyncio.gather(*readers)
        assert set(statuses) == {200}, statuses
        assert ready["status"] == "ready"
        marker = f"m{uuid.uuid4().hex[:10]}"
        await post(BY_NAME, {"n": marker})
        assert marker in standby.statements_logged()
        metrics = app.state.replicas.replicas[0]
        assert metrics.healthy and metrics.lag == 0
