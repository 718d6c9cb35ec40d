"""Statistics for the annual report, checked against SQL written here: counts (and sums) per
group, visible as the lists are, in one SQL statement; a project in two funding programmes
counts in both groups but once in the total."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from schema.core.ids import encode_id
from tests.conftest import Api

PUBLIC = "published AND deleted_at IS NULL"


async def rows(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def as_set(groups: list[dict[str, Any]], *keys: str) -> set[tuple[Any, ...]]:
    return {(*(g[k] for k in keys), g["count"]) for g in groups}


async def test_company_statistics_per_ortsteil_legal_form_and_section(api: Api, demo_database_url: str) -> None:
    query = """{ companyStatistics(groupBy: [ORTSTEIL, LEGAL_FORM]) { count groups(first: 1000) { ortsteil legalForm
      industrySection employeeRange count } }
      bySection: companyStatistics(groupBy: [INDUSTRY_SECTION]) { groups(first: 100) { industrySection count } } }"""
    data, statements = await api.count_statements(query)
    assert statements == 2  # one statement per statistics field
    expected = await rows(
        demo_database_url,
        f"SELECT ortsteil_key, legal_form, count(*) AS n FROM companies WHERE {PUBLIC} GROUP BY 1, 2",
    )
    stats = data["companyStatistics"]
    assert as_set(stats["groups"], "ortsteil", "legalForm") == {(r[0], r[1], r[2]) for r in expected}
    assert stats["count"] == sum(r["n"] for r in expected)
    assert all(g["industrySection"] is None and g["employeeRange"] is None for g in stats["groups"])
    sections = await rows(
        demo_database_url,
        "SELECT i.section, count(*) FROM companies c LEFT JOIN industry_classes i ON i.code = c.industry_code "
        f"WHERE c.{PUBLIC.replace(' AND ', ' AND c.')} GROUP BY 1",
    )
    assert as_set(data["bySection"]["groups"], "industrySection") == {(r[0], r[1]) for r in sections}
    keys = [(g["ortsteil"] or "~", g["legalForm"]) for g in stats["groups"]]
    assert keys == sorted(keys)  # ordered by their keys, none last


async def test_project_statistics_sum_per_programme_without_counting_twice(api: Api, demo_database_url: str) -> None:
    query = """{ projectStatistics(groupBy: [FUNDING_PROGRAM, START_YEAR]) { count totalVolume { amount }
      totalFunding { amount } groups(first: 1000) { fundingProgram startYear count totalVolume { amount } } } }"""
    stats = (await api.query(query))["projectStatistics"]
    (total,) = await rows(
        demo_database_url, f"SELECT count(*), sum(total_volume), sum(funding_amount) FROM projects WHERE {PUBLIC}"
    )
    assert (stats["count"], Decimal(stats["totalVolume"]["amount"]), Decimal(stats["totalFunding"]["amount"])) == (
        total[0],
        total[1],
        total[2],
    )
    expected = await rows(
        demo_database_url,
        "SELECT f.program_code, extract(year FROM p.starts_on)::int, count(*), sum(p.total_volume) FROM projects p "
        "LEFT JOIN project_funding_programs f ON f.project_id = p.id "
        "WHERE p.published AND p.deleted_at IS NULL GROUP BY 1, 2",
    )
    found = {
        (g["fundingProgram"], g["startYear"], g["count"], Decimal(g["totalVolume"]["amount"])) for g in stats["groups"]
    }
    assert found == {(r[0], r[1], r[2], r[3]) for r in expected}
    assert sum(g["count"] for g in stats["groups"]) >= stats["count"]  # a project in two programmes counts twice


async def test_event_statistics_per_kind_month_and_network(api: Api, demo_database_url: str) -> None:
    query = "{ eventStatistics(groupBy: [KIND, MONTH, NETWORK]) { count groups(first: 1000) { kind month networkId count } } }"
    stats = (await api.query(query))["eventStatistics"]
    expected = await rows(
        demo_database_url,
        "SELECT kind, to_char(starts_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM'), network_id, count(*) FROM events "
        f"WHERE {PUBLIC} GROUP BY 1, 2, 3",
    )
    wanted = {(r[0], r[1], None if r[2] is None else encode_id("Network", r[2]), r[3]) for r in expected}
    assert as_set(stats["groups"], "kind", "month", "networkId") == wanted
    assert stats["count"] == sum(r[3] for r in expected)


async def test_statistics_follow_the_lists_visibility_and_filters(
    edit_api: Api, edit_database_url: str, role_headers: dict[str, dict[str, str]]
) -> None:
    await edit_api.query(
        'mutation { companyCreate(input: { name: "Unveröffentlicht Statistik GmbH", legalForm: AG, published: false })'
        " { company { id } } }",
        headers=role_headers["staff"],
    )
    query = "{ companyStatistics(filter: { legalForms: [AG] }) { count } }"
    public = (await edit_api.query(query))["companyStatistics"]["count"]
    staff = (await edit_api.query(query, headers=role_headers["staff"]))["companyStatistics"]["count"]
    (counts,) = await rows(
        edit_database_url,
        "SELECT count(*) FILTER (WHERE published), count(*) FROM companies WHERE deleted_at IS NULL AND legal_form = 'AG'",
    )
    assert (public, staff) == (counts[0], counts[1]) and staff > public


@pytest.mark.parametrize("first", [-1, 1001])
async def test_groups_are_bounded(api: Api, first: int) -> None:
    errors = await api.errors(f"{{ companyStatistics(groupBy: [ORTSTEIL]) {{ groups(first: {first}) {{ count }} }} }}")
    assert "`first` must be between 0 and 1000" in errors[0]["message"]
    assert (await api.query("{ companyStatistics { groups { count } } }"))["companyStatistics"]["groups"] == []


async def test_more_groups_than_the_bound_is_an_error_not_a_cut(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolvers import statistics as data
    from schema.core import statistics

    monkeypatch.setattr(data, "MAX_GROUPS", 9)
    monkeypatch.setattr(statistics, "MAX_GROUPS", 9)
    errors = await api.errors("{ companyStatistics(groupBy: [ORTSTEIL]) { groups(first: 9) { count } } }")
    assert "More than 9 groups" in errors[0]["message"]  # the demo has companies in all ten Ortsteile
