"""`Idempotency-Key` on mutations: applied at most once, the first answer replayed to a retry
from any instance, a different request with the same key refused, concurrent duplicates
serialised, and a claim that lost its ownership commits nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from db.engine import create_engine, to_libpq_url
from resolvers import idempotency
from settings import Settings
from tests.conftest import serve_api

CREATE = "mutation($n: String!) { companyCreate(input: { name: $n, legalForm: GMBH }) { company { id name } userErrors { code } } }"
SETTINGS = Settings(rate_limit=False)


async def companies_named(url: str, name: str) -> int:
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM companies WHERE name = $1", name))
    finally:
        await connection.close()


def body(name: str) -> dict[str, Any]:
    return {"query": CREATE, "variables": {"n": name}}


async def test_a_retry_gets_the_first_answer_from_any_instance(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    name, key = f"Einmal GmbH {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    headers = {**role_headers["staff"], "idempotency-key": key}
    answers = []
    for _ in range(2):  # two instances of the service on one database
        async for api in serve_api(edit_database_url, settings=SETTINGS):
            for _ in range(2):
                answers.append(await api.client.post("/graphql", json=body(name), headers=headers))
    first = answers[0]
    assert first.status_code == 200 and first.json()["data"]["companyCreate"]["company"]["name"] == name
    assert "idempotent-replayed" not in first.headers
    for retry in answers[1:]:
        assert retry.status_code == 200
        assert retry.content == first.content
        assert retry.headers["idempotent-replayed"] == "true"
    assert await companies_named(edit_database_url, name) == 1


async def test_the_same_key_with_another_request_is_a_422(
    edit_api: Any, role_headers: dict[str, dict[str, str]]
) -> None:
    headers = {**role_headers["staff"], "idempotency-key": f'"{uuid.uuid4()}"'}  # the IETF draft's quoted form
    assert (await edit_api.client.post("/graphql", json=body("Erste Anfrage GmbH"), headers=headers)).status_code == 200
    other = await edit_api.client.post("/graphql", json=body("Andere Anfrage GmbH"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    other_caller = await edit_api.client.post(
        "/graphql",
        json=body("Andere Anfrage GmbH"),
        headers={**role_headers["admin"], "idempotency-key": headers["idempotency-key"]},
    )
    assert other_caller.status_code == 200  # keys are per caller
    assert other_caller.json()["data"]["companyCreate"]["company"]["name"] == "Andere Anfrage GmbH"


@pytest.mark.parametrize("key", ["", "has space", "ä-umlaut".encode(), "x" * 256])
async def test_a_malformed_key_is_a_400(
    edit_api: Any, role_headers: dict[str, dict[str, str]], key: str | bytes
) -> None:
    sent = await edit_api.client.post(
        "/graphql", json=body("Nie angelegt GmbH"), headers={**role_headers["staff"], "idempotency-key": key}
    )
    assert sent.status_code == 400
    assert sent.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_concurrent_duplicates_apply_once(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    name, key = f"Gleichzeitig GmbH {uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    headers = {**role_headers["staff"], "idempotency-key": key}
    async for api in serve_api(edit_database_url, settings=SETTINGS):
        sent = await asyncio.gather(*(api.client.post("/graphql", json=body(name), headers=headers) for _ in range(8)))
        settled = await api.client.post("/graphql", json=body(name), headers=headers)
    statuses = sorted(response.status_code for response in sent)
    assert set(statuses) <= {200, 409}
    created = [r for r in sent if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    assert len(created) == 1
    for busy in (r for r in sent if r.status_code == 409):
        assert busy.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
        assert busy.headers["retry-after"] == "1"
    assert settled.headers["idempotent-replayed"] == "true" and settled.content == created[0].content
    assert await companies_named(edit_database_url, name) == 1


async def test_queries_and_keyless_mutations_are_untouched(
    edit_api: Any, role_headers: dict[str, dict[str, str]]
) -> None:
    headers = {**role_headers["staff"], "idempotency-key": "read-1"}
    for _ in range(2):
        read = await edit_api.client.post(
            "/graphql", json={"query": "{ companies(first: 1) { totalCount } }"}, headers=headers
        )
        assert read.status_code == 200 and "idempotent-replayed" not in read.headers
    name = f"Ohne Schluessel GmbH {uuid.uuid4().hex[:6]}"
    for _ in range(2):
        assert (
            await edit_api.client.post("/graphql", json=body(name), headers=role_headers["staff"])
        ).status_code == 200


async def test_a_refused_request_gives_its_key_back(edit_api: Any, role_headers: dict[str, dict[str, str]]) -> None:
    key = str(uuid.uuid4())
    invalid = await edit_api.client.post(
        "/graphql",
        json={"query": "mutation { companyCreate(input: {name: 1}) { company { id } } }"},
        headers={**role_headers["staff"], "idempotency-key": key},
    )
    assert invalid.status_code in (200, 400) and invalid.json()["errors"]
    fixed = await edit_api.client.post(
        "/graphql", json=body("Korrigiert GmbH"), headers={**role_headers["staff"], "idempotency-key": key}
    )
    assert fixed.status_code == 200 and fixed.json()["data"]["companyCreate"]["company"]["name"] == "Korrigiert GmbH"


async def test_a_write_under_a_claim_taken_over_commits_nothing(edit_database_url: str) -> None:
    engine = create_engine(edit_database_url, pool_size=2)
    try:
        owner, key = "user:999999", str(uuid.uuid4())
        claim = await idempotency.claim(engine, owner, key, "f" * 64)
        assert isinstance(claim, idempotency.Claim)
        again = await idempotency.claim(engine, owner, key, "f" * 64)
        assert isinstance(again, idempotency.Stored) and again.running
        async with engine.begin() as connection:  # another request took the claim over
            await connection.exec_driver_sql(
                "UPDATE idempotency_keys SET token = 'someone-else' WHERE owner = $1 AND key = $2", (owner, key)
            )
        name = f"Verloren GmbH {uuid.uuid4().hex[:6]}"
        with pytest.raises(idempotency.ClaimLost):
            async with idempotency.ClaimedEngine(engine, claim).begin() as connection:
                await connection.exec_driver_sql(
                    "INSERT INTO companies (name, slug, legal_form) VALUES ($1, $2, 'GMBH')",
                    (name, name.lower().replace(" ", "-")),
                )
        assert await companies_named(edit_database_url, name) == 0
    finally:
        await engine.dispose()
