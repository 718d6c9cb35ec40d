"""The change feed: commit order, no change skipped, tombstones, what outsiders see."""

from __future__ import annotations

from typing import Any

import asyncpg

from db.engine import to_libpq_url
from schema.core.ids import encode_id
from tests.conftest import Api

FEED = """
query($since: String, $first: Int, $types: [SearchType!]) {
  changes(since: $since, first: $first, types: $types) {
    edges { cursor node { id objectId type action node { __typename ... on Event { title } } } }
    pageInfo { endCursor hasNextPage }
  }
}
"""


async def follow(
    api: Api, since: str, headers: dict[str, str] | None = None, types: list[str] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every change after `since`, page by page (3 at a time), and the cursor to store."""
    seen: list[dict[str, Any]] = []
    while True:
        feed = (await api.query(FEED, {"since": since, "first": 3, "types": types}, headers=headers))["changes"]
        seen += [edge["node"] for edge in feed["edges"]]
        since = feed["pageInfo"]["endCursor"]
        if not feed["pageInfo"]["hasNextPage"]:
            return seen, since


async def head(api: Api) -> str:
    cursor: str = (await api.query("{ changesHead }"))["changesHead"]
    return cursor


async def test_lifecycle_in_commit_order_and_as_outsiders_see_it(
    edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    staff = role_headers["staff"]
    start = await head(edit_api)
    created = await edit_api.query(
        'mutation { eventCreate(input: { title: "Feed-Test", kind: WORKSHOP, startsAt: "2027-05-05T10:00:00+02:00", '
        'venueName: "Rathaus" }) { event { id version } } }',
        headers=staff,
    )
    event_id = created["eventCreate"]["event"]["id"]
    target = {"id": event_id}
    steps = [
        ("eventUpdate", "EventUpdateInput", {"id": event_id, "version": 1, "title": "Feed-Test 2"}),
        ("eventUnpublish", "EditTargetInput", target),
        ("eventUpdate", "EventUpdateInput", {"id": event_id, "version": 3, "title": "Feed-Test (intern)"}),
        ("eventPublish", "EditTargetInput", target),
        ("eventDelete", "EditTargetInput", target),
    ]
    for name, input_type, value in steps:
        result = await edit_api.query(
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ userErrors {{ code }} }} }}",
            {"i": value},
            headers=staff,
        )
        assert result[name]["userErrors"] == []

    staff_view, _ = await follow(edit_api, start, staff, ["EVENT"])
    mine = [c for c in staff_view if c["objectId"] == event_id]
    assert [c["action"] for c in mine] == ["CREATE", "UPDATE", "UNPUBLISH", "UPDATE", "PUBLISH", "DELETE"]
    public_view, end = await follow(edit_api, start, None, ["EVENT"])
    public = [c for c in public_view if c["objectId"] == event_id]
    assert [c["action"] for c in public] == ["CREATE", "UPDATE", "DELETE", "CREATE", "DELETE"]
    assert all(c["node"] is None for c in public if c["action"] == "DELETE")
    assert public[0]["node"] is None  # the object is gone now, so no node even for its create

    again, same = await follow(edit_api, end)
    assert again == [] and same == end  # nothing new: the stored cursor stays


async def test_a_transaction_that_commits_late_is_not_skipped(edit_api: Api, edit_database_url: str) -> None:
    start = await head(edit_api)
    early = await asyncpg.connect(to_libpq_url(edit_database_url))
    late = await asyncpg.connect(to_libpq_url(edit_database_url))
    try:
        ids = [r["id"] for r in await early.fetch("SELECT id FROM companies WHERE published ORDER BY id LIMIT 2")]
        early_tx = early.transaction()
        await early_tx.start()
        await early.execute("UPDATE companies SET description = 'früh begonnen' WHERE id = $1", ids[0])
        async with late.transaction():
            await late.execute("UPDATE companies SET description = 'spät begonnen' WHERE id = $1", ids[1])
        # the late one committed first; while the early one runs, the feed must not pass either
        seen_before, cursor = await follow(edit_api, start, types=["COMPANY"])
        assert seen_before == [] and cursor == start
        await early_tx.commit()
        seen_after, _ = await follow(edit_api, cursor, types=["COMPANY"])
        # both now, in commit-safe order: the early transaction's change first (smaller xid)
        assert [c["objectId"] for c in seen_after] == [encode_id("Company", ids[0]), encode_id("Company", ids[1])]
        assert [c["action"] for c in seen_after] == ["UPDATE", "UPDATE"]
    finally:
        await early.close()
        await late.close()


async def test_bad_cursor_and_newsletter_scope(edit_api: Api, role_headers: dict[str, dict[str, str]]) -> None:
    errors = await edit_api.errors(FEED, {"since": "bm9wZQ=="})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    feed = (await edit_api.query(FEED, {"first": 50}, headers=role_headers["newsletter"]))["changes"]
    assert feed["edges"] and {e["node"]["type"] for e in feed["edges"]} == {"EVENT"}


async def test_rows_outsiders_never_saw_leave_no_tombstone(
    edit_api: Api, role_headers: dict[str, dict[str, str]]
) -> None:
    """A company created unpublished and deleted was never visible: outsiders get no DELETE for it.
    One unpublished before its delete gets one tombstone (the unpublish), not two."""
    staff = role_headers["staff"]
    start = await head(edit_api)
    ids = []
    for name, published in (("Nie veröffentlicht GmbH", False), ("Erst öffentlich GmbH", True)):
        created = await edit_api.query(
            "mutation($i: CompanyCreateInput!) { companyCreate(input: $i) { company { id } } }",
            {"i": {"name": name, "legalForm": "GMBH", "published": published}},
            headers=staff,
        )
        ids.append(created["companyCreate"]["company"]["id"])
    steps = [("companyUnpublish", ids[1]), ("companyDelete", ids[0]), ("companyDelete", ids[1])]
    for name, target in steps:
        result = await edit_api.query(
            f"mutation($i: EditTargetInput!) {{ {name}(input: $i) {{ userErrors {{ code }} }} }}",
            {"i": {"id": target}},
            headers=staff,
        )
        assert result[name]["userErrors"] == []

    staff_view, _ = await follow(edit_api, start, staff, ["COMPANY"])
    assert [c["action"] for c in staff_view if c["objectId"] == ids[0]] == ["CREATE", "DELETE"]
    for headers in ({}, role_headers["partner"]):
        public_view, _ = await follow(edit_api, start, headers, ["COMPANY"])
        assert [c for c in public_view if c["objectId"] == ids[0]] == []
        assert [c["action"] for c in public_view if c["objectId"] == ids[1]] == ["CREATE", "DELETE"]
