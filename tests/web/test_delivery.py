"""Delivery through the real HTTP app: iCalendar, JSON-LD, persisted queries, trusted documents,
HTTP caching with ETag/304, the response cache and its invalidation, CORS."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import icalendar
import orjson
import pytest

from settings import Settings
from tests.conftest import ROOT, Api, serve_api, upl

PARTNER_ORIGIN = "https://partner.example"
CACHED = Settings(
    response_cache=True, anonymous_origins=("https://open.example",), cache_max_age_by_field=(("ortsteile", 86400),)
)


@pytest.fixture(scope="module")
async def cached_api(edit_database_url: str, role_headers: dict[str, dict[str, str]]) -> AsyncIterator[Api]:
    async for api in serve_api(edit_database_url, settings=CACHED):
        yield api


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- iCalendar ---------------------------------------------------------------------------------


async def ics(api: Api, path: str) -> Any:
    response = await api.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


async def test_ics_feed_properties_change_and_cancellation(
    cached_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    staff = role_headers["staff"]
    created = await cached_api.query(
        'mutation { eventCreate(input: { title: "Kalender-Test", kind: WORKSHOP, '
        'startsAt: "2027-06-01T18:00:00+02:00", endsAt: "2027-06-01T20:30:00+02:00", venueName: "Rathaus Lichtenberg", '
        'address: { street: "Möllendorffstraße 6", postalCode: "10367", city: "Berlin" }, '
        'description: "Zum Testen", registrationUrl: "https://example.org/anmeldung", '
        'hostId: "Q29tcGFueTox" }) { event { id slug icalUrl } userErrors { code message } } }',
        headers=staff,
    )
    event = created["eventCreate"]["event"]
    assert event["icalUrl"] == f"http://testserver/feeds/events/{event['slug']}.ics"

    calendar = await ics(cached_api, "/feeds/events.ics?from=2027-06-01&to=2027-06-02")
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    vevents = [e for e in calendar.walk("VEVENT") if e["SUMMARY"] == "Kalender-Test"]
    assert len(vevents) == 1
    vevent: Any = vevents[0]
    uid = str(vevent["UID"])
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt == dt.datetime(2027, 6, 1, 18, 0, tzinfo=vevent["DTSTART"].dt.tzinfo)
    assert vevent["DTEND"].dt.hour == 20 and vevent["DTEND"].dt.minute == 30
    assert vevent["DTSTAMP"].dt.tzinfo is not None
    assert str(vevent["LOCATION"]) == "Rathaus Lichtenberg, Möllendorffstraße 6, 10367 Berlin"
    assert str(vevent["DESCRIPTION"]) == "Zum Testen"
    assert str(vevent["URL"]) == "https://example.org/anmeldung"
    assert str(vevent["STATUS"]) == "CONFIRMED" and vevent["SEQUENCE"] == 0
    assert str(vevent["ORGANIZER"]).startswith("mailto:")

    for change in ('title: "Kalender-Test (neu)"', "status: CANCELLED"):
        version = await cached_api.query(
            f'{{ node(id: "{event["id"]}") {{ ... on Event {{ version }} }} }}', headers=staff
        )
        result = await cached_api.query(
            f'mutation {{ eventUpdate(input: {{ id: "{event["id"]}", version: {version["node"]["version"]}, {change} }}) '
            "{ userErrors { code } } }",
            headers=staff,
        )
        assert result["eventUpdate"]["userErrors"] == []
    single = await ics(cached_api, f"/feeds/events/{event['slug']}.ics")
    changed: Any = single.walk("VEVENT")[0]
    assert str(changed["UID"]) == uid
    assert str(changed["SUMMARY"]) == "Kalender-Test (neu)"
    assert str(changed["STATUS"]) == "CANCELLED"
    assert changed["SEQUENCE"] == 2


async def test_ics_filters_and_bad_parameters(cached_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    network = "unternehmensnetzwerk-herzbergstrasse"
    calendar = await ics(cached_api, f"/feeds/events.ics?network={network}&from=2000-01-01")
    titles = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    expected = await cached_api.query(
        f'{{ network(slug: "{network}") {{ calendarUrl events(first: 100, filter: {{ startsAfter: "2000-01-01T00:00:00+01:00" }}) '
        "{ nodes { title } } } }"
    )
    assert titles == [e["title"] for e in expected["network"]["events"]["nodes"]] != []
    assert expected["network"]["calendarUrl"] == f"http://testserver/feeds/events.ics?network={network}"
    workshops = await ics(cached_api, "/feeds/events.ics?kind=WORKSHOP&from=2000-01-01")
    assert workshops.walk("VEVENT")
    for bad in ("kind=PARTY", "from=yesterday", "network=nope", "colour=red"):
        response = await cached_api.client.get(f"/feeds/events.ics?{bad}")
        assert response.status_code == 400 and response.text
    key = role_headers["newsletter"]["authorization"].split(" ")[1]
    assert (await cached_api.client.get(f"/feeds/events.ics?key={key}")).status_code == 200
    assert (await cached_api.client.get("/feeds/events.ics?key=upl_wrong")).status_code == 401


# --- JSON-LD -------------------------------------------------------------------------------------


async def test_json_ld_required_properties(cached_api: Api) -> None:
    data = await cached_api.query(
        """{ companies(first: 1, filter: { search: "Wirtschaftsförderung" }) { nodes { jsonLd } }
             networks(first: 1) { nodes { jsonLd } }
             spaces(first: 20) { nodes { jsonLd } }
             events(first: 20) { nodes { jsonLd } } }"""
    )
    company = data["companies"]["nodes"][0]["jsonLd"]
    assert company["@context"] == "https://schema.org" and company["@type"] == "Organization"
    assert company["address"]["postalCode"] == "10367" and company["address"]["addressCountry"] == "DE"
    network = data["networks"]["nodes"][0]["jsonLd"]
    assert network["@type"] == "Organization" and network["name"]
    for space in (s["jsonLd"] for s in data["spaces"]["nodes"]):
        assert space["@type"] in {"Offer", "OfferForLease", "Demand"}
        assert space["itemOffered"]["floorSize"]["unitCode"] == "MTK" and space["itemOffered"]["floorSize"]["value"] > 0
    for event in (e["jsonLd"] for e in data["events"]["nodes"]):
        assert event["@type"] == "Event" and event["name"] and event["startDate"]
        assert event["eventStatus"].startswith("https://schema.org/Event")
        assert event["location"]
        assert event["url"].startswith("https://")
    assert any("offers" in e["jsonLd"] for e in data["events"]["nodes"])
    assert any("organizer" in e["jsonLd"] for e in data["events"]["nodes"])


# --- persisted queries and trusted documents ---------------------------------------------------

APQ_QUERY = "{ ortsteile { key name } }"


async def test_automatic_persisted_queries(cached_api: Api) -> None:
    hash_only = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(APQ_QUERY)}}}
    missing = await cached_api.client.post("/graphql", json=hash_only)
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await cached_api.client.post("/graphql", json={"query": APQ_QUERY, **hash_only})
    assert len(registered.json()["data"]["ortsteile"]) == 10
    by_hash = await cached_api.client.post("/graphql", json=hash_only)
    assert by_hash.json() == registered.json()
    extensions = orjson.dumps(hash_only["extensions"]).decode()
    by_get = await cached_api.client.get("/graphql", params={"extensions": extensions})
    assert by_get.status_code == 200 and by_get.json() == registered.json()
    wrong = await cached_api.client.post("/graphql", json={"query": "{ __typename }", **hash_only})
    assert wrong.status_code == 400


async def test_trusted_documents_only_key(cached_api: Api, edit_database_url: str, tmp_path: Any) -> None:
    document = "query NextEvents { events(first: 3) { nodes { title } } }"
    path = tmp_path / "next-events.graphql"
    path.write_text(document)
    registered = upl(edit_database_url, "operations", "register", str(path))
    assert registered.returncode == 0, registered.stderr
    assert registered.stdout.split()[0] == sha(document)
    created = upl(
        edit_database_url, "keys", "create", "--name", "Newsletter (trusted)", "--role", "newsletter", "--trusted-only"
    )
    key = created.stdout.strip().splitlines()[-1]
    headers = {"authorization": f"Bearer {key}"}
    by_hash = await cached_api.client.post(
        "/graphql",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}},
        headers=headers,
    )
    assert len(by_hash.json()["data"]["events"]["nodes"]) == 3
    as_text = await cached_api.client.post("/graphql", json={"query": document}, headers=headers)
    assert as_text.status_code == 200
    other = await cached_api.client.post(
        "/graphql", json={"query": "{ events(first: 50) { nodes { title } } }"}, headers=headers
    )
    assert other.status_code == 403
    assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- HTTP caching and the response cache ---------------------------------------------------------

READ = "{ networks(first: 3) { nodes { name } } }"


async def test_public_reads_get_cache_control_etag_and_304(
    cached_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    first = await cached_api.client.get("/graphql", params={"query": READ})
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    again = await cached_api.client.get("/graphql", params={"query": READ}, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    keyed = await cached_api.client.get("/graphql", params={"query": READ}, headers=role_headers["partner"])
    assert keyed.headers["cache-control"] == "private, max-age=60"
    staff = await cached_api.client.get("/graphql", params={"query": READ}, headers=role_headers["staff"])
    assert staff.headers["cache-control"] == "private, no-store"
    personal = await cached_api.client.get(
        "/graphql", params={"query": "{ networks(first: 12) { nodes { contacts { name } } } }"}
    )
    assert personal.headers["cache-control"] == "private, no-store"
    places = await cached_api.client.get("/graphql", params={"query": "{ ortsteile { name } }"})
    assert places.headers["cache-control"] == "public, max-age=86400"
    mixed = await cached_api.client.get(
        "/graphql", params={"query": "{ ortsteile { name } networks(first: 1) { totalCount } }"}
    )
    assert mixed.headers["cache-control"] == "public, max-age=60"
    feed = await cached_api.client.get("/graphql", params={"query": "{ changesHead }"})
    assert feed.headers["cache-control"] == "no-cache"
    mutation = await cached_api.client.get("/graphql", params={"query": "mutation { __typename }"})
    assert mutation.status_code == 405


async def test_response_cache_hits_with_no_statement_and_writes_invalidate(
    cached_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    query = '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { name version members(first: 3) { nodes { name } } } }'
    cached_api.counter.reset()
    miss = await cached_api.query(query)
    miss_statements = cached_api.counter.count
    cached_api.counter.reset()
    hit = await cached_api.query(query)
    assert hit == miss
    assert cached_api.counter.count == 0  # generations from the listener (db/generations.py), no SQL
    assert miss_statements == 1  # the one planned statement

    network = await cached_api.query(
        '{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { id version } }', headers=role_headers["staff"]
    )
    renamed = await cached_api.query(
        "mutation($input: NetworkUpdateInput!) { networkUpdate(input: $input) { network { name } userErrors { code } } }",
        {"input": {"id": network["network"]["id"], "version": network["network"]["version"], "description": "Neu."}},
        headers=role_headers["staff"],
    )
    assert renamed["networkUpdate"]["userErrors"] == []
    after = await cached_api.query(query)
    assert after["network"]["version"] == network["network"]["version"] + 1  # the write returned: no stale copy


async def test_membership_change_invalidates_cached_member_list(
    cached_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    query = '{ network(slug: "upl-mitglieder") { members(first: 100) { totalCount } } }'
    before = (await cached_api.query(query))["network"]["members"]["totalCount"]
    company = await cached_api.query(
        "{ companies(first: 1, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { id } } }"
    )
    network = await cached_api.query('{ network(slug: "upl-mitglieder") { id } }')
    added = await cached_api.query(
        "mutation($input: NetworkMemberAddInput!) { networkMemberAdd(input: $input) { userErrors { code } } }",
        {"input": {"networkId": network["network"]["id"], "companyId": company["companies"]["nodes"][0]["id"]}},
        headers=role_headers["staff"],
    )
    assert added["networkMemberAdd"]["userErrors"] in ([], [{"code": "ALREADY_EXISTS"}])
    if added["networkMemberAdd"]["userErrors"] == []:
        assert (await cached_api.query(query))["network"]["members"]["totalCount"] == before + 1


# --- CORS ------------------------------------------------------------------------------------------


async def test_cors_by_key_origins(cached_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    preflight = await cached_api.client.options(
        "/graphql",
        headers={
            "origin": PARTNER_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers
    refused = await cached_api.client.options(
        "/graphql", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers

    allowed = await cached_api.client.post(
        "/graphql", json={"query": READ}, headers={**role_headers["partner"], "origin": PARTNER_ORIGIN}
    )
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    other_key = await cached_api.client.post(
        "/graphql", json={"query": READ}, headers={**role_headers["newsletter"], "origin": PARTNER_ORIGIN}
    )
    assert other_key.status_code == 403
    anonymous_open = await cached_api.client.post(
        "/graphql", json={"query": READ}, headers={"origin": "https://open.example"}
    )
    assert anonymous_open.headers["access-control-allow-origin"] == "https://open.example"
    anonymous_other = await cached_api.client.post(
        "/graphql", json={"query": READ}, headers={"origin": "https://evil.example"}
    )
    assert anonymous_other.status_code == 403
    same_origin = await cached_api.client.post(
        "/graphql", json={"query": READ}, headers={"origin": "http://testserver"}
    )
    assert same_origin.status_code == 200


async def test_response_cache_shared_in_redis_between_two_instances(
    edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    """Two app instances with `REDIS_URL` (the machine's Redis) share entries and invalidation."""
    shared = Settings(response_cache=True, redis_url="redis://127.0.0.1:6379/0")
    query = '{ network(slug: "netzwerk-gesundheitswirtschaft") { name description } }'
    async for first in serve_api(edit_database_url, settings=shared):
        async for second in serve_api(edit_database_url, settings=shared):
            await first.query(query + " ")  # a fresh document, so no earlier run's entry is reused
            second.counter.reset()
            answer = await second.query(query + " ")
            assert second.counter.count == 0  # served from Redis, generations from the listener
            network = await first.query(
                '{ network(slug: "netzwerk-gesundheitswirtschaft") { id version } }', headers=role_headers["staff"]
            )
            await first.query(
                "mutation($i: NetworkUpdateInput!) { networkUpdate(input: $i) { userErrors { code } } }",
                {"i": {**network["network"], "description": f"Stand {dt.datetime.now(dt.UTC).isoformat()}"}},
                headers=role_headers["staff"],
            )
            # the other instance learns of the write from its notification: soon, not at once
            for _ in range(500):
                fresh = await second.query(query + " ")
                if fresh["network"]["description"] != answer["network"]["description"]:
                    break
                await asyncio.sleep(0.01)
            assert fresh["network"]["description"] != answer["network"]["description"]


async def test_readme_sync_query_runs(cached_api: Api) -> None:
    import re

    readme = (ROOT / "README.md").read_text().split("## For partner sites", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```graphql\n(.*?)```", readme, flags=re.S)
    data = await cached_api.query(block, {"since": None})
    assert data["changes"]["edges"] and data["changes"]["pageInfo"]["endCursor"]


async def test_federated_tracing_is_never_served_from_the_cache(cached_api: Api) -> None:
    query = "{ networks(first: 4) { nodes { name } } }"
    await cached_api.query(query)  # fills the cache
    traced = await cached_api.post(query, headers={"apollo-federation-include-trace": "ftv1"})
    assert traced.json()["extensions"]["ftv1"]
