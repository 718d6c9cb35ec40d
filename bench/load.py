"""`make bench`: the partner query mix under load, this service against PostGraphile 4 and 5.

1. A dedicated database (`upl_bench` on the embedded server, or `BENCH_DATABASE_URL`) holds
   `upl db seed --synthetic` at BENCH_COMPANIES (100,000 by default: 1,000 networks, ~280,000
   memberships, 20,000 spaces, 2,000 projects, 200,000 events); it is reused while the size fits.
2. PostGraphile 4 (`bench/peers/pg4/`) and PostGraphile 5 (`bench/peers/pg5/`: the amber preset on
   Node 22 from npm's `node@22`; npm lock files) serve a schema of views over the same tables
   (published rows only, with smart comments for keys and relations). PostGraphile 5 names keys
   `rowId`; its queries are PostGraphile 4's, translated (`for_postgraphile5`).
3. For each query of the mix, alternating, each server gets a warm-up and then a fixed-length
   `wrk` run (Debian's wrk, 2 threads, BENCH_CONNECTIONS connections), from a separate process:
   ours under uvicorn with 1 and 2 workers (planner on, response cache off: the engine is
   measured, not the cache) and each PostGraphile (one Node process). Before the runs, every
   server is asked each query and the answers of queries marked `same_answer` must agree value
   by value.
4. Reported: requests/s, p50/p90/p99 latency, SQL statements per request (ours: counted in-process;
   the PostGraphiles: counted in their own debug logs of the statements they send), peak RSS,
   PostgreSQL's own execution time of our planned statement (`EXPLAIN ANALYZE`, median of 5) and
   our worker's CPU per request (from /proc over the run), with the ratio to the faster peer.
   Results go to bench/results/latest.{json,md,png}.

Environment: BENCH_COMPANIES, BENCH_DURATION (s, default 20), BENCH_WARMUP (s, default 5),
BENCH_CONNECTIONS (16), BENCH_QUERIES (comma-separated names), BENCH_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from app import create_app
from db import migrate, seed
from db.engine import create_engine, resolve_database_url, to_libpq_url
from db.seed import synthetic
from resolvers.companies import COMPANY
from resolvers.pagination import encode_cursor
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
PEER4, PEER5 = PEERS / "pg4", PEERS / "pg5"
RESULTS = ROOT / "bench" / "results"
COMPANIES = int(os.environ.get("BENCH_COMPANIES", "100000"))
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))

PEER_VIEWS = """
DROP SCHEMA IF EXISTS postgraphile CASCADE;
CREATE SCHEMA postgraphile;
CREATE VIEW postgraphile.companies AS
  SELECT id, slug, name, legal_form, industry_code, website, street, postal_code, city, ortsteil_key, created_at
  FROM public.companies WHERE published AND deleted_at IS NULL;
CREATE VIEW postgraphile.industry_classes AS SELECT code, title, section FROM public.industry_classes;
CREATE VIEW postgraphile.networks AS
  SELECT id, slug, name, kind, founded_on FROM public.networks WHERE published AND deleted_at IS NULL;
CREATE VIEW postgraphile.network_memberships AS
  SELECT m.network_id, m.company_id, m.role, m.member_since, m.company_name FROM public.network_memberships m
  JOIN public.companies c ON c.id = m.company_id AND c.published AND c.deleted_at IS NULL;
CREATE VIEW postgraphile.events AS
  SELECT id, slug, title, kind, status, starts_at, ends_at, venue_name, street, postal_code,
         host_company_id, network_id
  FROM public.events WHERE published AND deleted_at IS NULL;
