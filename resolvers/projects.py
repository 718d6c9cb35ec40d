"""Funded projects: `Company.projects`, `Network.projects`, `Network.originProject` live here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, exists, func, or_, select

from db import models
from db.enums import ProjectStatus
from resolvers.base import DataContext, Entity, Link, common_conditions, load_grouped
from resolvers.companies import COMPANY, companies
from resolvers.editing import Column, EditSpec, LinkTable, Problem, at_least, columns, ends_after_start
from resolvers.networks import NETWORK, networks
from resolvers.pagination import Direction, Ordering, OrderKey
from resolvers.statistics import Dimension, Measure

projects = models.table_of(models.Project)
programs = models.table_of(models.FundingProgram)
project_programs = models.table_of(models.ProjectFundingProgram)
partners = models.table_of(models.ProjectPartner)
project_networks = models.table_of(models.ProjectNetwork)


def _by(name: str, *keys: OrderKey) -> Ordering:
    return Ordering(name, (*keys, OrderKey(projects.c.id)))


PROJECT = Entity(
    name="Project",
    table=projects,
    orderings={
        "TITLE": _by("TITLE", OrderKey(projects.c.title)),
        "START_ON": _by("START_ON", OrderKey(projects.c.starts_on)),
        "TOTAL_VOLUME": _by("TOTAL_VOLUME", OrderKey(projects.c.total_volume)),
        "CREATED_AT": _by("CREATED_AT", OrderKey(projects.c.created_at)),
        "UPDATED_AT": _by("UPDATED_AT", OrderKey(projects.c.updated_at)),
    },
    default_ordering="START_ON",
    default_direction=Direction.DESC,
)


@dataclass(frozen=True)
class ProjectFilter:
    statuses: tuple[ProjectStatus, ...] | None = None
    active_on: dt.date | None = None
    funding_program: str | None = None
    network_id: int | None = None
    company_id: int | None = None
    updated_since: dt.datetime | None = None
    search: str | None = None


def project_conditions(f: ProjectFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = projects.c
    conditions = common_conditions(projects, f.updated_since, f.search)
    if f.statuses is not None:
        conditions.append(c.status.in_(f.statuses))
    if f.active_on is not None:
        conditions.append(c.starts_on <= f.active_on)
        conditions.append(or_(c.ends_on.is_(None), c.ends_on >= f.active_on))
    if f.funding_program is not None:
        conditions.append(
            exists().where(project_programs.c.project_id == c.id, project_programs.c.program_code == f.funding_program)
        )
    if f.network_id is not None:
        conditions.append(
            exists().where(project_networks.c.project_id == c.id, project_networks.c.network_id == f.network_id)
        )
    if f.company_id is not None:
        conditions.append(exists().where(partners.c.project_id == c.id, partners.c.company_id == f.company_id))
    return conditions


async def load_funding_programs(ctx: DataContext, project_id: int) -> list[Any]:
    def build(ids: Any) -> Select[Any]:
        from sqlalchemy import any_

        return (
            select(project_programs.c.project_id.label("parent_id"), programs.c.code, programs.c.name)
            .join_from(project_programs, programs, programs.c.code == project_programs.c.program_code)
            .where(project_programs.c.project_id == any_(ids))
            .order_by(programs.c.code)
        )

    return await load_grouped(ctx, "Project.fundingPrograms", project_id, build)


def all_funding_programs() -> Select[Any]:
    return select(programs).order_by(programs.c.code)


PROJECT_PARTNERS = Link(
    name="Project.partners",
    target=COMPANY,
    parent_column=partners.c.project_id,
    source=companies.join(partners, partners.c.company_id == companies.c.id),
)
COMPANY_PROJECTS = Link(
    name="Company.projects",
    target=PROJECT,
    parent_column=partners.c.company_id,
    source=projects.join(partners, partners.c.project_id == projects.c.id),
)
PROJECT_NETWORKS = Link(
    name="Project.networks",
    target=NETWORK,
    parent_column=project_networks.c.project_id,
    source=networks.join(project_networks, project_networks.c.network_id == networks.c.id),
)
NETWORK_PROJECTS = Link(
    name="Network.projects",
    target=PROJECT,
    parent_column=project_networks.c.network_id,
    source=projects.join(project_networks, project_networks.c.project_id == projects.c.id),
)


def funding_within_volume(row: dict[str, Any]) -> list[Problem]:
    volume, funding = row.get("total_volume"), row.get("funding_amount")
    if volume is not None and funding is not None and funding > volume:
        return [Problem(("input", "fundingAmount"), "Must not exceed `totalVolume`.", "OUT_OF_RANGE")]
    return []


PROJECT_EDIT = EditSpec(
    entity=PROJECT,
    columns=columns(
        Column("published"),
        Column("title", required=True, max_length=300),
        Column("summary", max_length=20_000),
        Column("status", required=True),
        Column("starts_on", required=True),
        Column("ends_on"),
        Column("total_volume", required=True, check=at_least(Decimal(0))),
        Column("funding_amount", required=True, check=at_least(Decimal(0))),
    ),
    slug_from="title",
    rules=(ends_after_start("starts_on", "ends_on", ("input", "endsOn")), funding_within_volume),
)

PROJECT_PARTNER_LINKS = LinkTable(partners, PROJECT, "project_id", COMPANY, "company_id")


# --- statistics: what projects are grouped by, and what is summed ------------------------------

PROJECT_DIMENSIONS = (
    Dimension("STATUS", "status", projects.c.status),
    Dimension(
        "FUNDING_PROGRAM",
        "funding_program",
        project_programs.c.program_code,
        join=lambda source: source.outerjoin(project_programs, project_programs.c.project_id == projects.c.id),
    ),
    Dimension("START_YEAR", "start_year", cast(func.extract("year", projects.c.starts_on), Integer)),
)
PROJECT_MEASURES = (
    Measure("total_volume", lambda: func.coalesce(func.sum(projects.c.total_volume), Decimal("0"))),
    Measure("total_funding", lambda: func.coalesce(func.sum(projects.c.funding_amount), Decimal("0"))),
)
