"""The service as an Apollo Federation 2 subgraph, proven with Apollo's own tooling.

`tests/node/` holds a small Node harness (installed with `npm ci` by `make test`):
`@apollo/composition` composes our SDL with a jobs subgraph that extends `Company` and `Event`;
a real `@apollo/gateway` (IntrospectAndCompose) joins the real service under uvicorn with that
jobs subgraph (`@apollo/subgraph`), and the answers are checked against the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from schema.compose import default_schema
from schema.core.ids import encode_id
from schema.core.subgraph import ApolloFederationTracingExtension, _tracing
from tests.conftest import ROOT, Api, LiveServer
from tests.node_harness import HARNESS, NodeServer, node

schema = default_schema()

JOBS_SDL = (HARNESS / "jobs.graphql").read_text()
ENTITY_TYPES = ("Company", "Network", "Space", "Project", "Event")


def compose(*subgraphs: tuple[str, str]) -> dict[str, Any]:
    services = [{"name": name, "url": f"http://{name}.invalid/graphql", "typeDefs": sdl} for name, sdl in subgraphs]
    result: dict[str, Any] = json.loads(node("compose.mjs", stdin=json.dumps(services)))
    return result


# --- the subgraph's own protocol --------------------------------------------------------------


async def test_service_sdl_is_a_federation_2_subgraph(api: Api) -> None:
    sdl = (await api.query("{ _service { sdl } }"))["_service"]["sdl"]
    assert sdl.startswith('schema @link(url: "https://specs.apollo.dev/federation/v2.0"')
    for type_name in ENTITY_TYPES:
        assert re.search(rf'type {type_name} implements Node @key\(fields: "id"\) @key\(fields: "slug"\) {{', sdl)
    for type_name in ("Address", "Money", "GeoPoint", "PageInfo", "Ortsteil"):
        assert f"type {type_name} @shareable {{" in sdl
    assert sdl.strip() == (ROOT / "schema.graphql").read_text().strip()


@pytest.fixture(scope="module")
def rows(demo_database_url: str) -> dict[str, Any]:
    """Keys of real rows, straight from the database."""

    async def fetch() -> dict[str, Any]:
        connection = await asyncpg.connect(demo_database_url)
        try:
            return {
                "companies": await connection.fetch(
                    "SELECT id, slug, name FROM companies WHERE published ORDER BY id LIMIT 100"
                ),
                "hidden_company": await connection.fetchval("SELECT id FROM companies WHERE NOT published LIMIT 1"),
                "events": await connection.fetch("SELECT id, slug, title FROM events WHERE published ORDER BY id"),
                "networks": await connection.fetch("SELECT id, slug, name FROM networks WHERE published ORDER BY id"),
            }
        finally:
            await connection.close()

    return asyncio.run(fetch())


ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Company { id slug name }
    ... on Event { id title }
    ... on Network { id name }
  }
}
"""


async def test_entities_of_any_mix_cost_one_statement_per_type(api: Api, rows: dict[str, Any]) -> None:
    companies, events, networks = rows["companies"][:84], rows["events"][:5], rows["networks"][:5]
    assert rows["hidden_company"] is not None
    representations: list[dict[str, Any]] = []
    expected: list[str | None] = []
    for index, company in enumerate(companies):  # 60 by id, 24 by slug: 100 in all, the cap without a gateway key
        key = {"id": encode_id("Company", company["id"])} if index < 60 else {"slug": company["slug"]}
        representations.append({"__typename": "Company", **key})
        expected.append(company["name"])
    for event in events:
        representations.append({"__typename": "Event", "id": encode_id("Event", event["id"])})
        expected.append(event["title"])
    for network in networks:
        representations.append({"__typename": "Network", "slug": network["slug"]})
        expected.append(network["name"])
    unresolvable: list[dict[str, Any]] = [
        {"__typename": "Company", "id": encode_id("Company", 10**9)},  # unknown
        {"__typename": "Company", "id": encode_id("Company", rows["hidden_company"])},  # unpublished
        {"__typename": "Company", "id": encode_id("Event", events[0]["id"])},  # another type's ID
        {"__typename": "Company", "id": "not-an-id"},
        {"__typename": "Company", "id": 17},
        {"__typename": "Network", "slug": "no-such-network"},
    ]
    representations += unresolvable
    expected += [None] * len(unresolvable)

    data, statements = await api.count_statements(ENTITIES, {"representations": representations})
    names = [None if e is None else e.get("name") or e.get("title") for e in data["_entities"]]
    assert names == expected
    assert statements == 3  # companies, events, networks: one each, whatever the mix of keys


