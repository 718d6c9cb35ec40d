"""The domain modules compose like federation subgraphs: leave one out and the rest still serve."""

from __future__ import annotations

import pytest

from schema.compose import ALL_DOMAINS, compose
from schema.core.subgraph import SubgraphSchema
from tests.conftest import serve_api

WITHOUT_SPACES = """
{
  companies(first: 3) { nodes { name networks(first: 2) { nodes { name } } projects(first: 2) { nodes { title } } } }
  events(first: 50) { nodes { title venue { name address { street postalCode } } network { name } project { title } } }
  search(query: "Netzwerk") { __typename }
}
"""


def without(name: str) -> SubgraphSchema:
    assert name in {domain.name for domain in ALL_DOMAINS}
    return compose([domain for domain in ALL_DOMAINS if domain.name != name])


async def test_without_spaces_the_others_build_and_serve(demo_database_url: str) -> None:
    partial = without("spaces")
    sdl = partial.as_str()
    assert "type Space " not in sdl
    assert "spaces(" not in sdl  # neither Query.spaces nor Company.spaces
    assert "space: Space" not in sdl and "space(" not in sdl  # neither Venue.space nor Query.space
    assert "SPACE" not in sdl.split("enum SearchType", 1)[1].split("}", 1)[0]
    assert "SpaceEvents" not in sdl

    async for api in serve_api(demo_database_url, partial):
        data = await api.query(WITHOUT_SPACES)
        assert len(data["companies"]["nodes"]) == 3
        venues = [e["venue"] for e in data["events"]["nodes"]]
        assert any(v["address"] is not None for v in venues)
        assert data["search"]
        errors = await api.errors("{ spaces(first: 1) { nodes { title } } }")
        assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_events_held_in_spaces_keep_the_space_address_without_the_spaces_domain(demo_database_url: str) -> None:
    query = "{ events(first: 100) { nodes { slug venue { address { street } } } } }"
    async for full_api in serve_api(demo_database_url):
        full = await full_api.query(query.replace("address {", "space { address { street } } address {"))
    in_space = {
        e["slug"]: e["venue"]["space"]["address"]
        for e in full["events"]["nodes"]
        if e["venue"]["space"] is not None and e["venue"]["space"]["address"] is not None
    }
    assert in_space, "the demo data holds events in portal spaces"
    async for api in serve_api(demo_database_url, without("spaces")):
        partial = await api.query(query)
    for event in partial["events"]["nodes"]:
        if event["slug"] in in_space:
            assert event["venue"]["address"] == in_space[event["slug"]]


@pytest.mark.parametrize("dropped", ["networks", "projects", "events"])
async def test_each_outer_domain_can_be_left_out(demo_database_url: str, dropped: str) -> None:
    partial = without(dropped)
    type_name = {"networks": "Network", "projects": "Project", "events": "Event"}[dropped]
    assert f"type {type_name} " not in partial.as_str()
    async for api in serve_api(demo_database_url, partial):
        data = await api.query("{ companies(first: 2) { nodes { id name address { street } } } }")
        assert len(data["companies"]["nodes"]) == 2
        entities = await api.query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Company { name } } }",
            {"r": [{"__typename": "Company", "id": data["companies"]["nodes"][0]["id"]}]},
        )
        assert entities["_entities"][0]["name"] == data["companies"]["nodes"][0]["name"]
