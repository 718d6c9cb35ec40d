"""Root fields, linked fields in both directions, filters, orderings, pagination and search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

README = Path(__file__).resolve().parents[2] / "README.md"


async def _all(api: Api, field: str, args: str = "", node: str = "{ id }", page: int = 7) -> list[dict[str, Any]]:
    """Every node of a root connection, fetched page by page forwards."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        cursor = f', after: "{after}"' if after else ""
        data = await api.query(
            f"{{ {field}(first: {page}{cursor}{args}) {{ edges {{ cursor node {node} }} "
            "pageInfo { hasNextPage hasPreviousPage endCursor } } }"
        )
        connection = data[field]
        nodes += [e["node"] for e in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize("field", ["companies", "networks", "spaces", "projects", "events"])
async def test_forward_pages_cover_the_list_once(api: Api, field: str) -> None:
    total = (await api.query(f"{{ {field} {{ totalCount }} }}"))[field]["totalCount"]
    nodes = await _all(api, field, page=40 if field in ("companies", "events") else 9)
    assert len(nodes) == total
    assert len({n["id"] for n in nodes}) == total


async def test_backward_pages_mirror_forward_pages(api: Api) -> None:
    forward = [n["id"] for n in await _all(api, "networks", page=5)]
    backward: list[str] = []
    before = None
    while True:
        cursor = f', before: "{before}"' if before else ""
        data = await api.query(
            f"{{ networks(last: 5{cursor}) {{ nodes {{ id }} "
            "pageInfo { hasPreviousPage hasNextPage startCursor } } }"
        )
        backward = [n["id"] for n in data["networks"]["nodes"]] + backward
        assert data["networks"]["pageInfo"]["hasNextPage"] == (before is not None)
        if not data["networks"]["pageInfo"]["hasPreviousPage"]:
            break
        before = data["networks"]["pageInfo"]["startCursor"]
    assert backward == forward


async def test_default_page_size_is_20(api: Api) -> None:
    data = await api.query("{ companies { edges { cursor } pageInfo { hasNextPage } } }")
    assert len(data["companies"]["edges"]) == 20
    assert data["companies"]["pageInfo"]["hasNextPage"]


ORDERINGS = {
    "companies": (["NAME", "CREATED_AT", "UPDATED_AT", "FOUNDED_YEAR"], "name foundedYear"),
    "networks": (["NAME", "FOUNDED_ON", "CREATED_AT", "UPDATED_AT"], "name foundedOn"),
    "spaces": (
        ["TITLE", "AREA", "RENT", "AVAILABLE_FROM", "CREATED_AT", "UPDATED_AT"],
        "title areaSqm rentPerSqm { amount } availableFrom",
    ),
    "projects": (
        ["TITLE", "START_ON", "TOTAL_VOLUME", "CREATED_AT", "UPDATED_AT"],
        "title startsOn totalVolume { amount }",
    ),
    "events": (["START_AT", "TITLE", "CREATED_AT", "UPDATED_AT"], "title startsAt"),
}
SORT_KEY = {
    "NAME": lambda n: n["name"],
    "TITLE": lambda n: n["title"],
    "FOUNDED_YEAR": lambda n: (n["foundedYear"] is None, n["foundedYear"] or 0),
    "FOUNDED_ON": lambda n: (n["foundedOn"] is None, n["foundedOn"] or ""),
    "AREA": lambda n: float(n["areaSqm"]),
    "RENT": lambda n: (n["rentPerSqm"] is None, float(n["rentPerSqm"]["amount"]) if n["rentPerSqm"] else 0.0),
    "AVAILABLE_FROM": lambda n: (n["availableFrom"] is None, n["availableFrom"] or ""),
    "START_ON": lambda n: n["startsOn"],
    "TOTAL_VOLUME": lambda n: float(n["totalVolume"]["amount"]),
    "START_AT": lambda n: dt.datetime.fromisoformat(n["startsAt"]),
}


@pytest.mark.parametrize(("field", "order"), [(f, o) for f, (orders, _) in ORDERINGS.items() for o in orders])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_orderings_page_consistently(api: Api, field: str, order: str, direction: str) -> None:
    selection = "{ id " + ORDERINGS[field][1] + " }"
    nodes = await _all(api, field, f", orderBy: {{field: {order}, direction: {direction}}}", selection, page=45)
    assert len({n["id"] for n in nodes}) == len(nodes)
    if order in SORT_KEY:
        keys = [SORT_KEY[order](n) for n in nodes]
        expected = sorted(keys, reverse=direction == "DESC")
        if order in ("NAME", "TITLE"):  # server collation: compare byte order of the C locale
            keys = [k.encode() for k in keys]
            expected = sorted(keys, reverse=direction == "DESC")
        assert keys == expected


async def test_company_filters(api: Api) -> None:
    data = await api.query(
        "{ a: companies(first: 100, filter: {ortsteil: KARLSHORST}) { nodes { address { ortsteil { key } } } } "
        '  b: companies(first: 100, filter: {postalCode: "10365"}) { nodes { address { postalCode } } } '
        '  c: companies(first: 100, filter: {industryCode: "62"}) { nodes { industry { code } } } '
        '  d: companies(first: 100, filter: {industryCode: "62.01"}) { nodes { industry { code } } } '
        "  e: companies(first: 100, filter: {employeeRanges: [RANGE_50_249]}) { nodes { employeeRange } } "
        "  f: companies(first: 100, filter: {legalForms: [EK, GBR]}) { nodes { legalForm } } "
        '  g: companies(first: 100, filter: {search: "Software"}) { nodes { name description } } }'
    )
    assert data["a"]["nodes"] and {n["address"]["ortsteil"]["key"] for n in data["a"]["nodes"]} == {"KARLSHORST"}
    assert data["b"]["nodes"] and {n["address"]["postalCode"] for n in data["b"]["nodes"]} == {"10365"}
    assert data["c"]["nodes"] and all(n["industry"]["code"].startswith("62.") for n in data["c"]["nodes"])
    assert len({n["industry"]["code"] for n in data["c"]["nodes"]}) > 1
    assert data["d"]["nodes"] and {n["industry"]["code"] for n in data["d"]["nodes"]} == {"62.01"}
    assert data["e"]["nodes"] and {n["employeeRange"] for n in data["e"]["nodes"]} == {"RANGE_50_249"}
    assert data["f"]["nodes"] and {n["legalForm"] for n in data["f"]["nodes"]} == {"EK", "GBR"}
    assert data["g"]["nodes"] and all("Software" in n["name"] + n["description"] for n in data["g"]["nodes"])


async def test_company_filter_by_network_and_updated_since(api: Api) -> None:
    network = (
        await api.query(
            '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { id members(first: 100) '
            "{ totalCount nodes { id } } } }"
        )
    )["network"]
    data = await api.query(
        "query($n: ID!) { companies(first: 100, filter: {networkId: $n}) { totalCount nodes { id } } }",
        {"n": network["id"]},
    )
    assert {n["id"] for n in data["companies"]["nodes"]} == {n["id"] for n in network["members"]["nodes"]}
    future = await api.query('{ companies(filter: {updatedSince: "2100-01-01T00:00:00+01:00"}) { totalCount } }')
    past = await api.query(
        '{ companies(filter: {updatedSince: "2000-01-01T00:00:00+01:00"}) { totalCount } '
        "all: companies { totalCount } }"
    )
    assert future["companies"]["totalCount"] == 0
    assert past["companies"]["totalCount"] == past["all"]["totalCount"]


async def test_space_filters(api: Api, today: dt.date) -> None:
    data = await api.query(
        "query($by: Date!) { a: spaces(first: 100, filter: {spaceTypes: [WAREHOUSE, WORKSHOP], listingType: OFFER, "
        "transaction: RENT}) { nodes { spaceType listingType transaction } } "
        "b: spaces(first: 100, filter: {minArea: 200, maxArea: 1000}) { nodes { areaSqm areaMaxSqm } } "
        "c: spaces(first: 100, filter: {maxRentPerSqm: 10}) { nodes { rentPerSqm { amount currency } } } "
        "d: spaces(first: 100, filter: {ortsteil: FENNPFUHL, status: AVAILABLE}) { nodes { status address { ortsteil { key } } } } "
        "e: spaces(first: 100, filter: {availableBy: $by}) { nodes { availableFrom } } }",
        {"by": today.isoformat()},
    )
    assert data["a"]["nodes"]
    assert all(
        n["spaceType"] in ("WAREHOUSE", "WORKSHOP") and n["listingType"] == "OFFER" and n["transaction"] == "RENT"
        for n in data["a"]["nodes"]
    )
    assert data["b"]["nodes"]
    assert all(
        float(n["areaSqm"]) <= 1000 and float(n["areaMaxSqm"] or n["areaSqm"]) >= 200 for n in data["b"]["nodes"]
    )
    assert data["c"]["nodes"] and all(float(n["rentPerSqm"]["amount"]) <= 10 for n in data["c"]["nodes"])
    assert all(
        n["status"] == "AVAILABLE" and n["address"]["ortsteil"]["key"] == "FENNPFUHL" for n in data["d"]["nodes"]
    )
    assert data["e"]["nodes"]
    assert all(n["availableFrom"] is None or n["availableFrom"] <= today.isoformat() for n in data["e"]["nodes"])


async def test_project_filters(api: Api) -> None:
    data = await api.query(
        '{ a: projects(first: 100, filter: {activeOn: "2019-06-01"}) { nodes { startsOn endsOn } } '
        '  b: projects(first: 100, filter: {fundingProgram: "EFRE-WDM"}) { nodes { fundingPrograms { code name } } } '
        '  n: network(slug: "netzwerk-gesundheitswirtschaft") { id } }'
    )
    assert data["a"]["nodes"]
    assert all(
        n["startsOn"] <= "2019-06-01" and (n["endsOn"] is None or n["endsOn"] >= "2019-06-01")
        for n in data["a"]["nodes"]
    )
    assert data["b"]["nodes"] and all(
        "EFRE-WDM" in {p["code"] for p in n["fundingPrograms"]} for n in data["b"]["nodes"]
    )
    by_network = await api.query(
        "query($n: ID!) { projects(filter: {networkId: $n}) { nodes { title } } }", {"n": data["n"]["id"]}
    )
    assert len(by_network["projects"]["nodes"]) == 2
    partner = await api.query("{ projects(first: 1) { nodes { id partners(first: 1) { nodes { id } } } } }")
    company_id = partner["projects"]["nodes"][0]["partners"]["nodes"][0]["id"]
    by_company = await api.query(
        "query($c: ID!) { projects(first: 100, filter: {companyId: $c}) { nodes { id } } }", {"c": company_id}
    )
    assert partner["projects"]["nodes"][0]["id"] in {n["id"] for n in by_company["projects"]["nodes"]}


async def test_event_filters(api: Api, today: dt.date) -> None:
    start = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC) + dt.timedelta(days=32)
    start = start.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    data = await api.query(
        "query($a: DateTime!, $b: DateTime!) { a: events(first: 100, filter: {startsAfter: $a, startsBefore: $b}) "
        "{ nodes { startsAt } } b: events(first: 100, filter: {kinds: [TRADE_FAIR, AWARD], statuses: [SCHEDULED]}) "
        "{ nodes { kind status } } c: events(first: 100, filter: {ortsteil: KARLSHORST}) "
        "{ nodes { venue { address { ortsteil { key } } } } } }",
        {"a": start.isoformat(), "b": end.isoformat()},
    )
    assert data["a"]["nodes"]
    assert all(start <= dt.datetime.fromisoformat(n["startsAt"]) < end for n in data["a"]["nodes"])
    assert data["b"]["nodes"] and all(
        n["kind"] in ("TRADE_FAIR", "AWARD") and n["status"] == "SCHEDULED" for n in data["b"]["nodes"]
    )
    assert data["c"]["nodes"] and all(
        n["venue"]["address"]["ortsteil"]["key"] == "KARLSHORST" for n in data["c"]["nodes"]
    )
    linked = await api.query("{ events(first: 100) { nodes { id host { id } network { id } project { id } } } }")
    sample = next(e for e in linked["events"]["nodes"] if e["host"] and e["network"] and e["project"])
    for argument, value in (
        ("companyId", sample["host"]["id"]),
        ("networkId", sample["network"]["id"]),
        ("projectId", sample["project"]["id"]),
    ):
        found = await api.query(
            f"query($v: ID!) {{ events(first: 100, filter: {{{argument}: $v}}) {{ nodes {{ id }} }} }}", {"v": value}
        )
        assert sample["id"] in {e["id"] for e in found["events"]["nodes"]}


