"""A small read benchmark on the demo data: SQL statements and time per request.

Runs three typical partner queries through the real ASGI app (in-process, httpx) against a fresh
database with the demo data, after a warm-up, one request at a time, and prints a table. Not a
test: figures depend on the machine. Usage: `make bench` (or `python -m bench.read_queries`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from typing import Any

import httpx
from sqlalchemy import event

from app import create_app
from db import migrate, seed
from db.engine import create_engine, resolve_database_url, to_libpq_url
from db.seed import demo

QUERIES = {
    "company directory (50, Ortsteil + WZ prefix, networks)": """{
      companies(first: 50, filter: {ortsteil: LICHTENBERG}) { totalCount edges { cursor node {
        name address { street postalCode ortsteil { name } } industry { code title }
        networks { edges { role node { name } } } } } } }""",
    "network page (20 members, next 10 events with venue)": """{
      network(slug: "unternehmensnetzwerk-herzbergstrasse") { name description
        members(first: 20) { totalCount edges { role memberSince node { name } } }
        events(first: 10) { edges { node { title startsAt
          venue { name address { street } space { title } } } } } } }""",
    "newsletter (100 events with venue, host, network)": """{
      events(first: 100) { edges { node { title startsAt endsAt status
        venue { name onlineUrl address { street postalCode } } host { name } network { name } } } } }""",
}
RUNS = 200


async def main() -> None:
    admin_url = resolve_database_url()
    name = f"upl_bench_{int(time.time())}"
    import asyncpg

    connection = await asyncpg.connect(to_libpq_url(admin_url))
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    await seed.load(engine, demo.build(dt.date.today()))
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    app = create_app(engine=engine)
    rows: list[tuple[str, int, float, float]] = []
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        app.state.read_pool.listeners.append(statements.append)
        for label, text in QUERIES.items():

            async def run(body: dict[str, Any] = {"query": text}) -> None:  # noqa: B006
                response = await client.post("/graphql", json=body)
                assert response.status_code == 200 and "errors" not in response.json(), response.text

            for _ in range(20):
                await run()
            statements.clear()
            await run()
            count = len(statements)
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                await run()
                times.append((time.perf_counter() - start) * 1000)
            rows.append((label, count, statistics.median(times), sorted(times)[int(RUNS * 0.99) - 1]))
    await engine.dispose()
    connection = await asyncpg.connect(to_libpq_url(admin_url))
    await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await connection.close()
    print(f"demo data, {RUNS} sequential requests per query after warm-up, Python {sys.version.split()[0]}")
    print("| query | SQL statements / request | median ms | p99 ms |")
    print("|---|---|---|---|")
    for label, count, median, p99 in rows:
        print(f"| {label} | {count} | {median:.1f} | {p99:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