COMMENT ON VIEW postgraphile.companies IS E'@primaryKey id\\n@unique slug\\n@foreignKey (industry_code) references postgraphile.industry_classes (code)';
COMMENT ON VIEW postgraphile.industry_classes IS E'@primaryKey code';
COMMENT ON VIEW postgraphile.networks IS E'@primaryKey id\\n@unique slug';
COMMENT ON VIEW postgraphile.network_memberships IS E'@primaryKey network_id,company_id\\n@foreignKey (network_id) references postgraphile.networks (id)\\n@foreignKey (company_id) references postgraphile.companies (id)';
COMMENT ON VIEW postgraphile.events IS E'@primaryKey id\\n@foreignKey (host_company_id) references postgraphile.companies (id)\\n@foreignKey (network_id) references postgraphile.networks (id)';
"""


@dataclass
class Query:
    name: str
    ours: str
    peer: str | None
    ours_variables: dict[str, Any] | None = None
    peer_variables: dict[str, Any] | None = None
    peer5_variables: dict[str, Any] | None = None
    """PostGraphile 5's, where they differ (its cursors)."""
    same_answer: bool = False
    """Both servers must return the same values in the same order (checked before the runs)."""
    in_mix: bool = True
    cache_hits: bool = False
    """Also measured with the response cache on: a public read repeated while nothing changes."""


def mix(
    now: str, deep_cursor: str, peer_deep_cursor: str, peer5_deep_cursor: str, company_id: int, company_gid: str
) -> list[Query]:
    month = (dt.datetime.fromisoformat(now) + dt.timedelta(days=31)).isoformat()
    return [
        Query(
            "a directory",
            """{ companies(first: 50, filter: { ortsteil: LICHTENBERG, industryCode: "4" }) { nodes { name
                 address { street postalCode city } industry { code title } networks(first: 5) { nodes { name } } } } }""",
            """{ allCompanies(first: 50, orderBy: NAME_ASC, condition: { ortsteilKey: "LICHTENBERG" }) { nodes { name
                 street postalCode city industryClassByIndustryCode { code title }
                 networkMembershipsByCompanyId(first: 5) { nodes { networkByNetworkId { name } } } } } }""",
        ),
        Query(
            "b network page",
            """query($now: DateTime!) { network(slug: "netzwerk-1") { name members(first: 20) { nodes { name } }
                 events(first: 10, filter: { startsAfter: $now }) { nodes { title startsAt venue { name address { street } } } } } }""",
            """{ networkBySlug(slug: "netzwerk-1") { name networkMembershipsByNetworkId(first: 20, orderBy: [COMPANY_NAME_ASC, COMPANY_ID_ASC]) { nodes { companyByCompanyId { name } } }
                 eventsByNetworkId(first: 10, orderBy: STARTS_AT_ASC) { nodes { title startsAt venueName street } } } }""",
            {"now": now},
            cache_hits=True,
        ),
        Query(
            "c nested 50x20x10",
            """{ networks(first: 50) { nodes { name members(first: 20) { edges { role node { name
                 events(first: 10) { nodes { title startsAt } } } } } } } }""",
            """{ allNetworks(first: 50, orderBy: NAME_ASC) { nodes { name networkMembershipsByNetworkId(first: 20, orderBy: [COMPANY_NAME_ASC, COMPANY_ID_ASC]) { nodes { role
                 companyByCompanyId { name eventsByHostCompanyId(first: 10, orderBy: STARTS_AT_ASC) { nodes { title startsAt } } } } } } } }""",
            same_answer=True,
        ),
        Query(
            "d newsletter",
            """query($now: DateTime!, $to: DateTime!) { events(first: 100, filter: { startsAfter: $now, startsBefore: $to }) {
                 nodes { title startsAt venue { name address { street postalCode } } host { name } network { name } } } }""",
            """{ allEvents(first: 100, orderBy: STARTS_AT_ASC) { nodes { title startsAt venueName street postalCode
                 companyByHostCompanyId { name } networkByNetworkId { name } } } }""",
            {"now": now, "to": month},
        ),
        Query(
            "e company by node(id:)",
            """query($id: ID!) { node(id: $id) { ... on Company { name legalForm website address { street postalCode }
                 industry { title } networks(first: 10) { edges { role node { name } } } spaces(first: 10) { nodes { title } }
                 projects(first: 10) { nodes { title } } events(first: 10) { nodes { title startsAt } } } } }""",
            """query($id: BigInt!) { companyById(id: $id) { name legalForm website street postalCode
                 industryClassByIndustryCode { title } networkMembershipsByCompanyId(first: 10) { nodes { role networkByNetworkId { name } } }
                 eventsByHostCompanyId(first: 10) { nodes { title startsAt } } } }""",
            {"id": company_gid},
            {"id": str(company_id)},
            cache_hits=True,
        ),
        Query(
            "f search",
            """{ search(query: "Netzwerk Lichtenberg", first: 20) { __typename ... on Company { name } ... on Network { name }
                 ... on Event { title } } }""",
            None,
        ),
        Query(
            "g first page",
            """{ companies(first: 50) { pageInfo { endCursor } nodes { name } } }""",
            """{ allCompanies(first: 50, orderBy: NAME_ASC) { pageInfo { endCursor } nodes { name } } }""",
            in_mix=False,
            cache_hits=True,
        ),
        Query(
            "g deep page (200)",
            """query($after: String!) { companies(first: 50, after: $after) { pageInfo { endCursor } nodes { name } } }""",
            """query($after: Cursor!) { allCompanies(first: 50, after: $after, orderBy: NAME_ASC) { pageInfo { endCursor } nodes { name } } }""",
            {"after": deep_cursor},
            {"after": peer_deep_cursor},
            {"after": peer5_deep_cursor},
        ),
    ]