async def test_linked_fields_both_directions(api: Api) -> None:
    data = await api.query(
        '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { id name '
        "  members(first: 3) { totalCount edges { role memberSince node { id networks(first: 20) { edges { role node { id } } } } } } "
        "  events(first: 5) { totalCount nodes { id network { id } } } projects { nodes { id networks { nodes { id } } } } "
        "  originProject { id } } }"
    )
    network = data["network"]
    for edge in network["members"]["edges"]:
        back = [e for e in edge["node"]["networks"]["edges"] if e["node"]["id"] == network["id"]]
        assert back and back[0]["role"] == edge["role"]
    assert network["events"]["totalCount"] > 0
    assert all(e["network"]["id"] == network["id"] for e in network["events"]["nodes"])
    assert any(p["id"] == network["originProject"]["id"] for p in network["projects"]["nodes"])
    assert all(network["id"] in {n["id"] for n in p["networks"]["nodes"]} for p in network["projects"]["nodes"])


async def test_company_space_project_event_links(api: Api) -> None:
    data = await api.query(
        "{ spaces(first: 100) { nodes { id provider { id spaces(first: 100) { nodes { id } } } "
        "events { nodes { id venue { space { id } } } } } } }"
    )
    with_provider = [s for s in data["spaces"]["nodes"] if s["provider"]]
    assert with_provider
    assert all(s["id"] in {x["id"] for x in s["provider"]["spaces"]["nodes"]} for s in with_provider)
    held = [s for s in data["spaces"]["nodes"] if s["events"]["nodes"]]
    assert held and all(e["venue"]["space"]["id"] == s["id"] for s in held for e in s["events"]["nodes"])
    projects = await api.query(
        "{ projects(first: 60) { nodes { id partners(first: 10) { nodes { id projects(first: 30) "
        "{ nodes { id } } } } events { nodes { project { id } } } } } }"
    )
    for project in projects["projects"]["nodes"]:
        for partner in project["partners"]["nodes"]:
            assert project["id"] in {p["id"] for p in partner["projects"]["nodes"]}
        assert all(e["project"]["id"] == project["id"] for e in project["events"]["nodes"])
    hosts = await api.query("{ events(first: 100) { nodes { id host { events(first: 100) { nodes { id } } } } } }")
    hosted = [e for e in hosts["events"]["nodes"] if e["host"]]
    assert hosted and all(e["id"] in {x["id"] for x in e["host"]["events"]["nodes"]} for e in hosted)


