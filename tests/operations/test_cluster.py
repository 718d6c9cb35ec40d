"""The cluster: Debian's nginx (with `deploy/nginx.conf`) in front of two `upl serve` instances, a
PostgreSQL primary with its streaming standby, and Redis. 32 clients read and edit through nginx
(edits with idempotency keys, retried after dropped connections) while one instance is killed
with SIGKILL and started again, the standby is stopped and started, and Redis is stopped and
started. Afterwards: every acknowledged write is there exactly once, no write is there twice,
every writer read its own write at once, no 5xx reached a client, and the instances' metrics
count the requests the clients sent.

`make test` runs it for 12 s; `make soak-cluster` for 60 s (`UPL_CLUSTER_SECONDS`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.load import free_port
from tests.conftest import ROOT, ServedProcess
from tests.operations.servers import Instance, PrivateRedis, needs_redis, needs_standby_tools

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    needs_standby_tools,
    needs_redis,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx"),
]
SECONDS = float(os.environ.get("UPL_CLUSTER_SECONDS", "12"))
TOKEN = "cluster-metrics-token"
CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id name } userErrors { code } } }"
OWN = "query($id: ID!) { node(id: $id) { ... on Company { name } } }"
READS = [
    ("{ companies(first: 10) { nodes { name slug } } }", None),
    ("query($s: String!) { companies(first: 5, filter: { search: $s }) { totalCount nodes { name } } }", "s"),
    ("{ networks(first: 3) { nodes { name members(first: 3) { nodes { name } } } } }", None),
    ("{ events(first: 5) { nodes { title startsAt } } }", None),
]


class Nginx:
    """Debian's nginx running `deploy/nginx.conf`, only its addresses replaced by loopback ports."""

    def __init__(self, directory: Path, upstreams: list[int]) -> None:
        self.port, self.directory = free_port(), directory
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        conf = conf.replace("api-1:8000", f"127.0.0.1:{upstreams[0]}").replace(
            "api-2:8000", f"127.0.0.1:{upstreams[1]}"
        )
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{self.port};").replace(
            "/tmp/upl-nginx", str(directory / "n")
        )
        self.conf = directory / "nginx.conf"
        self.conf.write_text(conf)
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.conf), "-p", str(directory), "-g", "daemon off;"], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{self.base}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline and self.process.poll() is None, "nginx did not start"
                time.sleep(0.05)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Run:
    statuses: Counter[int] = field(default_factory=Counter)
    graphql_requests: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)
    """name -> global ID of every create the service acknowledged."""
    stale: list[str] = field(default_factory=list)
    retries: int = 0
    running: bool = True


async def read_own(client: httpx.AsyncClient, run: Run, headers: dict[str, str], global_id: str) -> httpx.Response:
    """The writer reads its write back; a connection cut by a killed instance is retried, as for
    the write (nginx then sends it to the other instance)."""
    body = {"query": OWN, "variables": {"id": global_id}}
    for _attempt in range(19):
        try:
            return await client.post("/graphql", json=body, headers=headers)
        except httpx.TransportError:
            run.retries += 1
            await asyncio.sleep(0.05)
    return await client.post("/graphql", json=body, headers=headers)


async def writer(client: httpx.AsyncClient, run: Run, headers: dict[str, str], n: int) -> None:
    i = 0
    while run.running:
        name, key = f"Cluster {n}-{i} GmbH", str(uuid.uuid4())
        body = {"query": CREATE, "variables": {"n": name}}
        for _attempt in range(20):  # the same key on every retry: applied at most once
            try:
                response = await client.post("/graphql", json=body, headers={**headers, "idempotency-key": key})
            except httpx.TransportError:
                run.retries += 1
                await asyncio.sleep(0.05)
                continue
            run.graphql_requests += 1
            run.statuses[response.status_code] += 1
            if response.status_code == 409:  # the first attempt is still running somewhere
                run.retries += 1
                await asyncio.sleep(0.1)
                continue
            created = response.json()["data"]["companyCreate"]["company"]
            run.acknowledged[name] = created["id"]
            own = await read_own(client, run, headers, created["id"])
            run.graphql_requests += 1
            run.statuses[own.status_code] += 1
            if own.json()["data"]["node"] != {"name": name}:
                run.stale.append(name)
            break
        i += 1


