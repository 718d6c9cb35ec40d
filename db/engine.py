"""Database URLs and engines.

Reads run on an AUTOCOMMIT view of the engine: no BEGIN/ROLLBACK round trips around a SELECT.
Writes use `engine.begin()`: one transaction per mutation (resolvers/editing.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.embedded import start_embedded_server

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
    url = os.environ.get("DATABASE_URL")
    if url:
        return to_asyncpg_url(url)
    data_dir = data_dir or Path(os.environ.get("UPL_DATA_DIR", DEFAULT_DATA_DIR))
    return to_asyncpg_url(start_embedded_server(data_dir))


STATEMENT_TIMEOUT_MS = int(os.environ.get("UPL_STATEMENT_TIMEOUT_MS", "5000"))
"""No statement may pin a connection (and a worker) longer than this."""


POOL_SIZE = int(os.environ.get("UPL_DB_POOL_SIZE", "20"))
"""Connections kept open per process. It must cover the concurrent requests of a busy worker:
a connection above it is closed when returned, and under 16 concurrent clients a pool of 10
spent ~15% of the worker reconnecting (asyncpg connect + re-preparing statements)."""


def create_engine(url: str, *, pool_size: int = POOL_SIZE) -> AsyncEngine:
    """An async engine for `url`, with `pool_size` kept connections and as many again at peaks."""
    return create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping before every checkout: it was a round trip on every request. A connection that
        # died with the server fails its request (503, Retry-After) and SQLAlchemy then replaces
        # every pooled connection older than the failure (tests/operations/test_faults.py).
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": SERVER_SETTINGS},
    )


SERVER_SETTINGS = {
    "statement_timeout": str(STATEMENT_TIMEOUT_MS),
    # A planned read is one large statement whose estimated cost passes jit_above_cost, and
    # compiling it with LLVM took ~25 ms of a ~90 ms nested query on every execution (the JIT
    # code is not cached between executions); our reads are index lookups that never repay it.
    "jit": "off",
    # Under concurrent requests every core is busy already: parallel workers only add their
    # start-up (search over three tables: 67 -> 117-128 req/s with this off; bench/load.py).
    "max_parallel_workers_per_gather": "0",
}


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """A view of `engine` whose connections run in AUTOCOMMIT (sharing the same pool)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
