"""Migrations up and down on a real server, the committed SDL, and the `upl` command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from db import migrate
from db.engine import to_libpq_url
from schema.compose import default_schema
from tests.conftest import Server, upl

schema = default_schema()

ROOT = Path(__file__).resolve().parents[2]


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await connection.close()


def test_upgrade_downgrade_upgrade(pg_server: Server) -> None:
    url = pg_server.create_database("upl_migrations")
    migrate.upgrade(url)
    tables = asyncio.run(_tables(url))
    assert {"companies", "networks", "spaces", "projects", "events", "contact_persons", "alembic_version"} <= tables
    migrate.downgrade(url, "base")
    assert asyncio.run(_tables(url)) == {"alembic_version"}
    migrate.upgrade(url)

    async def check() -> None:
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT count(*) FROM ortsteile") == 10
            assert await connection.fetchval("SELECT version_num FROM alembic_version") == migrate.head_revision()
        finally:
            await connection.close()

    asyncio.run(check())


def test_committed_sdl_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed.strip() == schema.as_str().strip(), "schema.graphql is stale: run `make schema`"


def test_upl_schema_prints_the_sdl() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "schema"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "type Query" in result.stdout
    assert result.stdout.strip() == schema.as_str().strip()


def test_seed_refuses_a_non_empty_database(pg_server: Server, demo_database_url: str) -> None:
    result = upl(demo_database_url, "db", "seed", "--demo")
    assert result.returncode != 0
    assert "already holds portal data" in result.stderr


TABLES_CHECKED = ("companies", "networks", "network_memberships", "spaces", "projects", "events", "contact_persons")


def _fingerprint(url: str) -> dict[str, Any]:
    """Row counts and a checksum of every portal table."""

    async def fetch() -> dict[str, Any]:
        connection = await asyncpg.connect(url)
        try:
            result = {}
            for table in TABLES_CHECKED:
                result[table] = await connection.fetchval(
                    f"SELECT count(*)::text || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
                )
            return result
        finally:
            await connection.close()

    return asyncio.run(fetch())


def test_migrations_down_and_up_keep_the_data(pg_server: Server, today: Any) -> None:
    from db.seed import demo
    from tests.conftest import _prepared_database

    url = _prepared_database(pg_server, "upl_migdata", demo.build(today))
    before = _fingerprint(url)
    migrate.downgrade(url, "0001")
    migrate.upgrade(url)
    after = _fingerprint(url)
    # same rows, same values: the columns later revisions add come back at their defaults
    assert after == before
    assert after["companies"].split(":")[0] != "0"


def _unanalyzed_tables(url: str) -> list[str]:
    async def fetch() -> list[str]:
        connection = await asyncpg.connect(to_libpq_url(url))
        try:
            rows = await connection.fetch(
                "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0 AND last_analyze IS NULL ORDER BY 1"
            )
            return [r[0] for r in rows]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def test_backup_and_restore_into_a_fresh_database(pg_server: Server, demo_database_url: str, tmp_path: Any) -> None:
    archive = tmp_path / "upl.dump"
    done = upl(demo_database_url, "db", "backup", str(archive))
    assert done.returncode == 0, done.stderr
    assert archive.stat().st_size > 10_000
    fresh = pg_server.create_database("upl_restored")
    restored = upl(fresh, "db", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert _fingerprint(fresh) == _fingerprint(demo_database_url)
    assert _unanalyzed_tables(fresh) == []  # restore ends with ANALYZE: pg_restore brings no statistics
    again = upl(fresh, "db", "restore", str(archive))
    assert again.returncode != 0  # not into a database that already holds the data