# --- the database -----------------------------------------------------------------------------


def bench_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    admin = resolve_database_url()
    base, _, query = admin.partition("?")
    return base.rsplit("/", 1)[0] + "/upl_bench" + (f"?{query}" if query else "")


async def prepare(url: str) -> None:
    libpq = to_libpq_url(url)
    name = libpq.split("?")[0].rsplit("/", 1)[1]
    admin = libpq.replace(f"/{name}", "/postgres", 1)
    connection = await asyncpg.connect(admin)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    await asyncio.to_thread(migrate.upgrade, url)
    connection = await asyncpg.connect(libpq)
    try:
        count = await connection.fetchval("SELECT count(*) FROM companies")
    finally:
        await connection.close()
    if count != COMPANIES:
        if count:
            raise SystemExit(f"{name} holds {count} companies, not {COMPANIES}: drop it or set BENCH_COMPANIES={count}")
        print(f"seeding {COMPANIES} companies (a minute or two) ...", flush=True)
        engine = create_engine(url)
        try:
            await seed.load(engine, synthetic.build(COMPANIES, dt.date.today()))
        finally:
            await engine.dispose()
    connection = await asyncpg.connect(libpq)
    try:
        await connection.execute(PEER_VIEWS)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def setup_values(url: str) -> dict[str, Any]:
    """A deep cursor (page 200 of companies) for both servers, and a well-linked company."""
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        row = await connection.fetchrow(
            "SELECT name, id FROM companies WHERE published AND deleted_at IS NULL ORDER BY name, id OFFSET 9949 LIMIT 1"
        )
        company_id = await connection.fetchval(
            "SELECT company_id FROM network_memberships GROUP BY company_id ORDER BY count(*) DESC, company_id LIMIT 1"
        )
    finally:
        await connection.close()
    from schema.core.ids import encode_id

    return {
        "deep_cursor": encode_cursor(COMPANY.ordering("NAME"), [row["name"], row["id"]]),
        "company_id": company_id,
        "company_gid": encode_id("Company", company_id),
    }


