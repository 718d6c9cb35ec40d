"""Relay conventions: globally unique IDs, `node(id:)` for every type with an ID, connections
that follow the Relay Cursor Connections spec everywhere (the feed and the audit log included),
mutations that return the edges they add, and a description on everything GraphiQL shows."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from graphql import get_introspection_query

from schema.core.ids import decode_id, encode_id
from tests.conftest import Api

# --- descriptions -----------------------------------------------------------------------------


async def test_everything_in_the_introspection_has_a_description(api: Api) -> None:
    schema = (await api.query(get_introspection_query(input_value_deprecation=True)))["__schema"]
    missing = []
    for type_ in schema["types"]:
        name = type_["name"]
        if name.startswith("__"):
            continue
        if not type_["description"]:
            missing.append(name)
        for field in type_["fields"] or []:
            missing += [f"{name}.{field['name']}"] if not field["description"] else []
            missing += [f"{name}.{field['name']}({a['name']})" for a in field["args"] if not a["description"]]
        missing += [f"{name}.{f['name']}" for f in type_["inputFields"] or [] if not f["description"]]
        missing += [f"{name}.{v['name']}" for v in type_["enumValues"] or [] if not v["description"]]
    assert missing == []


# --- the Relay Cursor Connections spec, checked on the introspection ---------------------------


def named(ref: dict[str, Any]) -> dict[str, Any]:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return ref


def shape(ref: dict[str, Any]) -> str:
    """`[X!]!`-style spelling of a type reference."""
    if ref["kind"] == "NON_NULL":
        return shape(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + shape(ref["ofType"]) + "]"
    return str(ref["name"])


async def test_connections_follow_the_relay_spec(api: Api) -> None:
    schema = (await api.query(get_introspection_query()))["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    fields = lambda t: {f["name"]: f for f in types[t]["fields"]}  # noqa: E731
    page_info = fields("PageInfo")
    assert shape(page_info["hasNextPage"]["type"]) == "Boolean!" == shape(page_info["hasPreviousPage"]["type"])
    assert {shape(page_info[c]["type"]) for c in ("startCursor", "endCursor")} <= {"String", "String!"}
    connections = [name for name, t in types.items() if name.endswith("Connection") and t["kind"] == "OBJECT"]
    assert len(connections) >= 9
    for connection in connections:
        edges = fields(connection)["edges"]["type"]
        assert shape(edges).startswith("[") and shape(edges).endswith("!]!"), connection
        edge = named(edges)["name"]
        assert edge.endswith("Edge"), connection
        assert shape(fields(connection)["pageInfo"]["type"]) == "PageInfo!", connection
        edge_fields = fields(edge)
        assert shape(edge_fields["cursor"]["type"]) == "String!", edge
        assert named(edge_fields["node"]["type"])["kind"] in {"OBJECT", "INTERFACE", "UNION"}, edge
        assert not shape(edge_fields["node"]["type"]).startswith("["), edge
    users = 0
    for type_ in schema["types"]:
        for field in type_["fields"] or []:
            if named(field["type"])["name"] in connections:
                users += 1
                arguments = {a["name"]: shape(a["type"]) for a in field["args"]}
                where = f"{type_['name']}.{field['name']}"
                if type_["name"] == "Subscription":  # a live list is a window that is pushed, not paged
                    assert arguments.get("first") == "Int" and "after" not in arguments, where
                    continue
                assert arguments.get("first") == "Int" and arguments.get("last") == "Int", where
                assert arguments.get("after") == "String" and arguments.get("before") == "String", where
                assert shape(field["type"]).endswith("!"), where
    assert users >= 18


# --- IDs are globally unique, and every ID can be fetched --------------------------------------


async def test_every_id_names_its_own_type(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["admin"]
    data = await edit_api.query(
        """{
          changes(first: 5) { nodes { __typename id objectId type } }
          networks(first: 3) { nodes { __typename id contacts { __typename id } members(first: 2) { nodes { __typename id } } } }
          users { __typename id }
        }""",
        headers=staff,
    )
    objects = [
        *data["changes"]["nodes"],
        *data["networks"]["nodes"],
        *[c for n in data["networks"]["nodes"] for c in n["contacts"]],
        *[m for n in data["networks"]["nodes"] for m in n["members"]["nodes"]],
        *data["users"],
    ]
    assert {o["__typename"] for o in objects} >= {"Change", "Network", "ContactPerson", "Company", "User"}
    for item in objects:
        assert decode_id(item["id"])[0] == item["__typename"], item
    for change in data["changes"]["nodes"]:
        assert change["id"] != change["objectId"]
        assert decode_id(change["objectId"])[0].upper() == change["type"]


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Change { objectId action } ... on ContactPerson { name publicationConsent } } }"""


