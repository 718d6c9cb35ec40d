"""Change notifications keep the response cache's generations in memory (db/generations.py): a hit
costs no statement; a lost listener falls back to reading them per request, then resynchronises;
another process's commit is seen soon on every process, never an older answer after a newer one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from settings import Settings
from tests.conftest import Api, ServedProcess, serve_api

QUERY = '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { version description } }'


@pytest.fixture
async def cached(edit_database_url: str) -> AsyncIterator[Api]:
    async for api in serve_api(edit_database_url, settings=Settings(response_cache=True, rate_limit=False)):
        yield api


async def eventually(condition: object, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the generous bound"
        await asyncio.sleep(0.02)


async def bump(url: str) -> int:
    """Another process's write: a committed UPDATE straight in PostgreSQL; the new version."""
    connection = await asyncpg.connect(url)
    try:
        version: int = await connection.fetchval(
            "UPDATE networks SET version = version + 1, description = 'Stand ' || clock_timestamp() "
            "WHERE slug = 'unternehmensnetzwerk-herzbergstrasse' RETURNING version"
        )
        return version
    finally:
        await connection.close()


async def test_a_lost_listener_falls_back_then_resynchronises(cached: Api, edit_database_url: str) -> None:
    watcher = cached.app.state.generations
    await cached.query(QUERY)
    cached.counter.reset()
    await cached.query(QUERY)
    assert cached.counter.count == 0 and watcher.synced  # a hit, no statement

    admin = await asyncpg.connect(edit_database_url)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", watcher.connection.get_server_pid())
    finally:
        await admin.close()
    await eventually(lambda: not watcher.synced)
    written = await bump(edit_database_url)  # missed by the listener: it is down
    cached.counter.reset()
    seen = await cached.query(QUERY)
    assert seen["network"]["version"] == written  # the fallback read the generations, so no stale hit
    assert cached.counter.count >= 1

    await eventually(lambda: watcher.synced)  # reconnected and re-read the table
    cached.counter.reset()
    again = await cached.query(QUERY)
    assert again == seen and cached.counter.count == 0
    newer = await bump(edit_database_url)  # and the listener hears of this one again
    for _ in range(250):
        latest = await cached.query(QUERY)
        if latest["network"]["version"] == newer:
            break
        await asyncio.sleep(0.02)
    assert latest["network"]["version"] == newer


def test_every_process_sees_a_commit_soon_and_never_goes_back(edit_database_url: str) -> None:
    """Readers hammer the cached query on two `upl serve` processes while another process commits
    versions one after another: each reader's versions never decrease, and each process shows
    the last commit within the (generous) bound."""
    servers = [ServedProcess(edit_database_url, env={"UPL_RATE_LIMIT": "0"}) for _ in range(2)]
    seen: dict[int, list[int]] = {0: [], 1: []}
    stop = threading.Event()

    def read(index: int) -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                body = client.post(servers[index].url, json={"query": QUERY}).json()
                seen[index].append(body["data"]["network"]["version"])

    readers = [threading.Thread(target=read, args=(i,)) for i in (0, 1)]
    try:
        for reader in readers:
            reader.start()
        last = 0
        for _ in range(10):
            last = asyncio.run(bump(edit_database_url))
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while any(not versions or versions[-1] != last for versions in seen.values()):
            assert time.monotonic() < deadline, {i: v[-3:] for i, v in seen.items()}
            time.sleep(0.02)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        for server in servers:
            server.stop()
    for versions in seen.values():
        assert versions == sorted(versions), versions  # never an older answer after a newer one
        assert len(versions) > 20  # the readers really hammered it


# --- bearer keys: remembered per process, forgotten on every process when they change --------

TYPENAME = "{ __typename }"


async def fresh_key(url: str, name: str, username: str | None = None) -> tuple[dict[str, str], str]:
    """A new key (staff when it belongs to `username`): its headers and its prefix."""
    from db.engine import create_engine
    from db.enums import Role
    from resolvers import accounts

    engine = create_engine(url)
    try:
        created = await accounts.create_key(engine, name, Role.PARTNER if username is None else Role.STAFF, username)
    finally:
        await engine.dispose()
    return {"authorization": f"Bearer {created.key}"}, created.prefix


async def sql(url: str, statement: str, *args: object) -> object:
    """A statement on a connection of its own: another process's write, as far as the app knows."""
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(statement, *args)
    finally:
        await connection.close()


async def status(api: Api, headers: dict[str, str]) -> int:
    return (await api.post(TYPENAME, headers=headers)).status_code


@pytest.fixture
async def keyed(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> AsyncIterator[Api]:
    async for api in serve_api(edit_database_url):
        yield api


async def test_a_known_key_costs_no_statement_and_its_revocation_is_heard(keyed: Api, edit_database_url: str) -> None:
    headers, prefix = await fresh_key(edit_database_url, "Revoked soon")
    _, first = await keyed.count_statements(TYPENAME, headers=headers)
    _, again = await keyed.count_statements(TYPENAME, headers=headers)
    assert first >= 1 and again == 0  # the second request did not look the key up

    await sql(edit_database_url, "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1", prefix)
    seen: list[int] = []

    async def refused() -> bool:
        seen.append(await status(keyed, headers))
        return seen[-1] == 401

    deadline = time.monotonic() + 10
    while not await refused():
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.02)


async def test_a_disabled_user_s_key_is_refused_once_heard(keyed: Api, edit_database_url: str) -> None:
    from db.engine import create_engine
    from db.enums import Role
    from resolvers import accounts

    engine = create_engine(edit_database_url)
    try:
        await accounts.create_user(engine, "leaving", "a long enough password", Role.STAFF)
    finally:
        await engine.dispose()
    headers, _ = await fresh_key(edit_database_url, "Leaving's token", "leaving")
    assert await status(keyed, headers) == 200
    await sql(edit_database_url, "UPDATE users SET disabled_at = now() WHERE username = 'leaving'")
    deadline = time.monotonic() + 10
    while await status(keyed, headers) != 401:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def test_a_last_use_changes_no_generation(edit_database_url: str) -> None:
    """The minute-by-minute `last_used_at` write keeps every process's remembered keys."""
    _, prefix = await fresh_key(edit_database_url, "Used often")
    query = "SELECT coalesce((SELECT generation FROM data_generations WHERE table_name = 'api_keys'), 0)"
    before = await sql(edit_database_url, query)
    await sql(edit_database_url, "UPDATE api_keys SET last_used_at = now() WHERE prefix = $1", prefix)
    await sql(edit_database_url, "UPDATE api_keys SET origins = origins WHERE prefix = $1", prefix)
    assert await sql(edit_database_url, query) == before  # neither a last use nor an update that changes nothing
    await sql(edit_database_url, "UPDATE api_keys SET name = 'Used less' WHERE prefix = $1", prefix)
    assert await sql(edit_database_url, query) == before + 1  # type: ignore[operator]


async def test_keys_are_looked_up_while_the_listener_is_down(keyed: Api, edit_database_url: str) -> None:
    headers, prefix = await fresh_key(edit_database_url, "Fallback")
    watcher = keyed.app.state.generations
    assert await status(keyed, headers) == 200
    await sql(edit_database_url, "SELECT pg_terminate_backend($1)", watcher.connection.get_server_pid())
    await eventually(lambda: not watcher.synced)
    await sql(edit_database_url, "UPDATE api_keys SET revoked_at = now() WHERE prefix = $1", prefix)
    assert await status(keyed, headers) == 401  # not from memory: the revocation was missed
