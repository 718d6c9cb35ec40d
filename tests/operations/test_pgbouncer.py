"""PgBouncer (Debian's) in transaction mode in front of the primary: with `UPL_PGBOUNCER=1` the
service keeps nothing on a server connection between transactions (no prepared-statement cache,
uniquely named statements, no startup settings), and LISTENs on `DATABASE_LISTEN_URL` past it.
Concurrent planned reads, resolver reads, cache hits and mutations all succeed through it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import create_app
from bench.load import free_port
from settings import Settings
from tests.operations.servers import Instance, as_postgres, needs_standby_tools

PGBOUNCER = Path("/usr/sbin/pgbouncer")
pytestmark = [needs_standby_tools, pytest.mark.skipif(not PGBOUNCER.exists(), reason="needs Debian's pgbouncer")]


@pytest.fixture
def bouncer(cluster: tuple[Instance, Instance]) -> Iterator[str]:
    """PgBouncer in transaction mode in front of the private primary: its URL."""
    primary, _ = cluster
    directory = Path(tempfile.mkdtemp(prefix="upl-pgbouncer-"))
    port = free_port()
    (directory / "users.txt").write_text('"postgres" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
upl = host=127.0.0.1 port={primary.port} dbname=upl

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 8
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    if os.geteuid() == 0:
        for path in (directory, *directory.iterdir()):
            shutil.chown(path, "postgres")
    process = subprocess.Popen(as_postgres(str(PGBOUNCER), str(directory / "pgbouncer.ini")))
    url = f"postgresql://postgres@127.0.0.1:{port}/upl"
    deadline = time.monotonic() + 10
    while subprocess.run(["psql", url, "-qAtc", "SELECT 1"], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline and process.poll() is None, "pgbouncer did not start"
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(directory, ignore_errors=True)


def bouncer_stats(url: str) -> dict[str, int]:
    admin = url.rsplit("/", 1)[0] + "/pgbouncer"
    out = subprocess.run(["psql", admin, "-F", "|", "-qAc", "SHOW STATS"], capture_output=True, text=True, check=True)
    header, *rows = out.stdout.strip().splitlines()
    names = header.split("|")
    for row in rows:
        values = dict(zip(names, row.split("|"), strict=False))
        if values["database"] == "upl":
            return {k: int(v) for k, v in values.items() if v.isdigit()}
    return {}


READS = [
    ("query($n: Int!) { companies(first: $n) { nodes { name } } }", lambda i: {"n": 1 + i % 40}),
    ("query($s: String!) { search(query: $s, first: 3) { __typename } }", lambda i: {"s": f"werk{i % 7}"}),
    ("{ networks(first: 2) { nodes { name members(first: 2) { totalCount } } } }", lambda i: None),
    ("{ companies(first: 5) { totalCount } }", lambda i: None),
]
CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id } userErrors { code } } }"


async def test_the_service_runs_through_pgbouncer_in_transaction_mode(
    bouncer: str, cluster: tuple[Instance, Instance], staff_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary, _ = cluster
    monkeypatch.setenv("UPL_PGBOUNCER", "1")
    monkeypatch.setenv("DATABASE_LISTEN_URL", primary.url())
    before = bouncer_stats(bouncer)
    app = create_app(bouncer, settings=Settings(rate_limit=False))
    staff = {"authorization": f"Bearer {staff_key}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client,
    ):
        assert app.state.generations.synced  # listening past PgBouncer, on the direct URL

        async def one(i: int) -> dict[str, Any]:
            if i % 10 == 0:
                body = {"query": CREATE, "variables": {"n": f"Bouncer {uuid.uuid4().hex[:8]} GmbH"}}
                response = await client.post("/graphql", json=body, headers=staff)
            else:
                query, variables = READS[i % len(READS)]
                response = await client.post("/graphql", json={"query": query, "variables": variables(i)})
            assert response.status_code == 200, response.text
            result: dict[str, Any] = response.json()
            assert "errors" not in result, result
            return result

        for batch in range(10):  # 16 at a time: the statements of concurrent requests interleave
            await asyncio.gather(*(one(batch * 16 + i) for i in range(16)))
        ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    after = bouncer_stats(bouncer)
    assert after["total_query_count"] - before.get("total_query_count", 0) >= 100  # it all went through PgBouncer