async def test_single_objects_by_id_slug_and_node(api: Api) -> None:
    listing = await api.query(
        "{ companies(first: 1) { nodes { id slug name } } networks(first: 1) { nodes { id slug } } "
        "spaces(first: 1) { nodes { id slug } } projects(first: 1) { nodes { id slug } } "
        "events(first: 1) { nodes { id slug } } }"
    )
    for field, single in (
        ("companies", "company"),
        ("networks", "network"),
        ("spaces", "space"),
        ("projects", "project"),
        ("events", "event"),
    ):
        node = listing[field]["nodes"][0]
        data = await api.query(
            f'query($id: ID!) {{ a: {single}(id: $id) {{ id }} b: {single}(slug: "{node["slug"]}") {{ id }} '
            "n: node(id: $id) { id __typename } }",
            {"id": node["id"]},
        )
        assert data["a"]["id"] == data["b"]["id"] == data["n"]["id"] == node["id"]
        assert data["n"]["__typename"] == single.capitalize()
    ids = [listing[f]["nodes"][0]["id"] for f in ("companies", "events")]
    data = await api.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [*ids, "Q29tcGFueTo5OTk5OTk="]})
    assert [n and n["id"] for n in data["nodes"]] == [*ids, None]
    assert (await api.query('{ company(slug: "no-such-company") { id } }'))["company"] is None


