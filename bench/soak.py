"""`make soak`: partner reads and concurrent staff edits of the same objects, then an audit.

Starts the service under uvicorn with 2 workers on a fresh database (`upl_soak`, demo data),
runs SOAK_CLIENTS clients (32) for SOAK_SECONDS (60): three in four read partner pages, the rest
edit the same five events (read the version, send an update with it). Then it checks the
database: every acknowledged update is in the audit log and in the final versions, the final
title of each event is the last acknowledged one, and no response was a 5xx.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from bench.load import free_port, wait_for
from db import migrate, seed
from db.engine import create_engine, resolve_database_url, to_libpq_url
from db.enums import Role
from db.seed import demo
from resolvers import accounts

READS = [
    '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { name members(first: 20) { nodes { name } } events(first: 10) { nodes { title } } } }',
    "{ events(first: 50) { nodes { title startsAt venue { name } host { name } } } }",
    "{ companies(first: 30, filter: { ortsteil: LICHTENBERG }) { nodes { name address { street } } } }",
]
READ_EVENT = "query($id: ID!) { node(id: $id) { ... on Event { title version } } }"
UPDATE = "mutation($input: EventUpdateInput!) { eventUpdate(input: $input) { event { version } userErrors { code } } }"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


async def prepare(url: str) -> tuple[str, list[str]]:
    """A fresh database with the demo data, a staff token and five events to fight over."""
    libpq = to_libpq_url(url)
    name = libpq.split("?")[0].rsplit("/", 1)[1]
    admin = await asyncpg.connect(libpq.replace(f"/{name}", "/postgres", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        await seed.load(engine, demo.build(dt.date.today()))
        await accounts.create_user(engine, "soak", "soak soak soak soak", Role.STAFF)
        key = await accounts.create_key(engine, "soak", Role.STAFF, "soak")
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(libpq)
    try:
        ids = [r["id"] for r in await connection.fetch("SELECT id FROM events WHERE published ORDER BY id LIMIT 5")]
    finally:
        await connection.close()
    from schema.core.ids import encode_id

    return key.key, [encode_id("Event", pk) for pk in ids]


async def client(number: int, url: str, key: str, events: list[str], until: float, tally: Tally) -> None:
    rng = random.Random(number)
    editor = number % 4 == 0
    headers = {"authorization": f"Bearer {key}"} if editor else {}
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        sequence = 0
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                if editor:
                    event = rng.choice(events)
                    read = (await http.post(url, json={"query": READ_EVENT, "variables": {"id": event}})).json()
                    version = read["data"]["node"]["version"]
                    sequence += 1
                    title = f"Soak {number}-{sequence}"
                    response = await http.post(
                        url,
                        json={
                            "query": UPDATE,
                            "variables": {"input": {"id": event, "version": version, "title": title}},
                        },
                    )
                    body = response.json()
                    payload = (body.get("data") or {}).get("eventUpdate") or {}
                    if response.status_code >= 500:
                        tally.outcomes["5xx"] += 1
                    elif payload.get("event"):
                        tally.outcomes["update acknowledged"] += 1
                        tally.acknowledged.setdefault(event, []).append((payload["event"]["version"], title))
                    elif payload.get("userErrors"):
                        tally.outcomes[f"update {payload['userErrors'][0]['code']}"] += 1
                    else:
                        tally.outcomes[
                            "update error " + str(body.get("errors", [{}])[0].get("extensions", {}).get("code"))
                        ] += 1
                else:
                    response = await http.post(url, json={"query": rng.choice(READS)})
                    kind = (
                        "5xx"
                        if response.status_code >= 500
                        else "read ok"
                        if "errors" not in response.json()
                        else "read error"
                    )
                    tally.outcomes[kind] += 1
            except httpx.HTTPError as exc:
                tally.outcomes[f"transport {type(exc).__name__}"] += 1
            tally.latencies.append(time.monotonic() - started)


async def audit(url: str, events: list[str], tally: Tally) -> list[str]:
    """What the database says against what the clients were told; returns the problems found."""
    from schema.core.ids import decode_id

    problems = []
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        for event in events:
            pk = decode_id(event)[1]
            row = await connection.fetchrow("SELECT title, version FROM events WHERE id = $1", pk)
            updates = await connection.fetchval(
                "SELECT count(*) FROM audit_log WHERE object_type = 'Event' AND object_id = $1 AND action = 'update'",
                pk,
            )
            told = sorted(tally.acknowledged.get(event, []))
            if updates != len(told):
                problems.append(f"{event}: {len(told)} acknowledged updates, {updates} in the audit log")
            if row["version"] != 1 + len(told):
                problems.append(f"{event}: version {row['version']}, expected {1 + len(told)}")
            if told and row["title"] != told[-1][1]:
                problems.append(f"{event}: title {row['title']!r}, last acknowledged {told[-1][1]!r}")
            if len({version for version, _ in told}) != len(told):
                problems.append(f"{event}: two updates were told the same version")
    finally:
        await connection.close()
    if tally.outcomes["5xx"]:
        problems.append(f"{tally.outcomes['5xx']} responses were 5xx")
    return problems


def run(seconds: int, clients: int, url: str | None = None) -> dict[str, Any]:
    if url is None:
        admin = resolve_database_url()
        base, _, query = admin.partition("?")
        url = base.rsplit("/", 1)[0] + "/upl_soak" + (f"?{query}" if query else "")
    key, events = asyncio.run(prepare(url))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, "DATABASE_URL": url, "UPL_RATE_LIMIT": "0"},
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}/graphql"
    try:
        wait_for(endpoint, {"query": "{ __typename }"})
        tally = Tally()

        async def drive() -> None:
            until = time.monotonic() + seconds
            await asyncio.gather(*(client(n, endpoint, key, events, until, tally) for n in range(clients)))

        asyncio.run(drive())
    finally:
        server.terminate()
        server.wait(timeout=30)
    problems = asyncio.run(audit(url, events, tally))
    latencies = sorted(tally.latencies)
    report = {
        "seconds": seconds,
        "clients": clients,
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "outcomes": dict(tally.outcomes),
        "problems": problems,
    }
    return report


def main() -> None:
    report = run(int(os.environ.get("SOAK_SECONDS", "60")), int(os.environ.get("SOAK_CLIENTS", "32")))
    print(json.dumps(report, indent=2))
    if report["problems"]:
        raise SystemExit("soak found problems")


if __name__ == "__main__":
    main()
