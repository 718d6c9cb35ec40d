"""Editing through the real HTTP app as staff: success, every validation rule, version conflicts,
soft delete and restore, links, contacts, and the audit entry of each write."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from schema.core.ids import encode_id
from tests.conftest import Api

COMPANY_FIELDS = "id slug name version published address { postalCode ortsteil { name } }"


@pytest.fixture
def staff(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> Any:
    async def call(query: str, variables: dict[str, Any] | None = None, role: str = "staff") -> dict[str, Any]:
        return await edit_api.query(query, variables, headers=role_headers[role])

    return call


async def db_value(url: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def create_company(staff: Any, name: str = "Spree Werkstatt GmbH", **extra: Any) -> dict[str, Any]:
    data = await staff(
        f"mutation($input: CompanyCreateInput!) {{ companyCreate(input: $input) {{ company {{ {COMPANY_FIELDS} }} "
        "userErrors { field message code } } }",
        {"input": {"name": name, "legalForm": "GMBH", **extra}},
    )
    payload: dict[str, Any] = data["companyCreate"]
    return payload


async def audit(staff: Any, object_id: str) -> list[dict[str, Any]]:
    data = await staff(
        "query($id: ID!) { auditLog(first: 20, filter: { objectId: $id }) { nodes { actor action changes objectId } } }",
        {"id": object_id},
        role="admin",
    )
    nodes: list[dict[str, Any]] = data["auditLog"]["nodes"]
    return nodes


async def test_company_create_update_and_audit(staff: Any) -> None:
    created = await create_company(
        staff, address={"street": "Frankfurter Allee 1", "postalCode": "10247", "ortsteil": "Friedrichsfelde"}
    )
    assert created["userErrors"] == []
    company = created["company"]
    assert company["slug"] == "spree-werkstatt-gmbh" and company["version"] == 1
    assert company["address"] == {"postalCode": "10247", "ortsteil": {"name": "Friedrichsfelde"}}

    updated = (
        await staff(
            "mutation($input: CompanyUpdateInput!) { companyUpdate(input: $input) { company { name slug version } "
            "userErrors { code } } }",
            {"input": {"id": company["id"], "version": 1, "name": "Spree Werkstatt Berlin GmbH"}},
        )
    )["companyUpdate"]
    assert updated == {
        "company": {"name": "Spree Werkstatt Berlin GmbH", "slug": "spree-werkstatt-gmbh", "version": 2},
        "userErrors": [],
    }
    entries = await audit(staff, company["id"])
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["actor"] == "anna via key " + entries[0]["actor"].split("via key ")[1]
    assert entries[0]["changes"] == {"name": ["Spree Werkstatt GmbH", "Spree Werkstatt Berlin GmbH"]}
    assert entries[1]["changes"]["postal_code"] == [None, "10247"]


async def test_slugs_are_unique_and_stable_unless_asked(staff: Any) -> None:
    first = (await create_company(staff, "Doppel GmbH"))["company"]
    second = (await create_company(staff, "Doppel GmbH"))["company"]
    assert (first["slug"], second["slug"]) == ("doppel-gmbh", "doppel-gmbh-2")
    taken = await create_company(staff, "Anders GmbH", slug="doppel-gmbh")
    assert taken["company"] is None
    assert taken["userErrors"] == [
        {"field": ["input", "slug"], "message": "The slug 'doppel-gmbh' is taken.", "code": "SLUG_TAKEN"}
    ]
    renamed = await staff(
        "mutation($input: CompanyUpdateInput!) { companyUpdate(input: $input) { company { slug } } }",
        {"input": {"id": second["id"], "version": 1, "name": "Ganz Neu AG", "regenerateSlug": True}},
    )
    assert renamed["companyUpdate"]["company"]["slug"] == "ganz-neu-ag"


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"name": "  "}, ["input", "name"], "REQUIRED"),
        ({"address": {"postalCode": "1234"}}, ["input", "address", "postalCode"], "INVALID_POSTAL_CODE"),
        ({"address": {"ortsteil": "Kreuzberg"}}, ["input", "address", "ortsteil"], "INVALID_ORTSTEIL"),
        ({"website": "www.example.org"}, ["input", "website"], "INVALID_URL"),
        ({"email": "info(at)example.org"}, ["input", "email"], "INVALID_EMAIL"),
        ({"foundedYear": 1500}, ["input", "foundedYear"], "OUT_OF_RANGE"),
        ({"industryCode": "99.99"}, ["input", "industryCode"], "NOT_FOUND"),
        ({"name": "x" * 201}, ["input", "name"], "TOO_LONG"),
        ({"address": {"latitude": 52.5}}, ["input", "address", "latitude"], "INVALID"),
    ],
)
async def test_company_validation_changes_nothing(
    staff: Any, edit_database_url: str, extra: dict[str, Any], field: list[str], code: str
) -> None:
    before = await db_value(edit_database_url, "SELECT count(*) FROM companies")
    audit_before = await db_value(edit_database_url, "SELECT count(*) FROM audit_log")
    payload = await create_company(staff, **{"name": "Prüf GmbH", **extra})
    assert payload["company"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert await db_value(edit_database_url, "SELECT count(*) FROM companies") == before
    assert await db_value(edit_database_url, "SELECT count(*) FROM audit_log") == audit_before


async def test_stale_version_is_a_conflict_and_concurrent_edits_do_not_both_win(staff: Any) -> None:
    event = (
        await staff(
            'mutation { eventCreate(input: { title: "Konflikt-Treffen", kind: NETWORK_MEETING, '
            'startsAt: "2027-03-04T19:00:00+01:00", venueName: "Rathaus" }) { event { id version } userErrors { code } } }'
        )
    )["eventCreate"]["event"]
    update = (
        "mutation($input: EventUpdateInput!) { eventUpdate(input: $input) { event { title version } "
        "userErrors { field code message } } }"
    )
    results = await asyncio.gather(
        staff(update, {"input": {"id": event["id"], "version": 1, "title": "Version Anna"}}),
        staff(update, {"input": {"id": event["id"], "version": 1, "title": "Version Otto"}}, role="admin"),
    )
    payloads = [r["eventUpdate"] for r in results]
    winners = [p for p in payloads if p["event"] is not None]
    losers = [p for p in payloads if p["event"] is None]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0]["event"]["version"] == 2
    assert losers[0]["userErrors"][0]["code"] == "CONFLICT"
    assert losers[0]["userErrors"][0]["field"] == ["input", "version"]
    assert "version 2" in losers[0]["userErrors"][0]["message"]


@pytest.mark.parametrize(
    ("mutation", "values", "field", "code"),
    [
        ("project", {"endsOn": "2019-12-31"}, ["input", "endsOn"], "ENDS_BEFORE_START"),
        ("project", {"fundingAmount": "200000.00"}, ["input", "fundingAmount"], "OUT_OF_RANGE"),
        ("project", {"totalVolume": "-1"}, ["input", "totalVolume"], "OUT_OF_RANGE"),
        ("space", {"areaSqm": "0"}, ["input", "areaSqm"], "OUT_OF_RANGE"),
        ("space", {"rentPerSqm": "-3.50"}, ["input", "rentPerSqm"], "OUT_OF_RANGE"),
        ("space", {"providerId": "Q29tcGFueTo5OTk5OTk5"}, ["input", "providerId"], "NOT_FOUND"),
        ("space", {"providerId": "not-an-id"}, ["input", "providerId"], "INVALID_ID"),
        ("event", {"endsAt": "2027-01-01T10:00:00+01:00"}, ["input", "endsAt"], "ENDS_BEFORE_START"),
        ("event", {"capacity": -1}, ["input", "capacity"], "OUT_OF_RANGE"),
        ("event", {"venueName": None}, ["input", "venueName"], "REQUIRED"),
        ("event", {"startsAt": "2027-01-02T10:00:00"}, ["input", "startsAt"], "INVALID"),
        ("event", {"onlineUrl": "ftp://example.org"}, ["input", "onlineUrl"], "INVALID_URL"),
        ("network", {"email": "kein-mail"}, ["input", "email"], "INVALID_EMAIL"),
    ],
)
async def test_validation_rules_of_the_other_types(
    staff: Any, mutation: str, values: dict[str, Any], field: list[str], code: str
) -> None:
    base = {
        "project": {
            "title": "Prüfprojekt",
            "status": "PLANNED",
            "startsOn": "2020-01-01",
            "totalVolume": "100000.00",
            "fundingAmount": "50000.00",
        },
        "space": {
            "title": "Prüffläche",
            "listingType": "OFFER",
            "spaceType": "OFFICE",
            "transaction": "RENT",
            "areaSqm": "120.5",
        },
        "event": {
            "title": "Prüftermin",
            "kind": "WORKSHOP",
            "startsAt": "2027-01-02T10:00:00+01:00",
            "venueName": "Rathaus",
        },
        "network": {"name": "Prüfnetzwerk", "kind": "NETWORK"},
    }[mutation]
    type_name = mutation.capitalize()
    data = await staff(
        f"mutation($input: {type_name}CreateInput!) {{ {mutation}Create(input: $input) {{ {mutation} {{ id }} "
        "userErrors { field code } } }",
        {"input": {**base, **values}},
    )
    payload = data[f"{mutation}Create"]
    assert payload[mutation] is None
    assert payload["userErrors"] == [{"field": field, "code": code}]
    valid = await staff(
        f"mutation($input: {type_name}CreateInput!) {{ {mutation}Create(input: $input) {{ {mutation} {{ id }} "
        "userErrors { field code } } }",
        {"input": base},
    )
    assert valid[f"{mutation}Create"]["userErrors"] == []


async def test_delete_hides_everywhere_and_admins_restore(staff: Any, edit_api: Api) -> None:
    company = (await create_company(staff, "Bald Weg GmbH"))["company"]
    network = (await staff("{ networks(first: 1) { nodes { id name } } }"))["networks"]["nodes"][0]
    added = await staff(
        "mutation($input: NetworkMemberAddInput!) { networkMemberAdd(input: $input) { network { name } company { name } userErrors { code } } }",
        {
            "input": {
                "networkId": network["id"],
                "companyId": company["id"],
                "role": "BOARD",
                "memberSince": "2024-05-01",
            }
        },
    )
    assert added["networkMemberAdd"] == {
        "network": {"name": network["name"]},
        "company": {"name": "Bald Weg GmbH"},
        "userErrors": [],
    }
    members = "query($id: ID!) { node(id: $id) { ... on Network { members(first: 100) { edges { role memberSince node { id } } } } } }"
    edges = (await staff(members, {"id": network["id"]}))["node"]["members"]["edges"]
    assert {"role": "BOARD", "memberSince": "2024-05-01", "node": {"id": company["id"]}} in edges
    twice = await staff(
        "mutation($input: NetworkMemberAddInput!) { networkMemberAdd(input: $input) { userErrors { field code } } }",
        {"input": {"networkId": network["id"], "companyId": company["id"]}},
    )
    assert twice["networkMemberAdd"]["userErrors"] == [{"field": ["input", "companyId"], "code": "ALREADY_EXISTS"}]

    deleted = await staff(
        "mutation($input: EditTargetInput!) { companyDelete(input: $input) { company { id } userErrors { code } } }",
        {"input": {"id": company["id"], "version": 1}},
    )
    assert deleted["companyDelete"]["userErrors"] == []
    assert (await staff("query($id: ID!) { node(id: $id) { id } }", {"id": company["id"]}))["node"] is None
    edges = (await staff(members, {"id": network["id"]}))["node"]["members"]["edges"]
    assert all(e["node"]["id"] != company["id"] for e in edges)

    restore = "mutation($input: EditTargetInput!) { companyRestore(input: $input) { company { id version } userErrors { code } } }"
    refused = await edit_api.errors(restore, {"input": {"id": company["id"]}}, headers=None)
    assert refused[0]["extensions"]["code"] == "UNAUTHENTICATED"
    restored = await staff(restore, {"input": {"id": company["id"]}}, role="admin")
    assert restored["companyRestore"]["company"]["id"] == company["id"]
    assert (await staff("query($id: ID!) { node(id: $id) { id } }", {"id": company["id"]}))["node"] is not None
    actions = [e["action"] for e in await audit(staff, company["id"])]
    assert actions[:2] == ["restore", "delete"]
    network_actions = [e["action"] for e in await audit(staff, network["id"])]
    assert "company_add" in network_actions


async def test_members_by_name_follow_a_rename(staff: Any, edit_database_url: str) -> None:
    """Memberships keep a copy of the company name for their index (migration 0005): filled on
    insert, updated on rename, so both the planned and the per-field path order by the new name."""
    company = (await create_company(staff, "Zzz Letzte Werkstatt GmbH"))["company"]
    network = (await staff("{ networks(first: 1) { nodes { id } } }"))["networks"]["nodes"][0]
    added = await staff(
        "mutation($input: NetworkMemberAddInput!) { networkMemberAdd(input: $input) { userErrors { code } } }",
        {"input": {"networkId": network["id"], "companyId": company["id"]}},
    )
    assert added["networkMemberAdd"]["userErrors"] == []
    planned = "query($id: ID!) { node(id: $id) { ... on Network { members(first: 100) { nodes { id name } } } } }"
    # calendarUrl is not planned: the same members through the DataLoader path
    per_field = (
        "query($id: ID!) { node(id: $id) { ... on Network { calendarUrl members(first: 100) { nodes { id name } } } } }"
    )
    for query in (planned, per_field):
        names = [n["name"] for n in (await staff(query, {"id": network["id"]}))["node"]["members"]["nodes"]]
        assert names[-1] == "Zzz Letzte Werkstatt GmbH"

    renamed = await staff(
        "mutation($input: CompanyUpdateInput!) { companyUpdate(input: $input) { userErrors { code } } }",
        {"input": {"id": company["id"], "version": 1, "name": "Aaa Erste Werkstatt GmbH"}},
    )
    assert renamed["companyUpdate"]["userErrors"] == []
    for query in (planned, per_field):
        nodes = (await staff(query, {"id": network["id"]}))["node"]["members"]["nodes"]
        assert nodes[0] == {"id": company["id"], "name": "Aaa Erste Werkstatt GmbH"}
    stale = "SELECT count(*) FROM network_memberships m JOIN companies c ON c.id = m.company_id WHERE m.company_name <> c.name"
    assert await db_value(edit_database_url, stale) == 0


async def test_publish_and_unpublish(staff: Any, edit_api: Api) -> None:
    company = (await create_company(staff, "Versteckt GmbH", published=False))["company"]
    assert company["published"] is False
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert (await edit_api.query(query, {"id": company["id"]}))["node"] is None
    published = await staff(
        "mutation($input: EditTargetInput!) { companyPublish(input: $input) { company { published version } } }",
        {"input": {"id": company["id"]}},
    )
    assert published["companyPublish"]["company"] == {"published": True, "version": 2}
    assert (await edit_api.query(query, {"id": company["id"]}))["node"] == {"id": company["id"]}


async def test_project_partners_and_contacts(staff: Any, edit_api: Api) -> None:
    company = (await create_company(staff, "Partner Eins GmbH"))["company"]
    project = (await staff("{ projects(first: 1) { nodes { id } } }"))["projects"]["nodes"][0]
    added = await staff(
        "mutation($input: ProjectPartnerInput!) { projectPartnerAdd(input: $input) { company { name } userErrors { code } } }",
        {"input": {"projectId": project["id"], "companyId": company["id"]}},
    )
    assert added["projectPartnerAdd"] == {"company": {"name": "Partner Eins GmbH"}, "userErrors": []}
    removed = await staff(
        "mutation($input: ProjectPartnerInput!) { projectPartnerRemove(input: $input) { userErrors { code } } }",
        {"input": {"projectId": project["id"], "companyId": company["id"]}},
    )
    assert removed["projectPartnerRemove"]["userErrors"] == []

    contact = (
        await staff(
            "mutation($input: ContactPersonCreateInput!) { contactPersonCreate(input: $input) { contactPerson { id name version } userErrors { code } } }",
            {"input": {"ownerId": company["id"], "name": "Erika Muster", "email": "erika@example.org"}},
        )
    )["contactPersonCreate"]["contactPerson"]
    contacts = "query($id: ID!) { node(id: $id) { ... on Company { contacts { name } } } }"
    assert (await staff(contacts, {"id": company["id"]}))["node"]["contacts"] == [{"name": "Erika Muster"}]
    assert (await edit_api.query(contacts, {"id": company["id"]}))["node"]["contacts"] == []
    consented = await staff(
        "mutation($input: ContactPersonUpdateInput!) { contactPersonUpdate(input: $input) { contactPerson { version } userErrors { code } } }",
        {"input": {"id": contact["id"], "version": 1, "publicationConsent": True}},
    )
    assert consented["contactPersonUpdate"] == {"contactPerson": {"version": 2}, "userErrors": []}
    assert (await edit_api.query(contacts, {"id": company["id"]}))["node"]["contacts"] == [{"name": "Erika Muster"}]
    bad = await staff(
        "mutation($input: ContactPersonCreateInput!) { contactPersonCreate(input: $input) { userErrors { field code } } }",
        {"input": {"ownerId": "RXZlbnQ6MQ==", "name": "Falsch"}},
    )
    assert bad["contactPersonCreate"]["userErrors"] == [{"field": ["input", "ownerId"], "code": "INVALID_ID"}]


async def test_audit_log_filters(staff: Any) -> None:
    company = (await create_company(staff, "Filter GmbH"))["company"]
    users = (await staff("{ users { id username } }", role="admin"))["users"]
    anna = next(u["id"] for u in users if u["username"] == "anna")
    data = await staff(
        "query($user: ID!) { auditLog(first: 100, filter: { userId: $user }) { nodes { actor objectId } } }",
        {"user": anna},
        role="admin",
    )
    nodes = data["auditLog"]["nodes"]
    assert nodes and all(n["actor"].startswith("anna") for n in nodes)
    assert company["id"] in {n["objectId"] for n in nodes}
    future = await staff(
        '{ auditLog(first: 5, filter: { since: "2099-01-01T00:00:00+01:00" }) { totalCount } }', role="admin"
    )
    assert future["auditLog"]["totalCount"] == 0


async def test_a_network_s_origin_project_is_a_global_id(staff: Any) -> None:
    """Found by the fuzz suite: the ID was compared with the bigint key as text (a 500)."""
    project = (await staff("{ projects(first: 1) { nodes { id title } } }"))["projects"]["nodes"][0]
    create = """mutation($p: ID) { networkCreate(input: { name: "Aus dem Projekt", kind: NETWORK, originProjectId: $p })
      { network { originProject { title } } userErrors { field code } } }"""
    made = (await staff(create, {"p": project["id"]}))["networkCreate"]
    assert made == {"network": {"originProject": {"title": project["title"]}}, "userErrors": []}
    wrong_type = (await staff(create, {"p": "Q29tcGFueTox"}))["networkCreate"]
    assert wrong_type["userErrors"] == [{"field": ["input", "originProjectId"], "code": "INVALID_ID"}]
    unknown = encode_id("Project", 987654321)
    assert (await staff(create, {"p": unknown}))["networkCreate"]["userErrors"][0]["code"] == "NOT_FOUND"
