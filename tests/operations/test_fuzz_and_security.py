"""Fuzzing through the real HTTP app as every role, and hidden data through every path.

Fuzzing (bounded, seeded; `make fuzz` runs longer): `hypothesis-graphql` generates valid queries
and mutations from the live schema, a mutator breaks documents, variables and bodies, and
`fragment_heavy_documents` writes fragment chains and DAGs of the fragment bomb's kind. Whatever
comes in: no 5xx, no internal error, every error carries `extensions.code`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from db.seed import demo
from schema.compose import default_schema
from schema.core.ids import encode_id
from settings import Settings
from tests.conftest import ROLES, LiveServer, _prepared_database, make_role_headers
from tests.fragment_documents import fragment_heavy_documents
from tests.strategies import SCALARS

schema = default_schema()

EXAMPLES = int(os.environ.get("UPL_FUZZ_EXAMPLES", "40"))
SDL = print_schema(schema._schema)
QUERIES = queries(SDL, custom_scalars=SCALARS, allow_x00=False)
MUTATIONS = mutations(SDL, custom_scalars=SCALARS, allow_x00=False)


@pytest.fixture(scope="module")
def fuzz_database_url(pg_server: Any, today: Any) -> str:
    """Demo data of its own: what the generated mutations write never shows in other tests' pages."""
    return _prepared_database(pg_server, "upl_fuzz", demo.build(today))


@pytest.fixture(scope="module")
def role_headers(fuzz_database_url: str) -> dict[str, dict[str, str]]:
    return asyncio.run(make_role_headers(fuzz_database_url))


@pytest.fixture(scope="module")
def server(fuzz_database_url: str, role_headers: dict[str, dict[str, str]]) -> Iterator[LiveServer]:
    live = LiveServer(fuzz_database_url, settings=Settings(rate_limit=False)).start()
    yield live
    live.stop()


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code in (304, 405, 413):
        return
    body = response.json()
    for error in body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
    assert "Traceback" not in response.text and "SELECT " not in response.text


def mutate(text: str, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["truncate", "insert", "duplicate", "bytes"]))
    if kind == "truncate":
        return text[: data.draw(st.integers(0, max(len(text) - 1, 0)))]
    if kind == "insert":
        at = data.draw(st.integers(0, len(text)))
        return text[:at] + data.draw(st.text(min_size=1, max_size=8)) + text[at:]
    if kind == "duplicate":
        return text + text
    return data.draw(st.binary(max_size=200)).decode("latin-1")


@pytest.mark.parametrize("role", ROLES)
def test_generated_queries_and_mutations_never_break_the_service(
    server: LiveServer, role_headers: dict[str, dict[str, str]], role: str
) -> None:
    headers = role_headers[role]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.one_of(QUERIES, MUTATIONS), st.data())
    def run(document: str, data: st.DataObject) -> None:
        check(httpx.post(server.url, json={"query": document}, headers=headers, timeout=60))
        broken = mutate(document, data)
        check(httpx.post(server.url, json={"query": broken}, headers=headers, timeout=60))

    run()


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_generated_fragment_heavy_documents_are_answered_or_refused_at_once(
    server: LiveServer, role_headers: dict[str, dict[str, str]], role: str
) -> None:
    """Deep fragment chains, many spreads per level, aliases and inline fragments around them:
    each is answered or refused with a limit's code, within the client's timeout."""

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(fragment_heavy_documents())
    def run(document: str) -> None:
        response = httpx.post(server.url, json={"query": document}, headers=role_headers[role], timeout=10)
        check(response)
        body = response.json()
        assert "data" in body or {e["extensions"]["code"] for e in body["errors"]} <= FRAGMENT_LIMIT_CODES, body

    run()


