"""Test fixtures: a real PostgreSQL (embedded by default, `TEST_DATABASE_URL` for another server),
fresh databases per test session, the real ASGI app driven through httpx.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import strawberry
import uvicorn
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from bench.load import free_port
from db import migrate, seed
from db.embedded import start_embedded_server
from db.engine import create_engine, to_libpq_url
from db.seed import demo, synthetic
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def upl(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `upl` command line against database `url`, as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env
    )


SYNTHETIC_COMPANIES = 5000


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(to_libpq_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


class Server:
    """A PostgreSQL server on which the tests create (and drop) their own databases."""

    def __init__(self) -> None:
        external = os.environ.get("TEST_DATABASE_URL")
        if external:
            self.admin_url = to_libpq_url(external)
        else:
            self.admin_url = start_embedded_server(ROOT / ".data" / "pg-test", "postgres")
        self.created: list[str] = []

    def create_database(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            connection = await asyncpg.connect(self.admin_url)
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())
        self.created.append(name)
        return _with_database(self.admin_url, name)

    def drop_all(self) -> None:
        async def drop() -> None:
            connection = await asyncpg.connect(self.admin_url)
            try:
                for name in self.created:
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await connection.close()

        asyncio.run(drop())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.drop_all()


def _prepared_database(server: Server, prefix: str, rows: dict[str, list[dict[str, Any]]]) -> str:
    url = server.create_database(prefix)
    migrate.upgrade(url)

    async def load() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            await seed.load(engine, rows)
        finally:
            await engine.dispose()

    asyncio.run(load())
    return url


@pytest.fixture(scope="session")
def today() -> dt.date:
    return dt.date.today()


@pytest.fixture(scope="session")
def demo_database_url(pg_server: Server, today: dt.date) -> str:
    """A database with the migrations applied and the demo data loaded (read-only for tests)."""
    return _prepared_database(pg_server, "upl_demo", demo.build(today))


@pytest.fixture(scope="session")
def synthetic_database_url(pg_server: Server, today: dt.date) -> str:
    return _prepared_database(pg_server, "upl_synth", synthetic.build(SYNTHETIC_COMPANIES, today))


class StatementCounter:
    """Counts the SQL statements an engine sends (BEGIN/ROLLBACK included, if any were sent)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def watch(self, app: Any) -> StatementCounter:
        """Also count what the app's read pool sends (planned reads after their first run)."""
        app.state.read_pool.listeners.append(self.statements.append)
        return self

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


class Api:
    """The real app behind an httpx client, with helpers for GraphQL calls."""

    def __init__(self, client: httpx.AsyncClient, counter: StatementCounter, app: Any = None) -> None:
        self.client = client
        self.counter = counter
        self.app = app

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """`data` of a query that must succeed."""
        response = await self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """`errors` of a query that must fail."""
        response = await self.post(query, variables, headers)
        assert response.status_code in (200, 400), response.text
        errors: list[dict[str, Any]] = response.json()["errors"]
        return errors

    async def count_statements(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], int]:
        self.counter.reset()
        data = await self.query(query, variables, headers)
        return data, self.counter.count


NO_RESPONSE_CACHE = Settings(response_cache=False, planner=False)
"""The resolver (DataLoader) path, whose statement counts the tests pin. A response cache hit costs
no statement and the planner answers plannable reads with one: tests/web/test_delivery.py and
tests/planner/test_planner.py pin those."""


async def serve_api(
    url: str, schema: strawberry.Schema | None = None, settings: Settings = NO_RESPONSE_CACHE
) -> AsyncIterator[Api]:
    """The app (with `schema`, by default the full one) on database `url`, as an `Api`."""
    engine = create_engine(url)
    counter = StatementCounter(engine)
    app = create_app(engine=engine, schema=schema, settings=settings)
    async with app.router.lifespan_context(app):
        counter.watch(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client, counter, app)
    await engine.dispose()


@pytest.fixture(scope="session")
async def api(demo_database_url: str) -> AsyncIterator[Api]:
    async for value in serve_api(demo_database_url):
        yield value


@pytest.fixture(scope="session")
async def synthetic_api(synthetic_database_url: str) -> AsyncIterator[Api]:
    async for value in serve_api(synthetic_database_url):
        yield value


class LiveServer:
    """The real app under a real uvicorn on a free loopback port, in a thread of this process.

    In-process, so a test can count the SQL statements the served requests send.
    """

    def __init__(self, database_url: str, settings: Settings = NO_RESPONSE_CACHE) -> None:
        self.app = create_app(database_url, settings=settings)
        self.port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.counter: StatementCounter | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self.counter = StatementCounter(self.app.state.engine).watch(self.app)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def wait_until_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> bool:
    """Whether the server at `base` answers `/readyz` with 200 before `seconds` pass (False
    at once when its process has exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


class ServedProcess:
    """`upl serve` in a process of its own, as an operator starts it: a request that pins its
    worker cannot stall the tests, and the process's log can be read (`log()`)."""

    def __init__(
        self,
        database_url: str,
        env: dict[str, str] | None = None,
        log_level: str = "warning",
        args: tuple[str, ...] = (),
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"upl-serve-{uuid.uuid4().hex[:8]}.log"
        self.log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(self.port), "--log-level", log_level, *args],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        if not wait_until_ready(self.base, self.process):
            self.stop()
            raise RuntimeError(f"upl serve did not start: {self.log()[-2000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/graphql"

    def log(self) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process is gone at once, with whatever it had in flight."""
        self.process.kill()
        self.process.wait()
        self.log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


@pytest.fixture(scope="session")
def live_server(demo_database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(demo_database_url).start()
    yield server
    server.stop()


# --- accounts and keys, on a database of its own that tests may write to ---------------------

PASSWORD = "correct horse battery"
ROLES = ("anonymous", "partner", "newsletter", "staff", "admin")


@pytest.fixture(scope="session")
def edit_database_url(pg_server: Server, today: dt.date) -> str:
    """Demo data plus accounts and keys; tests here may write (the demo database stays as seeded)."""
    url = _prepared_database(pg_server, "upl_edit", demo.build(today))
    return url


async def make_role_headers(url: str) -> dict[str, dict[str, str]]:
    """Accounts and keys in the database at `url`: HTTP headers for each role (nothing for
    anonymous, a bearer key for the others)."""
    from db.enums import Role
    from resolvers import accounts

    engine = create_engine(url)
    try:
        await accounts.create_user(engine, "anna", PASSWORD, Role.STAFF)
        await accounts.create_user(engine, "otto", PASSWORD, Role.ADMIN)
        keys = {
            "partner": await accounts.create_key(
                engine, "Partner site", Role.PARTNER, origins=["https://partner.example"]
            ),
            "newsletter": await accounts.create_key(engine, "Newsletter tool", Role.NEWSLETTER),
            "staff": await accounts.create_key(engine, "Anna's token", Role.STAFF, "anna"),
            "admin": await accounts.create_key(engine, "Otto's token", Role.ADMIN, "otto"),
        }
    finally:
        await engine.dispose()
    headers = {role: {"authorization": f"Bearer {key.key}"} for role, key in keys.items()}
    return {"anonymous": {}, **headers}


@pytest.fixture(scope="session")
async def role_headers(edit_database_url: str) -> dict[str, dict[str, str]]:
    """HTTP headers for each role in the edit database."""
    return await make_role_headers(edit_database_url)


@pytest.fixture(scope="session")
async def edit_api(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> AsyncIterator[Api]:
    async for value in serve_api(edit_database_url):
        yield value