@pytest.fixture(scope="module")
def contact_ids(edit_database_url: str) -> dict[bool, str]:
    """A published contact with consent and one without, of published companies."""

    async def fetch() -> dict[bool, str]:
        connection = await asyncpg.connect(edit_database_url)
        try:
            rows = await connection.fetch(
                "SELECT DISTINCT ON (c.publication_consent) c.id, c.publication_consent FROM contact_persons c "
                "WHERE c.published AND c.deleted_at IS NULL ORDER BY c.publication_consent, c.id"
            )
            return {r["publication_consent"]: encode_id("ContactPerson", r["id"]) for r in rows}
        finally:
            await connection.close()

    return asyncio.run(fetch())


async def test_contact_persons_are_nodes_under_the_personal_data_rule(
    edit_api: Api, role_headers: dict[str, dict[str, str]], contact_ids: dict[bool, str]
) -> None:
    for role in ("staff", "admin"):
        for consent in (True, False):
            found = (await edit_api.query(NODE, {"id": contact_ids[consent]}, headers=role_headers[role]))["node"]
            assert found["__typename"] == "ContactPerson" and found["publicationConsent"] is consent
    for headers in ({}, role_headers["partner"]):
        shown = await edit_api.post(NODE, {"id": contact_ids[True]}, headers=headers)
        assert shown.json()["data"]["node"]["name"]
        assert shown.headers["cache-control"] == "private, no-store"  # personal data: never in a shared cache
        hidden = await edit_api.post(NODE, {"id": contact_ids[False]}, headers=headers)
        assert hidden.json()["data"]["node"] is None


