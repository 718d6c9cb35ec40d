"""Database URLs and engines.

Reads run on an AUTOCOMMIT view of the engine: no BEGIN/ROLLBACK round trips around a SELECT.
Writes use `engine.begin()`: one transaction per mutation (resolvers/editing.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db import statements
from db.embedded import start_embedded_server
from settings import DATABASE_URL, UPL_DATA_DIR, UPL_DB_POOL_SIZE, UPL_PGBOUNCER, UPL_STATEMENT_TIMEOUT_MS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / ".data" / "pg"


def to_asyncpg_url(url: str) -> str:
    """Accept the plain libpq form (`postgresql://`, `postgres://`) or `postgresql+asyncpg://`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://user:pass@host:port/db")
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use postgresql://")


def to_libpq_url(url: str) -> str:
    """The same URL in the plain form that libpq tools (psql, pg_dump) understand."""
    return "postgresql://" + url.partition("://")[2]


def resolve_database_url(data_dir: Path | None = None) -> str:
    """`DATABASE_URL` when set; otherwise the embedded server's URL (started on demand)."""
    url = DATABASE_URL.read()
    if url:
        return to_asyncpg_url(url)
    data_dir = data_dir or Path(UPL_DATA_DIR.read() or DEFAULT_DATA_DIR)
    return to_asyncpg_url(start_embedded_server(data_dir))


def statement_timeout_ms() -> int:
    """No statement may pin a connection (and a worker) longer than this."""
    return UPL_STATEMENT_TIMEOUT_MS.read()


def default_pool_size() -> int:
    """Connections kept open per process. It must cover the concurrent requests of a busy worker:
    a connection above it is closed when returned, and under 16 concurrent clients a pool of 10
    spent ~15% of the worker reconnecting (asyncpg connect + re-preparing statements)."""
    return UPL_DB_POOL_SIZE.read()


def behind_pgbouncer() -> bool:
    """PgBouncer in transaction mode hands each transaction any server connection: nothing may
    live on a connection between transactions (named prepared statements, session settings)."""
    return bool(UPL_PGBOUNCER.read())


def connect_args() -> dict[str, Any]:
    """asyncpg's arguments: our session settings, or, behind PgBouncer, none of them (PgBouncer
    1.18 refuses unknown startup parameters: set them on the role instead, see the README) and
    no statement cache, with uniquely named statements, as SQLAlchemy's asyncpg dialect advises."""
    if not behind_pgbouncer():
        return {"server_settings": server_settings()}
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__upl_{uuid.uuid4().hex}__",
    }


def create_engine(url: str, *, pool_size: int | None = None) -> AsyncEngine:
    """An async engine for `url`, with `pool_size` kept connections and as many again at peaks."""
    size = pool_size or default_pool_size()
    engine = create_async_engine(
        to_asyncpg_url(url),
        pool_size=size,
        max_overflow=size,
        # No ping before every checkout: it was a round trip on every request. A connection that
        # died with the server fails its request (503, Retry-After) and SQLAlchemy then replaces
        # every pooled connection older than the failure (tests/operations/test_faults.py).
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args=connect_args(),
    )
    statements.count_on(engine)
    return engine


def server_settings() -> dict[str, str]:
    """Session settings of every connection we open."""
    return {**SERVER_SETTINGS, "statement_timeout": str(statement_timeout_ms())}


SERVER_SETTINGS = {
    # A planned read is one large statement whose estimated cost passes jit_above_cost, and
    # compiling it with LLVM took ~25 ms of a ~90 ms nested query on every execution (the JIT
    # code is not cached between executions); our reads are index lookups that never repay it.
    "jit": "off",
    # Under concurrent requests every core is busy already: parallel workers only add their
    # start-up (search over three tables: 67 -> 117-128 req/s with this off; bench/load.py).
    "max_parallel_workers_per_gather": "0",
}


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """A view of `engine` whose connections run in AUTOCOMMIT (sharing the same pool).

    Not behind PgBouncer: SQLAlchemy's asyncpg dialect prepares a statement and executes it in
    two round trips, and outside a transaction PgBouncer may hand the second to another server
    connection ("prepared statement ... does not exist"); in a transaction both go to one."""
    if behind_pgbouncer():
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")