async def test_unpublished_rows_are_invisible(api: Api, demo_database_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(demo_database_url)
    try:
        hidden = await connection.fetchrow("SELECT id, slug FROM companies WHERE NOT published LIMIT 1")
    finally:
        await connection.close()
    assert hidden is not None
    from schema.core.ids import encode_id

    data = await api.query(
        f'{{ company(slug: "{hidden["slug"]}") {{ id }} node(id: "{encode_id("Company", hidden["id"])}") {{ id }} }}'
    )
    assert data == {"company": None, "node": None}
    everyone = await api.query("{ companies(first: 100, filter: {legalForms: [SOLE_PROPRIETOR]}) { nodes { slug } } }")
    assert hidden["slug"] not in {n["slug"] for n in everyone["companies"]["nodes"]}


async def test_search_prefix_ranked_and_typed(api: Api) -> None:
    data = await api.query(
        '{ search(query: "Herzberg", first: 50) { __typename ... on Network { name } '
        "... on Company { name address { street } } ... on Project { title } ... on Event { title } } }"
    )
    results = data["search"]
    assert {r["__typename"] for r in results} >= {"Network", "Company", "Project"}
    networks = await api.query(
        '{ search(query: "Herzbergstraße Unternehmensnetzwerk", types: [NETWORK]) { ... on Network { name } } }'
    )
    assert networks["search"][0]["name"] == "UnternehmensNetzwerk Herzbergstraße e.V."
    assert all("name" in r for r in networks["search"])


async def test_contacts_only_with_consent(api: Api) -> None:
    data = await api.query(
        "{ companies(first: 100) { nodes { contacts { name publicationConsent } } } "
        "networks { nodes { contacts { publicationConsent } } } projects(first: 100) { nodes { contacts { publicationConsent } } } }"
    )
    contacts = [c for n in data["companies"]["nodes"] for c in n["contacts"]]
    contacts += [c for n in data["networks"]["nodes"] for c in n["contacts"]]
    contacts += [c for n in data["projects"]["nodes"] for c in n["contacts"]]
    assert contacts, "the demo data has some consented contacts"
    assert all(c["publicationConsent"] for c in contacts)


async def test_reference_fields(api: Api) -> None:
    data = await api.query("{ ortsteile { key name } industries { code title section } fundingPrograms { code name } }")
    assert {"key": "ALT_HOHENSCHOENHAUSEN", "name": "Alt-Hohenschönhausen"} in data["ortsteile"]
    assert {"code": "62.01", "title": "Programmierungstätigkeiten", "section": "J"} in data["industries"]
    assert {p["code"] for p in data["fundingPrograms"]} >= {"GRW", "EFRE-WDM", "EXWOST"}


async def test_times_are_shown_in_berlin(api: Api) -> None:
    data = await api.query("{ events(first: 50) { nodes { startsAt } } }")
    offsets = {e["startsAt"][-6:] for e in data["events"]["nodes"]}
    assert offsets <= {"+01:00", "+02:00"}


async def test_network_filter_kinds_and_search(api: Api) -> None:
    data = await api.query(
        "{ a: networks(filter: {kinds: [CLUSTER]}) { nodes { kind } } "
        'b: networks(filter: {search: "Gesundheitswirtschaft"}) { nodes { name } } }'
    )
    assert data["a"]["nodes"] and {n["kind"] for n in data["a"]["nodes"]} == {"CLUSTER"}
    assert "Netzwerk Gesundheitswirtschaft" in {n["name"] for n in data["b"]["nodes"]}


async def test_readme_examples_run(api: Api) -> None:
    import json
    import re

    readme = README.read_text().split("## Example queries", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", readme, flags=re.S)
    variables = json.loads(re.search(r"with variables `(\{.*?\})`", readme).group(1))  # type: ignore[union-attr]
    assert len(blocks) == 3
    for block in blocks:
        data = await api.query(block, variables if "$from" in block else None)
        assert all(value is not None for value in data.values())