async def test_malformed_representations_fail_alone(api: Api, rows: dict[str, Any]) -> None:
    company = rows["companies"][0]
    malformed: list[Any] = [{"__typename": "Company"}, "Company:1", {"id": "x"}, {"__typename": "Nope"}]
    malformed.append({"__typename": "Address", "street": "Möllendorffstraße 6"})  # a value type, not an entity
    response = await api.post(
        ENTITIES, {"representations": [*malformed, {"__typename": "Company", "slug": company["slug"]}]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["_entities"][:-1] == [None] * len(malformed)
    assert body["data"]["_entities"][-1]["name"] == company["name"]
    assert sorted(e["path"][1] for e in body["errors"]) == list(range(len(malformed)))
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


# --- federated tracing ------------------------------------------------------------------------


async def test_ftv1_trace_only_with_the_header(api: Api, rows: dict[str, Any]) -> None:
    slug = rows["companies"][0]["slug"]
    query = f'{{ networks(first: 2) {{ nodes {{ name }} }} company(slug: "{slug}") {{ name }} }}'
    plain = (await api.post(query)).json()
    assert "ftv1" not in plain.get("extensions", {})

    traced = (await api.post(query, headers={"apollo-federation-include-trace": "ftv1"})).json()
    assert traced["data"] == plain["data"]
    trace = json.loads(node("decode-trace.mjs", stdin=traced["extensions"]["ftv1"]))
    assert trace["durationNs"] > 0
    root_fields = {child["responseName"] for child in trace["root"]["child"]}
    assert root_fields == {"networks", "company"}


def test_no_tracing_extension_without_the_header() -> None:
    """Without the header the tracer is not even installed, so no field pays for it."""
    assert not any(isinstance(e, ApolloFederationTracingExtension) for e in schema.get_extensions())
    token = _tracing.set(True)
    try:
        assert any(isinstance(e, ApolloFederationTracingExtension) for e in schema.get_extensions())
    finally:
        _tracing.reset(token)


# --- composition ------------------------------------------------------------------------------


def test_composes_with_a_jobs_subgraph_without_errors_or_hints() -> None:
    result = compose(("upl", schema.as_str()), ("jobs", JOBS_SDL))
    assert result["errors"] == []
    assert result["hints"] == []
    supergraph = result["supergraphSdl"]
    assert "jobOpenings: [Job!]! @join__field(graph: JOBS)" in supergraph
    company = supergraph[supergraph.index("type Company ") :].split("{", 1)[0]
    for key in (
        '@join__type(graph: JOBS, key: "id")',
        '@join__type(graph: UPL, key: "id")',
        '@join__type(graph: UPL, key: "slug")',
    ):
        assert key in company


def test_composition_catches_a_non_shareable_field_defined_twice() -> None:
    greedy_jobs = JOBS_SDL.replace(
        'type Company @key(fields: "id") {\n  id: ID!\n',
        'type Company @key(fields: "id") {\n  id: ID!\n  name: String!\n',
    )
    assert greedy_jobs != JOBS_SDL
    result = compose(("upl", schema.as_str()), ("jobs", greedy_jobs))
    assert result["supergraphSdl"] is None
    assert any(e["code"] == "INVALID_FIELD_SHARING" and '"Company.name"' in e["message"] for e in result["errors"])

    unshared_money = schema.as_str().replace("type Money @shareable {", "type Money {")
    result = compose(("upl", unshared_money), ("jobs", JOBS_SDL))
    assert any(e["code"] == "INVALID_FIELD_SHARING" and '"Money.amount"' in e["message"] for e in result["errors"])


# --- a real gateway in front of the service and a jobs subgraph --------------------------------


@pytest.fixture(scope="module")
def jobs(rows: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One job at each of 100 companies (two at the first), some presented at an event."""
    companies, events = rows["companies"], rows["events"]
    listing = [
        {
            "id": f"job-{index}",
            "title": f"Fachkraft {index}",
            "companyId": encode_id("Company", company["id"]),
            "eventId": encode_id("Event", events[index]["id"]) if index % 10 == 0 else None,
            "salary": {"amount": f"{3000 + index}.00", "currency": "EUR"},
            "workplace": {"latitude": 52.5, "longitude": 13.5},
        }
        for index, company in enumerate(companies)
    ]
    listing.append({**listing[0], "id": "job-extra", "title": "Auszubildende*r", "eventId": None})
    return listing


@pytest.fixture(scope="module")
def jobs_subgraph(jobs: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    jobs_file = tmp_path_factory.mktemp("jobs") / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    server = NodeServer("jobs-subgraph.mjs", str(jobs_file))
    yield server.url
    server.stop()


GATEWAYS = {"apollo": "gateway.mjs", "hive": "hive-gateway.mjs"}
"""Two independent implementations: Apollo's `@apollo/gateway` (IntrospectAndCompose) and The
Guild's Hive Gateway composing with `@theguild/federation-composition`."""


@pytest.fixture(scope="module", params=list(GATEWAYS))
def gateway(request: pytest.FixtureRequest, live_server: LiveServer, jobs_subgraph: str) -> Iterator[str]:
    server = NodeServer(GATEWAYS[request.param], f"upl={live_server.url}", f"jobs={jobs_subgraph}")
    yield server.url
    server.stop()


def test_a_partner_contract_composes_without_staff_and_admin_fields(
    live_server: LiveServer, jobs_subgraph: str
) -> None:
    """Hive's schema contract without the `staff` and `admin` tags: no mutation, no account fields."""
    contract = NodeServer(
        "hive-gateway.mjs", "--exclude-tags", "staff,admin", f"upl={live_server.url}", f"jobs={jobs_subgraph}"
    )
    try:
        schema = through(contract.url, "{ __schema { mutationType { name } queryType { fields { name } } } }")
        fields = {f["name"] for f in schema["__schema"]["queryType"]["fields"]}
        assert schema["__schema"]["mutationType"] is None
        assert {"companies", "events", "jobs", "changes"} <= fields
        assert not fields & {"users", "apiKeys", "auditLog"}
        data = through(contract.url, "{ jobs(first: 2) { company { name } } networks(first: 2) { nodes { name } } }")
        assert data["jobs"][0]["company"]["name"] and data["networks"]["nodes"]
    finally:
        contract.stop()


def through(gateway: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(gateway, json={"query": query, "variables": variables}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def test_gateway_company_with_its_job_openings(gateway: str, rows: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
    company = rows["companies"][0]
    data = through(
        gateway,
        "query($slug: String!) { company(slug: $slug) { id name jobOpenings { title salary { amount currency } } } }",
        {"slug": company["slug"]},
    )
    assert data["company"]["name"] == company["name"]
    expected = [j for j in jobs if j["companyId"] == data["company"]["id"]]
    assert [j["title"] for j in data["company"]["jobOpenings"]] == [j["title"] for j in expected] != []
    assert data["company"]["jobOpenings"][0]["salary"] == {"amount": "3000.00", "currency": "EUR"}


async def _company_links(url: str, company_id: int, now: dt.datetime) -> tuple[list[str], list[str]]:
    connection = await asyncpg.connect(url)
    try:
        networks = await connection.fetch(
            "SELECT n.name FROM networks n JOIN network_memberships m ON m.network_id = n.id "
            "WHERE m.company_id = $1 AND n.published ORDER BY n.name, n.id",
            company_id,
        )
        events = await connection.fetch(
            "SELECT title FROM events WHERE host_company_id = $1 AND published AND starts_at >= $2 "
            "ORDER BY starts_at, id LIMIT 5",
            company_id,
            now,
        )
        return [r["name"] for r in networks], [r["title"] for r in events]
    finally:
        await connection.close()


def test_gateway_jobs_company_with_networks_and_upcoming_events(
    gateway: str, demo_database_url: str, rows: dict[str, Any]
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data = through(
        gateway,
        """query($now: DateTime!) { jobs(first: 100) { title
            company { name
              networks(first: 50) { nodes { name } }
              events(first: 5, filter: { startsAfter: $now }) { nodes { title } } }
            presentedAt { title jobsPresented { title } } } }""",
        {"now": now.isoformat()},
    )
    assert len(data["jobs"]) == 100
    by_name = {c["name"]: c["id"] for c in rows["companies"]}
    linked = 0
    for job in data["jobs"]:
        networks, events = asyncio.run(_company_links(demo_database_url, by_name[job["company"]["name"]], now))
        assert [n["name"] for n in job["company"]["networks"]["nodes"]] == networks
        assert [e["title"] for e in job["company"]["events"]["nodes"]] == events
        linked += bool(networks)
    assert linked > 10
    presented = [job for job in data["jobs"] if job["presentedAt"] is not None]
    assert len(presented) == 10
    for job in presented:
        assert job["title"] in [j["title"] for j in job["presentedAt"]["jobsPresented"]]


def test_gateway_entities_for_100_companies_cost_one_statement(
    gateway: str, live_server: LiveServer, rows: dict[str, Any]
) -> None:
    assert live_server.counter is not None
    live_server.counter.reset()
    data = through(gateway, "{ jobs(first: 100) { company { name } } }")
    assert sorted(j["company"]["name"] for j in data["jobs"]) == sorted(c["name"] for c in rows["companies"])
    assert live_server.counter.count == 1, live_server.counter.statements


def test_gateway_runs_the_readme_supergraph_query(gateway: str) -> None:
    readme = (ROOT / "README.md").read_text().split("## Federation: joining a supergraph", 1)[1]
    query = re.findall(r"```graphql\n(.*?)```", readme, flags=re.S)[0]
    data = through(gateway, query)
    assert data["company"]["jobOpenings"]
    assert len(data["jobs"]) == 10
    assert all(job["company"]["name"] for job in data["jobs"])
