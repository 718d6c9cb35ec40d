"""Every ordering a connection offers is served by an index: pages are read in order and stop
after `first + 1` rows, so a page costs the same at 100,000 rows as at 100, and page 200 what
page 1 does.

The planned statement of each (list, ordering, direction) is EXPLAINed with sorting priced out
(`enable_sort = off`, `enable_seqscan = off`): a Sort node left in the plan means no index can
deliver that order and every request would sort the whole table (or all of a parent's links).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from graphql import parse
from sqlalchemy.dialects import postgresql

from db.engine import to_libpq_url
from resolvers.base import DataContext
from schema.compose import compose
from schema.core import planner

ORDER_FIELDS = {
    "companies": ["NAME", "CREATED_AT", "UPDATED_AT", "FOUNDED_YEAR"],
    "networks": ["NAME", "FOUNDED_ON", "CREATED_AT", "UPDATED_AT"],
    "spaces": ["TITLE", "AREA", "RENT", "AVAILABLE_FROM", "CREATED_AT", "UPDATED_AT"],
    "projects": ["TITLE", "START_ON", "TOTAL_VOLUME", "CREATED_AT", "UPDATED_AT"],
    "events": ["START_AT", "TITLE", "CREATED_AT", "UPDATED_AT"],
}
ROOT_CASES = [
    (f"{{ {root}(first: 20, orderBy: {{ field: {field}, direction: {direction} }}) {{ nodes {{ id }} }} }}")
    for root, fields in ORDER_FIELDS.items()
    for field in fields
    for direction in ("ASC", "DESC")
]
LINKED_CASES = [
    # the partner pages' default orders of linked lists
    "{ networks(first: 5) { nodes { members(first: 20) { nodes { id } } } } }",
    "{ networks(first: 5) { nodes { events(first: 10) { nodes { id } } } } }",
    "{ companies(first: 5) { nodes { events(first: 10) { nodes { id } } } } }",
    "{ companies(first: 5, filter: { ortsteil: LICHTENBERG }) { nodes { id } } }",
]


def planned_sql(query: str) -> str:
    schema = compose()
    statement = planner.plan(schema._schema, parse(query), None, None, DataContext(engine=None))  # type: ignore[arg-type]
    assert statement is not None, f"not planned: {query}"
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


async def plan_of(url: str, query: str) -> str:
    connection = await asyncpg.connect(to_libpq_url(url))
    try:
        await connection.execute("SET enable_sort = off; SET enable_seqscan = off")
        rows: list[Any] = await connection.fetch("EXPLAIN " + planned_sql(query))
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


def test_the_case_list_covers_every_ordering() -> None:
    schema = compose()._schema
    for root, fields in ORDER_FIELDS.items():
        enum = schema.get_type(f"{root[:-1].capitalize() if root != 'companies' else 'Company'}OrderField")
        assert enum is not None and sorted(enum.values) == sorted(fields), root  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ROOT_CASES + LINKED_CASES)
async def test_ordering_is_served_by_an_index(demo_database_url: str, query: str) -> None:
    plan = await plan_of(demo_database_url, query)
    assert " Sort " not in f" {plan} ".replace("->", " ").replace("(", " "), plan


NESTED = "{ networks(first: 50) { nodes { name members(first: 20) { edges { role node { name events(first: 10) { nodes { title } } } } } } } }"


async def test_a_seeded_database_has_statistics_and_the_nested_read_uses_the_index(
    synthetic_database_url: str,
) -> None:
    """`upl db seed` ends with ANALYZE (db/statistics.py): without it, on a server without
    autovacuum, the nested read sorted every network's memberships (42 instead of 22 ms)."""
    from db.seed import WRITTEN_TABLES

    connection = await asyncpg.connect(to_libpq_url(synthetic_database_url))
    try:
        rows = await connection.fetch(
            "SELECT relname, n_live_tup, last_analyze FROM pg_stat_user_tables WHERE relname = any($1::text[])",
            list(WRITTEN_TABLES),
        )
        plan = "\n".join(r[0] for r in await connection.fetch("EXPLAIN " + planned_sql(NESTED)))
    finally:
        await connection.close()
    filled = {r["relname"]: r for r in rows if r["n_live_tup"] > 0}
    assert {"companies", "network_memberships", "events", "changes"} <= set(filled)
    assert [name for name, r in filled.items() if r["last_analyze"] is None] == []
    assert "Index Scan using ix_network_memberships_network_company_name" in plan, plan
    assert "Sort Key: network_memberships" not in plan, plan  # members come in index order


async def test_an_unfiltered_list_runs_on_postgresql_s_generic_plan(synthetic_database_url: str) -> None:
    """The first page of a list without filters carries its LIMIT as a literal, so PostgreSQL
    settles on the generic plan of the prepared statement instead of planning every execution
    (a third of the first page's time); a filtered list keeps choosing per execution."""
    from settings import Settings
    from tests.conftest import serve_api

    unfiltered = "{ companies(first: 50) { pageInfo { endCursor } nodes { name } } }"
    filtered = "{ companies(first: 50, filter: { ortsteil: LICHTENBERG }) { nodes { name } } }"
    async for api in serve_api(synthetic_database_url, settings=Settings(response_cache=False, rate_limit=False)):
        for _ in range(12):  # PostgreSQL weighs a generic plan from the sixth execution on
            await api.query(unfiltered)
            await api.query(filtered)
        pool = await api.app.state.read_pool.opened()
        rows = await pool.fetch(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%FROM companies%'"
        )
    by_limit = {"LIMIT 51" in r["statement"]: r for r in rows}
    assert set(by_limit) == {True, False}, rows  # both ran on the one connection of the pool
    assert by_limit[True]["generic_plans"] >= 6, by_limit[True]
