"""Private servers for the operations tests, on loopback ports: a PostgreSQL primary with a
streaming standby (Debian's PostgreSQL 15 binaries, `pg_basebackup -R`) and a Redis. The machine's
own PostgreSQL and Redis are never stopped; these are started and stopped at will."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from bench.load import free_port
from db import migrate, seed
from db.engine import create_engine
from db.enums import Role
from db.seed import demo
from resolvers import accounts

PG_BIN = Path("/usr/lib/postgresql/15/bin")
needs_standby_tools = pytest.mark.skipif(
    not (PG_BIN / "pg_basebackup").exists(), reason="needs Debian's PostgreSQL 15 server binaries (postgresql-15)"
)
needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Debian's redis-server")


def as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the `postgres` system user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class Instance:
    directory: Path
    port: int

    @property
    def log(self) -> Path:
        return self.directory.parent / f"{self.directory.name}.log"

    def url(self, database: str = "upl") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        subprocess.run(
            as_postgres(
                str(PG_BIN / "pg_ctl"), "-D", str(self.directory), "-l", str(self.log), "-w", "-t", "60", "start"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory), "-m", mode, "-w", "stop"),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def configure(self, **settings: str) -> None:
        with (self.directory / "postgresql.auto.conf").open("a") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = '{value}'\n")

    def reload(self) -> None:
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory), "reload"),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def statements_logged(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Instance, Instance]]:
    root = Path(tempfile.mkdtemp(prefix="upl-replica-"))  # not under pytest's 0700 directory: postgres must enter
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    primary = Instance(root / "primary", free_port())
    subprocess.run(
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(primary.directory), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    common = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(root), "fsync": "off"}
    primary.configure(port=str(primary.port), **common)
    primary.start()
    subprocess.run(["psql", primary.url("postgres"), "-qc", "CREATE DATABASE upl"], check=True)
    standby = Instance(root / "standby", free_port())
    subprocess.run(
        as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.directory),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",  # not a spread checkpoint: that waits most of a minute and a half
        ),
        check=True,
    )
    standby.configure(port=str(standby.port), hot_standby="on", log_statement="all", **common)
    standby.start()
    try:
        yield primary, standby
    finally:
        standby.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def staff_key(cluster: tuple[Instance, Instance]) -> str:
    primary, _ = cluster

    async def prepare() -> str:
        await asyncio.to_thread(migrate.upgrade, primary.url())
        engine = create_engine(primary.url(), pool_size=1)
        try:
            await seed.load(engine, demo.build(dt.date.today()))
            await accounts.create_user(engine, "replica", "long enough password", Role.STAFF)
            key = (await accounts.create_key(engine, "replica token", Role.STAFF, "replica")).key
            async with engine.connect() as connection:  # from here on, the primary logs statements too
                await connection.exec_driver_sql("COMMIT")
                await connection.exec_driver_sql("ALTER SYSTEM SET log_statement = 'all'")
                await connection.exec_driver_sql("SELECT pg_reload_conf()")
            return key
        finally:
            await engine.dispose()

    return asyncio.run(prepare())


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def keys(self) -> int:
        return int(redis.Redis.from_url(self.url).dbsize())


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of the test's own, empty, that the test may stop and start."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
