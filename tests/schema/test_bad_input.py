"""Wrong requests get clear GraphQL errors with codes: never a 500, SQL or a stack trace."""

from __future__ import annotations

import base64

import pytest

from settings import Settings
from tests.conftest import Api, serve_api

FORGED = base64.urlsafe_b64encode(b'c1:["NAME",["x"]]').decode()  # too few sort values


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("{ companies(first: 1000) { totalCount } }", "maximum page size of 100"),
        ("{ companies(last: 101) { totalCount } }", "maximum page size of 100"),
        ("{ companies(first: -1) { totalCount } }", "must not be negative"),
        ("{ companies(first: 1, last: 1) { totalCount } }", "not both"),
        ('{ companies(after: "not-a-cursor") { totalCount } }', "Invalid cursor"),
        (f'{{ companies(after: "{FORGED}") {{ totalCount }} }}', "Invalid cursor"),
        ('{ networks(first: 1) { nodes { members(after: "%%%") { totalCount } } } }', "Invalid cursor"),
        ('{ company(id: "%%%") { id } }', "Invalid ID"),
        ('{ node(id: "bm9wZQ==") { id } }', "Invalid ID"),
        ('{ node(id: "VW5pY29ybjox") { id } }', "unknown type"),
        ('{ company(id: "TmV0d29yazox") { id } }', "is a Network ID, but a Company ID is expected"),
        ('{ companies(filter: {networkId: "Q29tcGFueTox"}) { totalCount } }', "a Network ID is expected"),
        ("{ company { id } }", "exactly one of `id` or `slug`"),
        ('{ companies(filter: {industryCode: "6x"}) { totalCount } }', "WZ 2008 code"),
        ('{ companies(filter: {postalCode: "1036"}) { totalCount } }', "five digits"),
        ("{ spaces(filter: {minArea: -5}) { totalCount } }", "non-negative"),
        ('{ search(query: "   !!! ") { __typename } }', "at least one letter"),
        ('{ search(query: "x", first: 500) { __typename } }', "between 0 and 100"),
        ('{ events(filter: {startsAfter: "2026-01-01T00:00:00"}) { totalCount } }', "time zone"),
    ],
)
async def test_bad_arguments_are_clear_user_errors(api: Api, query: str, needle: str) -> None:
    response = await api.post(query)
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert needle in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "SELECT" not in response.text and "Traceback" not in response.text


async def test_cursor_of_another_ordering_is_refused(api: Api) -> None:
    data = await api.query("{ companies(first: 1) { pageInfo { endCursor } } }")
    cursor = data["companies"]["pageInfo"]["endCursor"]
    errors = await api.errors(f'{{ companies(after: "{cursor}", orderBy: {{field: CREATED_AT}}) {{ totalCount }} }}')
    assert "ordered by" in errors[0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ companies { edges { node { unknownField } } } }",
        '{ companies(first: "ten") { totalCount } }',
        "{ companies(filter: {ortsteil: ATLANTIS}) { totalCount } }",
        "{ companies(orderBy: {field: SALARY}) { totalCount } }",
    ],
)
async def test_invalid_documents_are_validation_errors(api: Api, query: str) -> None:
    response = await api.post(query)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in response.json()


async def test_odd_text_in_filters_is_harmless(api: Api) -> None:
    for text in ["a\x00b", "'; DROP TABLE companies; --", "ä" * 5000, "🙂", "foo:* & !bar"]:
        response = await api.post("query($s: String!) { companies(filter: {search: $s}) { totalCount } }", {"s": text})
        assert response.status_code == 200
        body = response.json()
        assert "INTERNAL_SERVER_ERROR" not in response.text, body
    assert (await api.query("{ companies { totalCount } }"))["companies"]["totalCount"] > 0


@pytest.mark.parametrize(
    "raw_variables",
    [
        '{"n": 123456789012345678901234567890}',  # beyond 64 bits
        '{"n": NaN}',  # Python's json reads it; it must not pass for null
        '{"n": 1e400}',
    ],
)
async def test_odd_numbers_in_variables_are_clear_errors(api: Api, raw_variables: str) -> None:
    body = '{"query": "query($n: Int) { companies(first: $n) { totalCount } }", "variables": ' + raw_variables + "}"
    response = await api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400), response.text
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "COST_LIMIT"), errors


async def test_odd_numbers_in_unused_variables_are_ignored(demo_database_url: str) -> None:
    """Variables the operation does not declare are ignored, also where they only reach the caches' keys."""
    async for cached_api in serve_api(demo_database_url, settings=Settings()):
        for raw in ("123456789012345678901234567890", "NaN", "null"):
            body = '{"query": "{ companies(first: 1) { totalCount } }", "variables": {"extra": ' + raw + "}}"
            response = await cached_api.client.post(
                "/graphql", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, response.text
            assert response.json()["data"]["companies"]["totalCount"] > 0
