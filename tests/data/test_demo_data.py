"""The demo data holds the documented facts of the real portal."""

from __future__ import annotations

import datetime as dt

from tests.conftest import Api


async def test_office_is_a_public_body_at_moellendorffstrasse(api: Api) -> None:
    data = await api.query(
        '{ companies(filter: {search: "Wirtschaftsförderung"}) { nodes { name legalForm '
        "address { street postalCode city ortsteil { key } } } } }"
    )
    office = [c for c in data["companies"]["nodes"] if c["legalForm"] == "PUBLIC_BODY"]
    assert office[0]["name"] == "Büro für Wirtschaftsförderung des Bezirksamtes Lichtenberg von Berlin"
    assert office[0]["address"] == {
        "street": "Möllendorffstraße 6",
        "postalCode": "10367",
        "city": "Berlin",
        "ortsteil": {"key": "LICHTENBERG"},
    }


async def test_herzbergstrasse_network_founded_by_13_from_its_project(api: Api) -> None:
    data = await api.query(
        '{ networks(filter: {search: "Herzbergstraße"}) { nodes { name foundedOn kind '
        "originProject { title startsOn } "
        "members(first: 100) { totalCount edges { role memberSince } } } } }"
    )
    network = next(n for n in data["networks"]["nodes"] if n["name"] == "UnternehmensNetzwerk Herzbergstraße e.V.")
    assert network["foundedOn"] == "2017-02-20"
    founders = [e for e in network["members"]["edges"] if e["role"] == "FOUNDING_MEMBER"]
    assert len(founders) == 13
    assert {e["memberSince"] for e in founders} == {"2017-02-20"}
    assert network["originProject"]["title"].startswith(
        "Nachhaltige Weiterentwicklung des Gewerbegebietes Herzbergstraße"
    )
    assert network["originProject"]["startsOn"].startswith("2016")


async def test_49_projects_since_2002_with_documented_totals(api: Api) -> None:
    data = await api.query(
        "{ projectStatistics(filter: {statuses: [RUNNING, COMPLETED]}) { count totalVolume { amount currency } "
        "totalFunding { amount } } projects(first: 1, orderBy: {field: START_ON, direction: ASC}, "
        "filter: {statuses: [RUNNING, COMPLETED]}) { nodes { startsOn } } }"
    )
    stats = data["projectStatistics"]
    assert stats["count"] == 49
    assert stats["totalVolume"] == {"amount": "13326242.00", "currency": "EUR"}
    assert 6_900_000 < float(stats["totalFunding"]["amount"]) < 7_000_000
    assert data["projects"]["nodes"][0]["startsOn"] >= "2002-01-01"


async def test_planned_health_economy_project_with_regional_network(api: Api) -> None:
    data = await api.query(
        "{ projects(filter: {statuses: [PLANNED]}) { nodes { title networks { nodes { name } } } } }"
    )
    planned = data["projects"]["nodes"]
    assert len(planned) == 1
    assert "Gesundheitswirtschaft" in planned[0]["title"]
    assert [n["name"] for n in planned[0]["networks"]["nodes"]] == ["Netzwerk Gesundheitswirtschaft"]


async def test_upl_meetings_numbered_at_19_at_member_companies(api: Api, today: dt.date) -> None:
    data = await api.query(
        "{ events(first: 100, filter: {kinds: [MEMBER_MEETING]}) { nodes { title startsAt "
        "registration { required } network { name members(first: 100) { nodes { id } } } host { id } } } }"
    )
    meetings = [e for e in data["events"]["nodes"] if "UPL-Treffen" in e["title"]]
    assert len(meetings) >= 5  # three a year over the past and the coming 12 months
    for meeting in meetings:
        assert meeting["title"].split(".")[0].isdigit()
        assert meeting["startsAt"][11:16] == "19:00"
        assert meeting["registration"]["required"]
        assert meeting["host"]["id"] in {m["id"] for m in meeting["network"]["members"]["nodes"]}


async def test_sizes_of_the_demo_data(api: Api) -> None:
    data = await api.query(
        "{ companies { totalCount } networks { totalCount } spaces { totalCount } events { totalCount } "
        "industries { code } ortsteile { key } "
        "o: companies(filter: {ortsteil: MALCHOW}) { totalCount } }"
    )
    assert data["companies"]["totalCount"] >= 180  # about 200, a few sole traders unpublished
    assert data["networks"]["totalCount"] >= 10
    assert data["spaces"]["totalCount"] >= 60
    assert data["events"]["totalCount"] >= 120
    assert len(data["industries"]) >= 30
    assert len(data["ortsteile"]) == 10
    assert data["o"]["totalCount"] > 0
