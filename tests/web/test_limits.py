"""Operation limits, query cost and rate limits, through the real HTTP app, before any SQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app import create_app
from db.enums import Role
from tests.conftest import NO_RESPONSE_CACHE, Api
from web import limits as guard
from web.shared import SharedRedis


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("{ ortsteile { " + " ".join(f"a{i}: key" for i in range(31)) + " } }", "ALIAS_LIMIT", "limit is 30"),
        (
            "{ " + " ".join(f"a{i}: ortsteile {{ key }}" for i in range(21)) + " }",
            "ROOT_FIELD_LIMIT",
            "21 root fields; the limit is 20",
        ),
        ("{ __typename " + "@include(if: true) " * 6 + "}", "DIRECTIVE_LIMIT", "6 directives; the limit is 5"),
        (
            "{ ortsteile { " + "name " * 6 + "} }",
            "DUPLICATE_FIELD_LIMIT",
            "selected 6 times in one selection set; the limit is 5",
        ),
        (
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "INTROSPECTION_DEPTH_LIMIT",
            "three or more levels deep",
        ),
        (
            '{ __type(name: "Company") { fields { type { fields { type { interfaces { name } } } } } } }',
            "INTROSPECTION_DEPTH_LIMIT",
            "three or more levels deep",
        ),
        ("{ a " + "a " * 5001 + "}", "TOKEN_LIMIT", "limit is 5000"),
        (
            "{ companies { nodes { ...F0 } } }"
            + "".join(f" fragment F{i} on Company {{ ...F{i + 1} ...F{i + 1} }}" for i in range(9))
            + " fragment F9 on Company { name }",
            "FRAGMENT_SPREAD_LIMIT",
            "expands to 1023 fragment spreads; the limit is 500",
        ),
        (
            "{ companies(first: 1) { nodes { " + "...C " * 300 + "} } }"
            " fragment C on Company { id name slug website legalForm foundedYear description }",
            "SELECTION_LIMIT",
            "expands to 2102 field selections; the limit is 2000",
        ),
        ("{ __typename }" + " " * 40_000, "DOCUMENT_SIZE_LIMIT", "the limit is 32768"),
        (
            "{ companies { nodes { networks { nodes { members { nodes { networks { nodes { members { nodes { networks { nodes { name } } } } } } } } } } } } }",
            "DEPTH_LIMIT",
            "the limit is 12",
        ),
    ],
)
async def test_operation_limits_name_value_and_cap(api: Api, query: str, code: str, words: str) -> None:
    api.counter.reset()
    response = await api.post(query)
    assert code_of(response) == code
    assert words in response.json()["errors"][0]["message"]
    assert "data" not in response.json()
    assert api.counter.count == 0  # refused before any SQL


async def test_cost_is_reported_and_capped_per_role(
    api: Api, edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    small = await api.post("{ networks(first: 10) { nodes { members(first: 10) { nodes { name } } } } }")
    assert small.json()["extensions"]["cost"] == {"requested": 110, "limit": 25_000}
    big = (
        "{ networks(first: 100) { nodes { members(first: 100) { nodes { events(first: 5) { nodes { title } } } } } } }"
    )
    refused = await api.post(big)
    assert code_of(refused) == "COST_LIMIT"
    assert "60100 nodes; the limit for anonymous callers is 25000" in refused.json()["errors"][0]["message"]
    allowed = await edit_api.post(big, headers=role_headers["partner"])
    assert "errors" not in allowed.json() and allowed.json()["extensions"]["cost"]["limit"] == 100_000


async def test_batches_and_oversized_bodies(api: Api) -> None:
    batch = await api.client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert batch.status_code == 400 and code_of(batch) == "BATCH_LIMIT"
    assert "batches 2 operations; the limit is 1" in batch.json()["errors"][0]["message"]
    huge = await api.client.post(
        "/graphql",
        content=b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 1_100_000 + b'"}}',
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413


@pytest.fixture
async def tight_api(demo_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(demo_database_url, settings=NO_RESPONSE_CACHE)
    async with app.router.lifespan_context(app):
        app.state.rate_limiter = guard.RateLimiter(None, budgets={role: 300 for role in Role})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client


async def test_rate_limit_headers_and_429(tight_api: httpx.AsyncClient) -> None:
    query = {"query": "{ networks(first: 100) { nodes { name } } }"}  # costs 100 points
    first = await tight_api.post("/graphql", json=query)
    assert first.headers["x-ratelimit-limit"] == "300" and first.headers["x-ratelimit-remaining"] == "200"
    assert int(first.headers["x-ratelimit-reset"]) > 0
    await tight_api.post("/graphql", json=query)
    await tight_api.post("/graphql", json=query)
    spent = await tight_api.post("/graphql", json=query)
    assert spent.status_code == 429 and code_of(spent) == "RATE_LIMITED"
    assert int(spent.headers["retry-after"]) >= 1


async def test_rate_limit_shared_in_redis(demo_database_url: str) -> None:
    prefix = f"upl-test-{uuid.uuid4().hex[:8]}"
    apps = [create_app(demo_database_url, settings=NO_RESPONSE_CACHE) for _ in range(2)]
    clients, lifespans = [], [app.router.lifespan_context(app) for app in apps]
    for app, lifespan in zip(apps, lifespans, strict=True):
        await lifespan.__aenter__()
        app.state.rate_limiter = guard.RateLimiter(
            SharedRedis("redis://127.0.0.1:6379/0"), budgets={role: 250 for role in Role}, key_prefix=prefix
        )
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"))
    query = {"query": "{ networks(first: 100) { nodes { name } } }"}
    statuses = [(await clients[i % 2].post("/graphql", json=query)).status_code for i in range(3)]
    assert statuses == [200, 200, 429]  # the second instance saw what the first spent
    for client, lifespan in zip(clients, lifespans, strict=True):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_statement_timeout_is_a_clear_error(synthetic_database_url: str) -> None:
    """One slow statement cannot pin a worker: it is stopped and the client told so (TIMEOUT)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from db.engine import to_asyncpg_url

    engine = create_async_engine(
        to_asyncpg_url(synthetic_database_url), connect_args={"server_settings": {"statement_timeout": "1"}}
    )
    app = create_app(engine=engine, settings=NO_RESPONSE_CACHE)
    query = "{ networks(first: 100) { nodes { members(first: 100) { totalCount nodes { name } } } } }"
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/graphql", json={"query": query}, headers={"accept": "application/json"})
    await engine.dispose()
    assert response.status_code in (200, 504)
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes == {"TIMEOUT"}, response.text[:300]
    assert "SELECT" not in response.text