def statements_per_request(url: str, queries: list[Query], cache: bool = False) -> dict[str, int]:
    """SQL statements each query costs on our side, counted on the engine (with `cache`: the
    second of two requests, a response cache hit)."""

    async def count() -> dict[str, int]:
        engine = create_engine(url)
        seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
        app = create_app(engine=engine, settings=Settings(response_cache=cache, rate_limit=False))
        result = {}
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://b") as client,
        ):
            app.state.read_pool.listeners.append(seen.append)
            for query in queries:
                body = {"query": query.ours, "variables": query.ours_variables}
                if cache:
                    await client.post("/graphql", json=body)
                seen.clear()
                response = await client.post("/graphql", json=body)
                assert "errors" not in response.json(), (query.name, response.text[:500])
                result[query.name] = len(seen)
        await engine.dispose()
        return result

    return asyncio.run(count())


# --- servers and load ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, body: dict[str, Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json=body, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], url: str, log: Path | None = None) -> None:
        self.name, self.url = name, url
        with open(log or os.devnull, "ab") as stderr:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        wait_for(url, {"query": "{ __typename }"})

    def peak_rss_mb(self) -> float:
        """Sum of VmHWM over the server's process group (uvicorn master + workers)."""
        total = 0
        for pid in [self.process.pid, *children(self.process.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
        return round(total / 1024, 1)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's process group so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid, *children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def ours(workers: int, url: str, cache: bool = False) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--ws-per-message-deflate",
        "false",  # as `upl serve` runs it
    ]
    env = {"DATABASE_URL": url, "UPL_RESPONSE_CACHE": "1" if cache else "0", "UPL_RATE_LIMIT": "0", "UPL_ENV": "demo"}
    name = f"ours, {workers} worker{'s' if workers > 1 else ''}" + (", cache hits" if cache else "")
    return Server(name, command, env, f"http://127.0.0.1:{port}/graphql")


def postgraphile(url: str, log: Path | None = None) -> Server:
    """PostGraphile 4 on the view schema; with `log`, every SQL statement it sends goes there."""
    port = free_port()
    binary = PEER4 / "node_modules" / ".bin" / "postgraphile"
    command = [
        str(binary),
        "-c",
        to_libpq_url(url).split("?")[0] if "host=" not in url else to_libpq_url(url),
        "--schema",
        "postgraphile",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-graphiql",
        "--disable-query-log",
        "--no-ignore-rbac",
        "--disable-default-mutations",
    ]
    env = {"NODE_ENV": "production", **({"DEBUG": "postgraphile:postgres"} if log else {})}
    return Server("PostGraphile 4", command, env, f"http://127.0.0.1:{port}/graphql", log)


def postgraphile5(url: str, log: Path | None = None) -> Server:
    """PostGraphile 5 (amber preset, Node 22); with `log`, every statement it sends goes there."""
    port = free_port()
    command = [
        str(PEER5 / "node_modules" / ".bin" / "node"),
        str(PEER5 / "node_modules" / "postgraphile" / "dist" / "cli-run.js"),
        "-C",
        str(PEER5 / "graphile.config.mjs"),
    ]
    env = {
        "NODE_ENV": "production",
        "DATABASE_URL": to_libpq_url(url),
        "PORT": str(port),
        **({"DEBUG": "@dataplan/pg:PgExecutor"} if log else {}),
    }
    return Server("PostGraphile 5", command, env, f"http://127.0.0.1:{port}/graphql", log)


def for_postgraphile5(query: str) -> str:
    """PostGraphile 4's query as PostGraphile 5 spells it (its Node plugin names keys `rowId`)."""
    return query.replace("companyById(id:", "companyByRowId(rowId:").replace("networkById(id:", "networkByRowId(rowId:")


@dataclass(frozen=True)
class Peer:
    name: str
    start: Any
    statement_line: re.Pattern[bytes]
    """How a sent statement starts in the peer's debug log."""

    def body(self, query: Query) -> dict[str, Any]:
        assert query.peer is not None
        if self.name == "PostGraphile 5":
            return {"query": for_postgraphile5(query.peer), "variables": query.peer5_variables or query.peer_variables}
        return {"query": query.peer, "variables": query.peer_variables}


PEER_SERVERS = (
    Peer("PostGraphile 4", postgraphile, re.compile(rb"^\d{4}-\d\d-\d\dT[\d:.]+Z postgraphile:postgres ", re.M)),
    Peer("PostGraphile 5", postgraphile5, re.compile(rb"^\d{4}-\d\d-\d\dT[\d:.]+Z @dataplan/pg:PgExecutor ", re.M)),
)


def peer_statements_per_request(url: str, queries: list[Query], peer: Peer) -> dict[str, int]:
    """A peer's SQL statements per request, counted in its own debug log of every statement
    (the machine's PostgreSQL does not preload pg_stat_statements)."""
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "peer.log"
        server = peer.start(url, log)
        try:
            result = {}
            for query in queries:
                if query.peer is None:
                    continue
                before = len(peer.statement_line.findall(log.read_bytes()))
                for _ in range(3):
                    httpx.post(server.url, json=peer.body(query), timeout=60)
                result[query.name] = round((len(peer.statement_line.findall(log.read_bytes())) - before) / 3)
            return result
        finally:
            server.stop()


@dataclass
class Run:
    query: str
    server: str
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    statements: int | None
    peak_rss_mb: float
    database_ms: float | None = None
    """PostgreSQL's execution time of the planned statement (ours only)."""
    cpu_ms: float | None = None
    """CPU of the server's processes per request over the run."""


def wrk(url: str, body: dict[str, Any] | list[dict[str, Any]], seconds: int) -> dict[str, float]:
    """A wrk run POSTing `body` (a list: the bodies in turn, for the mix)."""
    bodies = body if isinstance(body, list) else [body]
    lua = ", ".join(json.dumps(json.dumps(b)) for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"local bodies = {{{lua}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #bodies + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[i])\nend\n"
        )
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        if match is None:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": ms("50"),
        "p90": ms("90"),
        "p99": ms("99"),
        "errors": int(non_ok.group(1)) if non_ok else 0,
    }