FRAGMENT_LIMIT_CODES = {"FRAGMENT_SPREAD_LIMIT", "SELECTION_LIMIT", "ALIAS_LIMIT", "COST_LIMIT", "DEPTH_LIMIT"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"null",
        b'{"query": 5}',
        b'{"query": "{ __typename }", "variables": [1]}',
        b'{"query": "query($n: Int) { companies(first: $n) { totalCount } }", "variables": {"n": "zwei"}}',
        b'{"query": "query($n: Int) { companies(first: $n) { totalCount } }", "variables": {"n": 99999999999999}}',
        b'{"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", "variables": {"ids": '
        + json.dumps(["x"] * 5000).encode()
        + b"}}",
        b'{"query": "{ companies(filter: {search: \\"\\u0000\\"}) { totalCount } }"}',
        b'{"query": "{ company(slug: \\"' + "\u202e\u0301".encode() * 500 + b'\\") { id } }"}',
        b'{"query": "{ companies { nodes { name description } } }", "operationName": 7}',
        b'{"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_odd_bodies_get_clear_4xx_or_errors(server: LiveServer, body: bytes) -> None:
    response = httpx.post(server.url, content=body, headers={"content-type": "application/json"}, timeout=60)
    check(response)


# --- hidden data through every path ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hidden(fuzz_database_url: str) -> dict[str, Any]:
    """An unpublished company and an unpublished event, straight from the database."""

    async def fetch() -> dict[str, Any]:
        connection = await asyncpg.connect(fuzz_database_url)
        try:
            # unique names, so that finding one in a response can only be a leak
            company = await connection.fetchrow(
                "UPDATE companies SET name = 'Verborgene Firma Zyx GmbH' "
                "WHERE id = (SELECT min(id) FROM companies WHERE NOT published) RETURNING id, slug, name"
            )
            event = await connection.fetchrow(
                "UPDATE events SET published = false, title = 'Verborgenes Treffen Zyx' "
                "WHERE id = (SELECT min(id) FROM events WHERE starts_at > now()) RETURNING id, slug, title"
            )
            return {"company": dict(company), "event": dict(event)}
        finally:
            await connection.close()

    return asyncio.run(fetch())


def post(
    server: LiveServer, query: str, variables: Any = None, headers: dict[str, str] | None = None, **extra: Any
) -> Any:
    response = httpx.post(
        server.url, json={"query": query, "variables": variables, **extra}, headers=headers, timeout=60
    )
    check(response)
    return response.json()


@pytest.mark.parametrize("role", ["anonymous", "partner", "newsletter"])
def test_unpublished_rows_and_staff_fields_unreachable_through_every_path(
    server: LiveServer, role_headers: dict[str, dict[str, str]], hidden: dict[str, Any], role: str
) -> None:
    headers = role_headers[role]
    company, event = hidden["company"], hidden["event"]
    company_id, event_id = encode_id("Company", company["id"]), encode_id("Event", event["id"])
    leaks = json.dumps([company["name"], event["title"]])
    answers = [
        post(server, "query($id: ID!) { company(id: $id) { name } }", {"id": company_id}, headers),
        post(server, "query($s: String!) { company(slug: $s) { name } }", {"s": company["slug"]}, headers),
        post(
            server,
            "query($id: ID!) { node(id: $id) { ... on Company { name } ... on Event { title } } }",
            {"id": event_id},
            headers,
        ),
        post(server, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [company_id, event_id]}, headers),
        post(
            server,
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Company { name } ... on Event { title } } }",
            {"r": [{"__typename": "Company", "id": company_id}, {"__typename": "Event", "slug": event["slug"]}]},
            headers,
        ),
        post(
            server,
            "query($q: String!) { search(query: $q) { ... on Company { name } ... on Event { title } } }",
            {"q": company["name"]},
            headers,
        ),
        post(server, "{ events(first: 100) { nodes { title } } }", None, headers),
        post(
            server,
            "{ changes(first: 100, types: [EVENT]) { nodes { node { ... on Event { title } } } } }",
            None,
            headers,
        ),
    ]
    for answer in answers:
        for name in json.loads(leaks):
            assert name not in json.dumps(answer.get("data")), (name, answer)
    calendar = httpx.get(
        server.url.replace("/graphql", "/feeds/events.ics"), params={"from": "2000-01-01"}, headers=headers
    )
    assert event["title"] not in calendar.text

    for staff_only in ("{ auditLog(first: 1) { totalCount } }", "{ users { username } }", "{ apiKeys { prefix } }"):
        refused = post(server, staff_only, None, headers)
        assert refused["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
        digest = hashlib.sha256(staff_only.encode()).hexdigest()
        persisted = post(
            server, staff_only, None, headers, extensions={"persistedQuery": {"version": 1, "sha256Hash": digest}}
        )
        assert persisted["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    mutation = 'mutation { companyDelete(input: { id: "Q29tcGFueTox" }) { userErrors { code } } }'
    assert post(server, mutation, None, headers)["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    over_get = httpx.get(server.url, params={"query": mutation}, headers=headers)
    assert over_get.status_code in (401, 403, 405)


def test_security_headers_on_every_response(server: LiveServer) -> None:
    base = server.url.replace("/graphql", "")
    for path in (
        "/graphql?query={__typename}",
        "/healthz",
        "/feeds/events.ics",
        "/graphiql",
        "/static/login.js",
        "/nope",
    ):
        response = httpx.get(base + path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "content-security-policy" in response.headers
    assert "script-src 'self'" in httpx.get(base + "/graphiql").headers["content-security-policy"]
