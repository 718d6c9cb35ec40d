"""Standard introspection, as every client sends it, answers for every role; abusive introspection
is refused. The queries are the libraries' own: graphql-core's `get_introspection_query` and
graphql-js's `getIntrospectionQuery` (npm `graphql` 16 and 17, from the Node harness), with
every combination of their options."""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

import pytest
from graphql import build_client_schema, get_introspection_query, print_schema

from schema.compose import default_schema
from tests.conftest import ROLES, Api
from tests.node_harness import node

schema = default_schema()

CORE_OPTIONS = (
    "descriptions",
    "specified_by_url",
    "directive_is_repeatable",
    "schema_description",
    "input_value_deprecation",
    "experimental_directive_deprecation",
    "one_of",
)


def core_queries() -> list[tuple[str, str]]:
    """(label, query) for every combination of graphql-core's options."""
    found = []
    for values in itertools.product((False, True), repeat=len(CORE_OPTIONS)):
        options = dict(zip(CORE_OPTIONS, values, strict=True))
        label = "graphql-core " + ",".join(name for name, on in options.items() if on)
        found.append((label, get_introspection_query(**options)))
    return found


@cache
def js_queries() -> list[tuple[str, str]]:
    """(label, query) for graphql-js 16 and 17 and every combination of their options."""
    printed = node("introspection-queries.mjs")
    return [
        (
            f"{q['library']} " + ",".join(k if v is True else f"{k}={v}" for k, v in q["options"].items() if v),
            q["query"],
        )
        for q in json.loads(printed)
    ]


def answer_is_the_schema(data: dict[str, Any]) -> None:
    client_schema = build_client_schema(data)  # type: ignore[arg-type]  # what a client rebuilds from the answer
    assert client_schema.get_type("Company") is not None and client_schema.get_type("Mutation") is not None
    assert set(client_schema.type_map) == set(schema._schema.type_map)


async def test_every_option_combination_of_graphql_core_and_graphql_js(api: Api) -> None:
    queries = {query: label for label, query in [*core_queries(), *js_queries()]}
    assert len(queries) > 200  # distinct documents
    for query, label in queries.items():
        response = await api.post(query)
        assert response.status_code == 200, (label, response.text[:300])
        body = response.json()
        assert "errors" not in body, (label, body["errors"])
        if "typeDepth=1" in label:  # too shallow for a client to rebuild our list types, by its own choice
            assert body["data"]["__schema"]["types"]
        else:
            answer_is_the_schema(body["data"])


@pytest.mark.parametrize("role", ROLES)
async def test_introspection_for_every_role(edit_api: Api, role_headers: dict[str, dict[str, str]], role: str) -> None:
    chosen = [get_introspection_query(), get_introspection_query(**dict.fromkeys(CORE_OPTIONS, True))]
    chosen += [query for label, query in js_queries() if label.endswith(("16.11.0 ", "17.1.0 "))]
    for query in chosen:
        body = (await edit_api.post(query, headers=role_headers[role])).json()
        assert "errors" not in body, (role, body["errors"])
        answer_is_the_schema(body["data"])


async def test_the_introspected_schema_prints_as_the_sdl(api: Api) -> None:
    options = {"specified_by_url": True, "directive_is_repeatable": True, "input_value_deprecation": True}
    data = (await api.post(get_introspection_query(**options))).json()["data"]
    assert print_schema(build_client_schema(data)) == print_schema(schema._schema)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        "{ __schema { types { interfaces { possibleTypes { interfaces { name } } } } } }",
        "{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...U } } } "
        "fragment U on __Type { fields { type { inputFields { name } } } }",
    ],
)
async def test_nested_introspection_is_refused(api: Api, query: str) -> None:
    api.counter.reset()
    response = await api.post(query)
    assert response.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DEPTH_LIMIT"
    assert api.counter.count == 0
