"""The read planner: one statement per planned read, and the same `data` as the normal path.

Differential tests run every query twice, through a server with the planner and one without
(both real uvicorn), per role, and compare the responses: for the README's examples, for the
benchmark's partner queries, and for hundreds of queries `hypothesis-graphql` generates from a
schema narrowed to the fields the planner covers (so most of them are really planned).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    FieldDefinitionNode,
    GraphQLObjectType,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_schema,
)
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from schema.compose import default_schema
from schema.core.plans import plan_of
from settings import Settings
from tests.conftest import ROOT, LiveServer
from tests.strategies import SCALARS

schema = default_schema()

PLANNED = Settings(response_cache=False, planner=True)
ROLES_COMPARED = ("anonymous", "partner", "staff")
UNPLANNED = {
    (type_.name, name)
    for type_ in schema._schema.type_map.values()
    if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__")
    for name, field in type_.fields.items()
    if plan_of(field) is None
}
"""(type, field) of every field declared without a plan (schema/core/fields.py): the DataLoader path's."""
PAGING = {"edges", "nodes", "pageInfo", "totalCount", "cursor", "node", "hasNextPage", "hasPreviousPage"}
RANDOM_ERRORS = {"last", "before", "after", "id"}
ROOTS = ["companies", "networks", "spaces", "projects", "events", "company", "network", "space", "project", "event"]
ONE_COMPANY = """query($id: ID!) { node(id: $id) { __typename id ... on Company { name legalForm address { street city }
  networks(first: 10) { edges { role node { name } } } spaces(first: 5) { nodes { title } }
  projects(first: 5) { nodes { title } } events(first: 5) { nodes { title startsAt } } } ... on Event { title } } }"""

NESTED = """query($networks: Int!) { networks(first: $networks) { totalCount edges { cursor node { name
  members(first: 20) { totalCount edges { role memberSince node { name address { street ortsteil { key name } }
    events(first: 10) { edges { node { title startsAt } } } } } } } } pageInfo { hasNextPage endCursor } } }"""

PARTNER_QUERIES = [
    (NESTED, {"networks": 50}),
    (
        """{ companies(first: 50, filter: { ortsteil: LICHTENBERG, industryCode: "4" }) {
             pageInfo { hasNextPage endCursor } nodes { name legalForm website address { street postalCode city }
             industry { code title } networks(first: 5) { edges { role node { name } } } } } }""",
        None,
    ),
    (
        """{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { id name foundedOn originProject { title }
             members(first: 20) { totalCount nodes { name } }
             events(first: 10) { nodes { title startsAt endsAt status venue { name onlineUrl
               address { street postalCode } space { title } } registration { required url deadline capacity } } } } }""",
        None,
    ),
    (
        """query($from: DateTime!) { events(first: 100, filter: { startsAfter: $from }) { nodes { title kind startsAt
             venue { name address { street postalCode ortsteil { name } location { latitude longitude } } }
             host { name website } network { name kind } project { title totalVolume { amount currency } } } } }""",
        {"from": "2026-01-01T00:00:00+01:00"},
    ),
    (
        """{ spaces(first: 20, orderBy: { field: AREA, direction: DESC }) { edges { cursor node { title areaSqm areaMaxSqm
             rentPerSqm { amount currency } price { amount } availableFrom status listingType provider { name } } } } }""",
        None,
    ),
    (
        """{ projects(first: 30, orderBy: { field: START_ON }) { totalCount nodes { __typename id slug title status startsOn
             endsOn totalVolume { amount } fundingAmount { amount } partners(first: 3) { nodes { name } }
             networks(first: 3) { nodes { name } } events(first: 2) { nodes { title } } } } }""",
        None,
    ),
    (
        """fragment C on Company { name foundedYear employeeRange }
           query { a: companies(first: 3, orderBy: { field: NAME, direction: DESC }) { nodes { ...C } }
                   b: companies(first: 2) @skip(if: true) { totalCount }
                   c: company(slug: "buero-fuer-wirtschaftsfoerderung-lichtenberg") { ... on Company { ...C createdAt }
                      spaces(first: 2) { nodes { title } } projects(first: 2) { nodes { title } } } }""",
        None,
    ),
]


