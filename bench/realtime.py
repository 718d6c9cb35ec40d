"""`make bench-realtime`: subscribers of the change feed on one worker, and how late they hear.

One `uvicorn` process of ours (1 worker) serves the benchmark database. N WebSocket clients
(`graphql-transport-ws`, the `websockets` library, anonymous) subscribe to `changes`, split over
three documents (three shared producers); then a writer on another connection updates published events at a
steady rate. For every commit and subscriber: the time from the commit's return to the delivery
of its change. The report gives p50/p99/max latency, the worker's CPU and resident memory per
subscriber, and the SQL transactions the database ran per change (from `pg_stat_database`).

Environment: BENCH_DATABASE_URL (as bench.load), BENCH_SUBSCRIBERS (default "1000,5000"),
BENCH_REALTIME_COMMITS (default 20), BENCH_REALTIME_RATE (commits per second, default 2).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from pathlib import Path

import asyncpg
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench.load import RESULTS, bench_url, ours, prepare
from db.engine import to_libpq_url
from schema.core.ids import encode_id

SUBSCRIBERS = [int(n) for n in os.environ.get("BENCH_SUBSCRIBERS", "1000,5000").split(",") if n.strip()]
COMMITS = int(os.environ.get("BENCH_REALTIME_COMMITS", "20"))
RATE = float(os.environ.get("BENCH_REALTIME_RATE", "2"))
DOCUMENTS = (
    "subscription { changes(types: [EVENT]) { node { objectId } } }",
    "subscription { changes(types: [EVENT]) { cursor node { objectId action } } }",
    "subscription Feed { changes { node { objectId type at } } }",
)
"""The subscribers are split over these (each a producer of its own); each hears every change."""
BUMP = (
    "UPDATE events SET version = version + 1 WHERE id = (SELECT id FROM events WHERE published AND deleted_at IS NULL "
    "ORDER BY id OFFSET $1 LIMIT 1) RETURNING id"
)


async def subscriber(
    url: str, document: str, ready: asyncio.Semaphore, heard: dict[str, float], stop: asyncio.Event
) -> None:
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=60) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        await socket.recv()
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
        ready.release()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message.get("type") == "next":
                heard.setdefault(message["payload"]["data"]["changes"]["node"]["objectId"], time.monotonic())


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


async def transactions(database: asyncpg.Connection) -> int:
    return int(await database.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))


async def run(count: int, url: str, database_url: str) -> dict[str, float]:
    os.environ["UPL_MAX_SUBSCRIPTIONS_PER_KEY"] = str(count)  # every subscriber comes from this one address
    server = ours(1, url)
    try:
        ws = server.url.replace("http://", "ws://")
        pid = server.process.pid
        before = rss_mb(pid)
        ready, stop = asyncio.Semaphore(0), asyncio.Event()
        heard: list[dict[str, float]] = [{} for _ in range(count)]
        clients = []
        for i in range(count):  # connect gradually: a burst of thousands of handshakes is another benchmark
            document = DOCUMENTS[i % len(DOCUMENTS)]
            clients.append(asyncio.create_task(subscriber(ws, document, ready, heard[i], stop)))
            if i % 200 == 199:
                await asyncio.sleep(0.2)
        for _ in range(count):
            await asyncio.wait_for(ready.acquire(), timeout=120)
        await asyncio.sleep(1)
        memory = (rss_mb(pid) - before) * 1024 / count
        writer = await asyncpg.connect(database_url)
        commits: list[tuple[str, float]] = []
        cpu_start, xact_start = server.cpu_seconds(), await transactions(writer)
        for n in range(COMMITS):
            event_id = await writer.fetchval(BUMP, n)
            commits.append((encode_id("Event", event_id), time.monotonic()))
            await asyncio.sleep(1 / RATE)
        await asyncio.sleep(3)
        cpu = server.cpu_seconds() - cpu_start
        xacts = await transactions(writer) - xact_start - COMMITS
        await writer.close()
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
    finally:
        server.stop()
    delays = [(seen[oid] - at) * 1000 for oid, at in commits for seen in heard if oid in seen]
    ranked = sorted(delays)
    return {
        "subscribers": count,
        "delivered": len(delays),
        "expected": count * COMMITS,
        "p50": statistics.median(ranked) if ranked else float("nan"),
        "p99": ranked[int(0.99 * (len(ranked) - 1))] if ranked else float("nan"),
        "max": ranked[-1] if ranked else float("nan"),
        "cpu": cpu / (COMMITS / RATE + 3),
        "kb": memory,
        "statements": xacts / COMMITS,
    }


def main() -> None:
    url = bench_url()
    asyncio.run(prepare(url))
    rows = [asyncio.run(run(count, url, to_libpq_url(url))) for count in SUBSCRIBERS]
    lines = [
        "",
        f"Change-feed subscribers on one worker: {COMMITS} commits at {RATE:g}/s from another connection; time from "
        "the commit's return to each subscriber's delivery; CPU share of the worker while the commits ran; "
        "resident memory added per subscriber; database transactions per change (besides the writer's):",
        "",
        "| subscribers | delivered | p50 ms | p99 ms | max ms | worker CPU | KB per subscriber | statements per change |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['subscribers']:,} | {row['delivered']:,} of {row['expected']:,} | {row['p50']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} | {row['cpu']:.0%} | {row['kb']:.0f} | {row['statements']:.0f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "realtime.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