def check_answer(url: str, body: dict[str, Any], name: str) -> list[Any]:
    """The answer's values in document order (times as UTC instants); exits on any error."""
    response = httpx.post(url, json=body, timeout=60).json()
    if "errors" in response:
        raise SystemExit(f"{name} failed on {url}: {response['errors'][0]['message']}")
    return list(leaves(response["data"]))


def leaves(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)", value):
        yield dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    else:
        yield value


def deep_cursors(url: str) -> tuple[str, str]:
    """The cursor of page 200 of companies by name, as each PostGraphile writes it."""
    body = {"query": "{ allCompanies(first: 1, offset: 9949, orderBy: NAME_ASC) { pageInfo { endCursor } } }"}
    cursors = []
    for peer in PEER_SERVERS:
        server = peer.start(url)
        try:
            cursors.append(
                httpx.post(server.url, json=body, timeout=60).json()["data"]["allCompanies"]["pageInfo"]["endCursor"]
            )
        finally:
            server.stop()
    return cursors[0], cursors[1]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")
    url = bench_url()
    asyncio.run(prepare(url))
    values = asyncio.run(setup_values(url))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    peer4_cursor, peer5_cursor = deep_cursors(url)
    queries = mix(now, values["deep_cursor"], peer4_cursor, peer5_cursor, values["company_id"], values["company_gid"])
    wanted = {name.strip() for name in os.environ.get("BENCH_QUERIES", "").split(",") if name.strip()}
    if wanted:
        queries = [q for q in queries if q.name.split(" ")[0] in wanted or q.name in wanted]
    statements = statements_per_request(url, queries)
    hit_statements = statements_per_request(url, [q for q in queries if q.cache_hits], cache=True)
    database = asyncio.run(database_times(url, queries))
    peer_statements = {peer.name: peer_statements_per_request(url, queries, peer) for peer in PEER_SERVERS}
    both_sides = [q for q in queries if q.peer is not None and q.in_mix]
    mixed = Query("mix (a-e, g)", "", "")
    statements[mixed.name] = round(sum(statements[q.name] for q in both_sides) / len(both_sides))
    for counts in peer_statements.values():
        counts[mixed.name] = round(sum(counts[q.name] for q in both_sides) / len(both_sides))
    runs: list[Run] = []
    for query in [*queries, mixed]:
        answers: list[list[Any]] = []
        makers: list[tuple[str | Peer, Callable[[], Server]]] = [
            ("ours", lambda: ours(1, url)),
            *((p, lambda p=p: p.start(url)) for p in PEER_SERVERS),
        ]
        makers.append(("ours", lambda: ours(2, url)))
        if query.cache_hits:
            makers.append(("hits", lambda: ours(1, url, cache=True)))
        for side, make in makers:
            peer = side if isinstance(side, Peer) else None
            if peer is not None and query.peer is None:
                continue
            if peer is not None:
                count = peer_statements[peer.name][query.name]
            else:
                count = (hit_statements if side == "hits" else statements)[query.name]
            server = make()
            try:
                body = request_body(query, peer, both_sides, mixed)
                if query is not mixed:
                    answers.append(check_answer(server.url, body, query.name))
                    if query.same_answer and len(set(map(repr, answers))) != 1:
                        raise SystemExit(f"{query.name}: {server.name} answers differently")
                runs.append(measure(server, query, body, count, database.get(query.name) if peer is None else None))
            finally:
                server.stop()
    report(runs, asyncio.run(server_version(url)))