async def reader(client: httpx.AsyncClient, run: Run, n: int) -> None:
    i = n
    while run.running:
        query, variable = READS[i % len(READS)]
        variables = {variable: f"c{n}x{i}"} if variable else None
        try:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
        except httpx.TransportError:
            run.retries += 1
            continue
        run.graphql_requests += 1
        run.statuses[response.status_code] += 1
        if response.status_code == 200:
            assert "errors" not in response.json(), response.text
        i += 1


def graphql_requests_counted(exposition: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "upl_http_requests_total" and sample.labels.get("route") == "/graphql":
                total += sample.value
    return total


async def test_the_cluster_survives_its_faults(
    cluster: tuple[Instance, Instance], staff_key: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    primary, standby = cluster
    ports = [free_port(), free_port()]
    metrics_dirs = [tmp_path / "metrics-a", tmp_path / "metrics-b"]
    env = [
        {
            "DATABASE_REPLICA_URLS": standby.url(),
            "REDIS_URL": private_redis.url,
            "UPL_TRUSTED_PROXIES": "127.0.0.1",
            "UPL_METRICS_TOKEN": TOKEN,
            "UPL_LOG_FORMAT": "json",
            "UPL_RATE_LIMIT": "0",  # 32 clients from one address: the budgets are tested elsewhere
            # each instance keeps its counters on disk: a killed instance's counts survive it
            "PROMETHEUS_MULTIPROC_DIR": str(directory),
        }
        for directory in metrics_dirs
    ]
    for directory in metrics_dirs:
        directory.mkdir()
    instances = [ServedProcess(primary.url(), env=env[i], port=ports[i]) for i in range(2)]
    nginx = Nginx(tmp_path, ports)
    run = Run()
    headers = {"authorization": f"Bearer {staff_key}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    try:
        async with httpx.AsyncClient(base_url=nginx.base, timeout=30, limits=limits) as client:
            clients = [asyncio.create_task(writer(client, run, headers, n)) for n in range(8)]
            clients += [asyncio.create_task(reader(client, run, n)) for n in range(24)]
            step = SECONDS / 6
            await asyncio.sleep(step)
            instances[0].kill()  # SIGKILL, with requests in flight
            await asyncio.sleep(step)
            instances[0] = await asyncio.to_thread(ServedProcess, primary.url(), env[0], "warning", (), ports[0])
            standby.stop("immediate")
            await asyncio.sleep(step)
            await asyncio.to_thread(standby.start)
            await asyncio.sleep(step)
            private_redis.stop()
            await asyncio.sleep(step)
            private_redis.start()
            await asyncio.sleep(step)
            run.running = False
            await asyncio.gather(*clients)
            scraped = [
                (
                    await client.get(f"http://127.0.0.1:{port}/metrics", headers={"authorization": f"Bearer {TOKEN}"})
                ).text
                for port in ports
            ]
    finally:
        nginx.stop()
        for instance in instances:
            instance.stop()

    assert run.acknowledged, "no write was acknowledged"
    # no 5xx (the primary stayed up); 409 only for a retry while its first attempt still ran
    assert set(run.statuses) <= {200, 409}, run.statuses
    assert run.stale == []  # every writer read its own write at once, whichever instance answered
    connection = await asyncpg.connect(primary.url())
    try:
        rows = await connection.fetch(
            "SELECT name, count(*) AS n FROM companies WHERE name LIKE 'Cluster %' GROUP BY name"
        )
    finally:
        await connection.close()
    stored = {row["name"]: row["n"] for row in rows}
    assert {name: stored.get(name) for name in run.acknowledged} == dict.fromkeys(run.acknowledged, 1)  # none lost
    assert max(stored.values()) == 1  # none applied twice, retries included
    # every request a client sent was counted by the instance that answered it; a request that was
    # answered by the killed instance just before it died may be counted there and again where
    # nginx retried it
    counted = sum(graphql_requests_counted(text) for text in scraped)
    assert run.graphql_requests <= counted <= run.graphql_requests + 32
    print(
        f"cluster run: {SECONDS:.0f} s, {run.graphql_requests} GraphQL requests, {len(run.acknowledged)} writes "
        f"acknowledged, {run.retries} client retries, statuses {dict(run.statuses)}, metrics counted {counted:.0f}"
    )
