"""`make bench`, second part: how soon a committed write is seen through the response cache.

Two `uvicorn` processes of ours (response cache on, each with its own change-notification
listener) serve the benchmark database. Readers hammer a cached public read on each process
while another process commits a new version of the network now and then. For every commit
and process: the time from the commit's return to the first answer of that process with the
new version, and whether any reader ever got an older version after a newer one. The issue's
bound is 100 ms; the report gives the median, the 95th percentile and the maximum.

Environment: BENCH_DATABASE_URL (as bench.load), BENCH_COMMITS (default 50).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import asyncpg
import httpx

from bench.load import RESULTS, bench_url, ours, prepare
from db.engine import to_libpq_url

COMMITS = int(os.environ.get("BENCH_COMMITS", "50"))
READERS_PER_PROCESS = 2
QUERY = '{ network(slug: "netzwerk-1") { version description } }'
BUMP = (
    "UPDATE networks SET version = version + 1, description = 'Stand ' || clock_timestamp() "
    "WHERE slug = 'netzwerk-1' RETURNING version"
)


async def read_forever(url: str, seen: list[tuple[float, int]], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            body = (await client.post(url, json={"query": QUERY})).json()
            seen.append((time.monotonic(), body["data"]["network"]["version"]))


async def measure(urls: list[str], database: str) -> tuple[list[float], bool, int]:
    stop = asyncio.Event()
    seen: dict[int, list[tuple[float, int]]] = {i: [] for i in range(len(urls) * READERS_PER_PROCESS)}
    readers = [asyncio.create_task(read_forever(urls[i // READERS_PER_PROCESS], seen[i], stop)) for i in seen]
    writer = await asyncpg.connect(database)
    commits: list[tuple[float, int]] = []
    try:
        await asyncio.sleep(1)  # the readers are warm and every process has the entry cached
        for _ in range(COMMITS):
            version = await writer.fetchval(BUMP)
            commits.append((time.monotonic(), version))
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(*readers)
        await writer.close()
    delays: list[float] = []
    for process in range(len(urls)):
        answers = sorted(
            answer
            for i in range(process * READERS_PER_PROCESS, (process + 1) * READERS_PER_PROCESS)
            for answer in seen[i]
        )
        for committed_at, version in commits:
            first = next((at for at, seen_version in answers if at >= committed_at and seen_version >= version), None)
            if first is not None:
                delays.append((first - committed_at) * 1000)
    monotonic = all([v for _, v in answers] == sorted(v for _, v in answers) for answers in seen.values())
    return delays, monotonic, sum(len(answers) for answers in seen.values())


def main() -> None:
    url = bench_url()
    asyncio.run(prepare(url))
    servers = [ours(1, url, cache=True) for _ in range(2)]
    try:
        delays, monotonic, requests = asyncio.run(measure([s.url for s in servers], to_libpq_url(url)))
    finally:
        for server in servers:
            server.stop()
    ranked = sorted(delays)
    p95 = ranked[int(0.95 * (len(ranked) - 1))]
    lines = [
        "",
        f"Change visibility through the response cache: {COMMITS} commits from another process, 2 processes "
        f"of ours with {READERS_PER_PROCESS} readers each ({requests} requests); time from the commit's "
        "return to the first answer with the new version, per commit and process:",
        "",
        "| commits seen | median ms | p95 ms | max ms | never older after newer |",
        "|---|---|---|---|---|",
        f"| {len(delays)} of {2 * COMMITS} | {statistics.median(delays):.1f} | {p95:.1f} | {max(delays):.1f} | "
        f"{'yes' if monotonic else 'NO'} |",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "visibility.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if len(delays) != 2 * COMMITS or not monotonic:
        raise SystemExit("a commit was not seen, or an older answer came after a newer one")


if __name__ == "__main__":
    main()