def request_body(query: Query, peer: Peer | None, both_sides: list[Query], mixed: Query) -> Any:
    """What a server is sent for `query`: the peer's spelling, or ours; the mix in turn."""

    def one(q: Query) -> dict[str, Any]:
        return peer.body(q) if peer is not None else {"query": q.ours, "variables": q.ours_variables}

    return [one(q) for q in both_sides] if query is mixed else one(query)


def measure(server: Server, query: Query, body: Any, statements: int, database_ms: float | None) -> Run:
    wrk(server.url, body, WARMUP)
    cpu_before = server.cpu_seconds()
    figures = wrk(server.url, body, DURATION)
    requests = figures["rps"] * DURATION
    cpu_ms = round((server.cpu_seconds() - cpu_before) * 1000 / requests, 3) if requests else None
    run = Run(
        query.name,
        server.name,
        figures["rps"],
        figures["p50"],
        figures["p90"],
        figures["p99"],
        int(figures["errors"]),
        statements,
        server.peak_rss_mb(),
        database_ms,
        cpu_ms,
    )
    print(
        f"{query.name:24} {server.name:18} {run.requests_per_s:8.1f} req/s  p99 {run.p99_ms:8.1f} ms  "
        f"cpu {cpu_ms} ms/request",
        flush=True,
    )
    return run


async def database_times(url: str, queries: list[Query]) -> dict[str, float]:
    """PostgreSQL's own execution time of each planned statement: the median of 5 EXPLAIN ANALYZE
    runs after a warm-up, with our sessions' settings (the limit no server in front can pass)."""
    from graphql import parse
    from sqlalchemy.dialects import postgresql

    from db.engine import server_settings
    from resolvers.base import DataContext
    from schema.compose import default_schema
    from schema.core import planner

    schema = default_schema()._schema
    connection = await asyncpg.connect(to_libpq_url(url), server_settings=server_settings())
    times: dict[str, float] = {}
    try:
        for query in queries:
            statement = planner.plan(schema, parse(query.ours), None, query.ours_variables, DataContext(engine=None))  # type: ignore[arg-type]
            if statement is None:
                continue
            sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            runs = []
            for _ in range(6):
                plan = await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                runs.append(json.loads(plan)[0]["Execution Time"])
            times[query.name] = round(sorted(runs[1:])[2], 2)
    finally:
        await connection.close()
    return times


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        return str(await connection.fetchval("SHOW server_version")).split(" ")[0]
    finally:
        await connection.close()


