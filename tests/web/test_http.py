"""The transport: GraphQL over HTTP as specified, health and readiness."""

from __future__ import annotations

import json

from tests.conftest import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ ortsteile { key name } }"


async def test_post_json(api: Api) -> None:
    response = await api.post(QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert len(response.json()["data"]["ortsteile"]) == 10


async def test_get_query(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={"query": "query Q($n: Int) { companies(first: $n) { totalCount } }", "variables": json.dumps({"n": 1})},
    )
    assert response.status_code == 200
    assert response.json()["data"]["companies"]["totalCount"] > 0


async def test_graphql_response_media_type_is_chosen_when_accepted(api: Api) -> None:
    response = await api.post(QUERY, headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_parse_error_is_400_without_data_for_graphql_response(api: Api) -> None:
    response = await api.post("{ companies { ", headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")


async def test_validation_error_is_400_for_graphql_response_and_200_for_json(api: Api) -> None:
    invalid = "{ companies { edges { node { noSuchField } } } }"
    strict = await api.post(invalid, headers={"accept": GRAPHQL_RESPONSE})
    assert strict.status_code == 400
    assert "data" not in strict.json()
    assert "noSuchField" in strict.json()["errors"][0]["message"]
    legacy = await api.post(invalid, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    assert "data" not in legacy.json()
    assert legacy.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_variable_coercion_failure_is_400(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "query($n: Int) { companies(first: $n) { totalCount } }", "variables": {"n": "ten"}},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "data" not in response.json()
    assert "$n" in response.json()["errors"][0]["message"]


async def test_execution_error_keeps_200_and_data(api: Api) -> None:
    response = await api.post("{ companies(first: 1000) { totalCount } }", headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_body_that_is_not_json_is_400(api: Api) -> None:
    response = await api.client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"][0]["message"]


async def test_body_without_query_is_400(api: Api) -> None:
    response = await api.client.post("/graphql", json={"variables": {}})
    assert response.status_code == 400
    response = await api.client.post("/graphql", json=[{"query": QUERY}])
    assert response.status_code == 400


async def test_unsupported_content_type_is_415(api: Api) -> None:
    response = await api.client.post("/graphql", content=QUERY, headers={"content-type": "text/plain"})
    assert response.status_code == 415
    response = await api.client.post("/graphql", data={"query": QUERY})
    assert response.status_code == 415


async def test_unacceptable_accept_is_406(api: Api) -> None:
    response = await api.post(QUERY, headers={"accept": "text/html"})
    assert response.status_code == 406


async def test_mutation_over_get_is_405(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "mutation { x }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_bad_variables_and_operation_name_shapes_are_400(api: Api) -> None:
    bad_variables = await api.client.get("/graphql", params={"query": QUERY, "variables": "{oops"})
    assert bad_variables.status_code == 400
    unknown_operation = await api.client.post(
        "/graphql", json={"query": "query A { ortsteile { key } }", "operationName": "B"}
    )
    assert unknown_operation.status_code == 400


async def test_healthz_and_readyz(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