@pytest.fixture(scope="module")
def servers(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> Iterator[tuple[LiveServer, LiveServer]]:
    planned = LiveServer(edit_database_url, settings=PLANNED).start()
    normal = LiveServer(edit_database_url).start()
    yield planned, normal
    planned.stop()
    normal.stop()


def both(
    servers: tuple[LiveServer, LiveServer], query: str, variables: Any, headers: dict[str, str]
) -> tuple[Any, Any, int]:
    planned, normal = servers
    assert planned.counter is not None
    planned.counter.reset()
    first = httpx.post(planned.url, json={"query": query, "variables": variables}, headers=headers, timeout=60)
    statements = len([s for s in planned.counter.statements if "api_keys" not in s])  # not the key lookup
    second = httpx.post(normal.url, json={"query": query, "variables": variables}, headers=headers, timeout=60)
    assert first.status_code == second.status_code
    return first.json(), second.json(), statements


def assert_same(planned: Any, normal: Any) -> None:
    assert planned.get("data") == normal.get("data")
    assert [e["message"] for e in planned.get("errors", [])] == [e["message"] for e in normal.get("errors", [])]


@pytest.mark.parametrize("role", ROLES_COMPARED)
def test_partner_queries_are_planned_into_one_statement_and_match(
    servers: tuple[LiveServer, LiveServer], role_headers: dict[str, dict[str, str]], role: str
) -> None:
    for query, variables in PARTNER_QUERIES:
        planned, normal, statements = both(servers, query, variables, role_headers[role])
        assert "errors" not in normal, normal
        assert_same(planned, normal)
        assert statements == 1, query


def test_nested_query_shape_and_deep_page_cost(servers: tuple[LiveServer, LiveServer]) -> None:
    planned, _, statements = both(servers, NESTED, {"networks": 12}, {})
    networks = planned["data"]["networks"]["edges"]
    assert len(networks) == 12 and statements == 1
    cursor = None
    for _ in range(5):  # walk pages of companies: every page is one statement, like the first
        after = f', after: "{cursor}"' if cursor else ""
        page, normal, statements = both(
            servers, f"{{ companies(first: 7{after}) {{ pageInfo {{ endCursor }} nodes {{ name }} }} }}", None, {}
        )
        assert_same(page, normal)
        cursor = page["data"]["companies"]["pageInfo"]["endCursor"]
        assert statements == 1


@pytest.mark.parametrize("role", ROLES_COMPARED)
def test_node_by_id_is_planned_for_its_type(
    servers: tuple[LiveServer, LiveServer], role_headers: dict[str, dict[str, str]], role: str
) -> None:
    for global_id, planned_count in (("Q29tcGFueTox", 1), ("RXZlbnQ6MQ==", 1), ("bm9wZQ==", None)):
        planned, normal, statements = both(servers, ONE_COMPANY, {"id": global_id}, role_headers[role])
        assert_same(planned, normal)
        if planned_count is not None:
            assert statements == planned_count


def test_readme_examples_match(servers: tuple[LiveServer, LiveServer]) -> None:
    import json

    readme = (ROOT / "README.md").read_text()
    examples = readme.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    variables = json.loads(re.search(r"with variables `(\{.*?\})`", examples).group(1))  # type: ignore[union-attr]
    for block in re.findall(r"```graphql\n(.*?)```", examples, flags=re.S):
        planned, normal, _ = both(servers, block, variables if "$from" in block else None, {})
        assert_same(planned, normal)


def narrowed_schema() -> Any:
    """The schema without what the planner leaves to the normal path (`contacts`, `jsonLd`, ...) and
    without the arguments random values would only turn into errors (cursors, IDs, backward pages)."""
    document = parse(print_schema(schema._schema))
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.fields:
            kept = tuple(
                FieldDefinitionNode(
                    name=f.name,
                    type=f.type,
                    arguments=tuple(a for a in f.arguments or () if a.name.value not in RANDOM_ERRORS),
                    directives=f.directives,
                    description=f.description,
                )
                for f in definition.fields
                if (definition.name.value, f.name.value) not in UNPLANNED
                or f.name.value in PAGING
                or definition.name.value == "PageInfo"
            )
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                fields=kept,
                interfaces=definition.interfaces,
                directives=definition.directives,
                description=definition.description,
            )
        elif isinstance(definition, InputObjectTypeDefinitionNode) and definition.fields:
            definition = InputObjectTypeDefinitionNode(
                name=definition.name,
                fields=tuple(f for f in definition.fields if not f.name.value.endswith("Id")),
                directives=definition.directives,
                description=definition.description,
            )
        definitions.append(definition)
    return build_ast_schema(type(document)(definitions=tuple(definitions)), assume_valid_sdl=True)


GENERATED = queries(narrowed_schema(), fields=ROOTS, custom_scalars=SCALARS, allow_x00=False)


@pytest.mark.parametrize("role", ROLES_COMPARED)
def test_generated_queries_match(
    servers: tuple[LiveServer, LiveServer], role_headers: dict[str, dict[str, str]], role: str
) -> None:
    outcome = {"planned": 0, "total": 0}

    @settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(GENERATED)
    def compare(query: str) -> None:
        planned, normal, statements = both(servers, query, None, role_headers[role])
        assert_same(planned, normal)
        outcome["total"] += 1
        outcome["planned"] += statements == 1 and "errors" not in planned

    compare()
    assert outcome["planned"] >= outcome["total"] // 4, outcome  # the planner really answered a good share


def test_federated_tracing_takes_the_normal_path(servers: tuple[LiveServer, LiveServer]) -> None:
    planned, _ = servers
    body = {"query": "{ networks(first: 2) { nodes { name } } }"}
    traced = httpx.post(planned.url, json=body, headers={"apollo-federation-include-trace": "ftv1"}, timeout=60).json()
    assert traced["extensions"]["ftv1"]
    plain = httpx.post(planned.url, json=body, timeout=60).json()
    assert plain["data"] == traced["data"] and "ftv1" not in plain["extensions"]
