"""No N+1: SQL statements per request are bounded by the query's depth, not by page sizes.

Each request's statements are counted on the engine (BEGIN/ROLLBACK would be counted too: reads
run in autocommit, so there are none).
"""

from __future__ import annotations

from tests.conftest import Api

NESTED = """
query($networks: Int!) {
  networks(first: $networks) {
    edges { node { name
      members(first: 20) { edges { role node { name
        events(first: 10) { edges { node { title startsAt } } }
      } } }
    } }
  }
}
"""


async def test_nested_networks_members_events_one_statement_per_level(synthetic_api: Api) -> None:
    _, small_count = await synthetic_api.count_statements(NESTED, {"networks": 10})
    large, large_count = await synthetic_api.count_statements(NESTED, {"networks": 50})
    assert len(large["networks"]["edges"]) == 50
    members = [m for n in large["networks"]["edges"] for m in n["node"]["members"]["edges"]]
    assert len(members) == 50 * 20
    assert sum(len(m["node"]["events"]["edges"]) for m in members) > 500
    assert small_count == large_count == 3


async def test_counts_add_one_statement_per_level(synthetic_api: Api) -> None:
    query = NESTED.replace("members(first: 20) {", "members(first: 20) { totalCount").replace(
        "networks(first: $networks) {", "networks(first: $networks) { totalCount"
    )
    _, count = await synthetic_api.count_statements(query, {"networks": 50})
    assert count == 5


async def test_company_directory_page(api: Api) -> None:
    query = """{ companies(first: 50, filter: {ortsteil: LICHTENBERG}) { totalCount edges { node {
        name address { street ortsteil { name } } industry { code title }
        networks { edges { role node { name } } } } } } }"""
    _, count = await api.count_statements(query)
    assert count == 4  # companies, count, industries, memberships


async def test_network_page(api: Api) -> None:
    query = """{ network(slug: "unternehmensnetzwerk-herzbergstrasse") { name
        members(first: 20) { totalCount edges { role node { name } } }
        events(first: 10) { edges { node { title venue { name address { street } space { title } } } } } } }"""
    _, count = await api.count_statements(query)
    assert count == 5  # network, members, member count, events, venue spaces


async def test_newsletter_events(api: Api) -> None:
    query = """{ events(first: 100) { edges { node { title startsAt
        venue { name address { street } } host { name } network { name } project { title } } } } }"""
    data, count = await api.count_statements(query)
    assert len(data["events"]["edges"]) == 100
    assert count <= 5  # events, hosts, networks, projects, venue spaces


async def test_search_and_nodes_are_batched_per_type(api: Api) -> None:
    _, count = await api.count_statements('{ search(query: "Lichtenberg", first: 100) { __typename } }')
    assert count <= 6  # the ranked search, then one load per type found
    listing = await api.query("{ companies(first: 30) { nodes { id } } }")
    ids = [n["id"] for n in listing["companies"]["nodes"]]
    _, count = await api.count_statements("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert count == 1
