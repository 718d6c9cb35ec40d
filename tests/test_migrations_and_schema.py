"""Migrations up and down on a real server, the committed SDL, and the `upl` command."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg

from db import migrate
from schema import schema
from tests.conftest import Server

ROOT = Path(__file__).resolve().parent.parent


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
        [sys.executable, "-m", "upl_cli", "schema"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "type Query" in result.stdout
    assert result.stdout.strip() == schema.as_str().strip()


def test_seed_refuses_a_non_empty_database(pg_server: Server, demo_database_url: str) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": demo_database_url}
    result = subprocess.run(
        [sys.executable, "-m", "upl_cli", "db", "seed", "--demo"], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert result.returncode != 0
    assert "already holds portal data" in result.stderr