async def test_changes_are_nodes_seen_as_in_the_feed(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["staff"]
    created = await edit_api.query(
        'mutation { companyCreate(input: { name: "Knoten intern GmbH", legalForm: GMBH, published: false }) '
        "{ company { id } } }",
        headers=staff,
    )
    company = created["companyCreate"]["company"]["id"]
    last = await edit_api.query(
        "{ changes(last: 1, types: [COMPANY]) { nodes { id objectId action } } }", headers=staff
    )
    (change,) = last["changes"]["nodes"]
    assert change["objectId"] == company and change["action"] == "CREATE"
    fetched = (await edit_api.query(NODE, {"id": change["id"]}, headers=staff))["node"]
    assert fetched == {"__typename": "Change", "id": change["id"], "objectId": company, "action": "CREATE"}
    hidden = await edit_api.query(NODE, {"id": change["id"]})
    assert hidden["node"] is None  # outsiders never saw that company


# --- the feed and the audit log page both ways -------------------------------------------------

FEED = """query($first: Int, $after: String, $since: String, $last: Int, $before: String) {
  changes(first: $first, after: $after, since: $since, last: $last, before: $before) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_the_feed_pages_backwards_as_it_pages_forwards(api: Api) -> None:
    forward = (await api.query(FEED, {"first": 30}))["changes"]
    assert len(forward["edges"]) == 30 and forward["pageInfo"]["hasNextPage"]
    middle = forward["edges"][20]["cursor"]
    back = (await api.query(FEED, {"last": 10, "before": middle}))["changes"]
    assert [e["node"]["id"] for e in back["edges"]] == [e["node"]["id"] for e in forward["edges"][10:20]]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    assert back["pageInfo"]["startCursor"] == forward["edges"][10]["cursor"]
    by_since = (await api.query(FEED, {"first": 5, "since": middle}))["changes"]
    by_after = (await api.query(FEED, {"first": 5, "after": middle}))["changes"]
    assert by_since == by_after and by_after["edges"][0]["node"] == forward["edges"][21]["node"]
    both = await api.errors(FEED, {"since": middle, "after": forward["edges"][3]["cursor"]})
    assert both[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_audit_log_pages_backwards(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    query = """query($first: Int, $last: Int, $before: String) { auditLog(first: $first, last: $last, before: $before) {
      edges { cursor node { at action } } pageInfo { hasPreviousPage } } }"""
    admin = role_headers["admin"]
    for n in range(6):
        await edit_api.query(
            f'mutation {{ companyCreate(input: {{ name: "Protokoll {n} GmbH", legalForm: GMBH }}) {{ company {{ id }} }} }}',
            headers=role_headers["staff"],
        )
    newest = (await edit_api.query(query, {"first": 6}, headers=admin))["auditLog"]["edges"]
    assert len(newest) == 6
    back = (await edit_api.query(query, {"last": 3, "before": newest[5]["cursor"]}, headers=admin))["auditLog"]
    assert [e["cursor"] for e in back["edges"]] == [e["cursor"] for e in newest[2:5]]


# --- mutations that add to a connection return the edge --------------------------------------


async def test_membership_mutations_return_the_edges(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    staff = role_headers["staff"]
    ids = await edit_api.query(
        """{ networks(first: 1) { nodes { id members(first: 100) { totalCount } } }
             companies(first: 1, filter: { search: "Lichtenberg" }) { nodes { id name } } }""",
        headers=staff,
    )
    network = ids["networks"]["nodes"][0]["id"]
    created = await edit_api.query(
        'mutation { companyCreate(input: { name: "Aaa Kante GmbH", legalForm: GMBH }) { company { id name } } }',
        headers=staff,
    )
    company = created["companyCreate"]["company"]
    add = """mutation($n: ID!, $c: ID!) { networkMemberAdd(input: { networkId: $n, companyId: $c, role: BOARD }) {
      memberEdge { cursor role memberSince node { id name } } networkEdge { cursor role node { id } }
      removedMemberId userErrors { code } } }"""
    added = (await edit_api.query(add, {"n": network, "c": company["id"]}, headers=staff))["networkMemberAdd"]
    assert added["userErrors"] == [] and added["removedMemberId"] is None
    assert added["memberEdge"]["node"] == company and added["memberEdge"]["role"] == "BOARD"
    assert added["networkEdge"]["node"]["id"] == network
    # the edge's cursor is one of the connection's: the members after it follow it there
    page = await edit_api.query(
        "query($n: ID!) { node(id: $n) { ... on Network { members(first: 100) { edges { cursor node { id } } } } } }",
        {"n": network},
        headers=staff,
    )
    edges = page["node"]["members"]["edges"]
    position = [e["node"]["id"] for e in edges].index(company["id"])
    assert edges[position]["cursor"] == added["memberEdge"]["cursor"]

    remove = """mutation($n: ID!, $c: ID!) { networkMemberRemove(input: { networkId: $n, companyId: $c }) {
      memberEdge { cursor } removedMemberId userErrors { code } } }"""
    removed = (await edit_api.query(remove, {"n": network, "c": company["id"]}, headers=staff))["networkMemberRemove"]
    assert removed == {"memberEdge": None, "removedMemberId": company["id"], "userErrors": []}

    project = (await edit_api.query("{ projects(first: 1) { nodes { id } } }", headers=staff))["projects"]["nodes"][0]
    partner = """mutation($p: ID!, $c: ID!) { projectPartnerAdd(input: { projectId: $p, companyId: $c }) {
      partnerEdge { cursor node { id } } removedPartnerId userErrors { code } } }"""
    linked = (await edit_api.query(partner, {"p": project["id"], "c": company["id"]}, headers=staff))[
        "projectPartnerAdd"
    ]
    assert linked["partnerEdge"]["node"]["id"] == company["id"] and linked["partnerEdge"]["cursor"]
    unlink = partner.replace("projectPartnerAdd", "projectPartnerRemove")
    unlinked = (await edit_api.query(unlink, {"p": project["id"], "c": company["id"]}, headers=staff))[
        "projectPartnerRemove"
    ]
    assert unlinked["partnerEdge"] is None and unlinked["removedPartnerId"] == company["id"]