def report(runs: list[Run], postgres: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"PostgreSQL {postgres} on the same machine"
    )
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "companies": COMPANIES,
        "duration_s": DURATION,
        "connections": CONNECTIONS,
    }
    (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, "runs": [asdict(r) for r in runs]}, indent=2))
    lines = [
        f"Measured {meta['date']} on {machine}; {COMPANIES} companies; wrk, {CONNECTIONS} connections, "
        f"{DURATION} s per run after {WARMUP} s warm-up; ours: planner on, response cache off.",
        "",
        "| query | server | req/s | p50 ms | p90 ms | p99 ms | SQL statements | PostgreSQL ms | CPU ms/request "
        "| peak RSS MB | vs faster PostGraphile |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    faster: dict[str, Run] = {}
    for r in runs:
        if r.server.startswith("PostGraphile") and (
            r.query not in faster or r.requests_per_s > faster[r.query].requests_per_s
        ):
            faster[r.query] = r
    for r in runs:
        ratio = (
            f"{r.requests_per_s / faster[r.query].requests_per_s:.2f}x"
            if r.query in faster and not r.server.startswith("PostGraphile")
            else ""
        )
        lines.append(
            f"| {r.query} | {r.server} | {r.requests_per_s:.1f} | {r.p50_ms} | {r.p90_ms} | {r.p99_ms} | "
            f"{'-' if r.statements is None else r.statements} | {'' if r.database_ms is None else r.database_ms} | "
            f"{'' if r.cpu_ms is None else r.cpu_ms} | {r.peak_rss_mb} | {ratio} |"
        )
    lines += cache_table(runs)
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    chart(runs)


def cache_table(runs: list[Run]) -> list[str]:
    """Response cache hits against the same read uncached (ours, one worker each)."""
    uncached = {r.query: r for r in runs if r.server == "ours, 1 worker"}
    hits = [r for r in runs if r.server.endswith("cache hits") and r.query in uncached]
    if not hits:
        return []
    lines = [
        "",
        "Response cache: a public read repeated while its tables are unchanged, against the same read uncached.",
        "",
        "| query | hits req/s | uncached req/s | hits / uncached | SQL statements per hit | CPU ms per hit | p99 ms hit |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in hits:
        base = uncached[r.query]
        lines.append(
            f"| {r.query} | {r.requests_per_s:.1f} | {base.requests_per_s:.1f} | "
            f"{r.requests_per_s / base.requests_per_s:.2f}x | {r.statements} | {r.cpu_ms} | {r.p99_ms} |"
        )
    return lines


def chart(runs: list[Run]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    queries = list(dict.fromkeys(r.query for r in runs))
    servers = list(dict.fromkeys(r.server for r in runs))
    figure, axes = plt.subplots(1, 2, figsize=(13, 5))
    width = 0.8 / len(servers)
    for index, server in enumerate(servers):
        by_query = {r.query: r for r in runs if r.server == server}
        xs = [q + index * width for q in range(len(queries))]
        axes[0].bar(xs, [by_query[q].requests_per_s if q in by_query else 0 for q in queries], width, label=server)
        axes[1].bar(xs, [by_query[q].p99_ms if q in by_query else 0 for q in queries], width, label=server)
    for axis, title in zip(axes, ("requests/s (higher is better)", "p99 latency, ms (lower is better)"), strict=True):
        axis.set_title(title)
        axis.set_xticks(
            [q + 0.4 - width / 2 for q in range(len(queries))], queries, rotation=30, ha="right", fontsize=8
        )
    for axis in axes:
        axis.set_yscale("log")  # the nested query and the mix are 20x below the lookups
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=len(servers), fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    figure.savefig(RESULTS / "latest.png", dpi=110)


if __name__ == "__main__":
    main()
