"""The projects domain: funded projects, statistics, and the links to companies and networks."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry

from db.enums import ProjectStatus
from resolvers import projects as data
from resolvers.base import list_query, load_by_id
from resolvers.contacts import load_contacts
from resolvers.pagination import Direction, page_args
from schema.base import (
    ENTITY_KEYS,
    Connection,
    ContactPerson,
    InfoT,
    Money,
    Node,
    Referable,
    berlin_time,
    find_one,
    linked_connection,
    root_connection,
    to_filter,
)
from schema.companies import Company, CompanyFilter, CompanyOrder, company_list
from schema.domain import Domain, Extension, NodeType
from schema.ids import decode_optional, encode_id
from schema.networks import Network, NetworkFilter, NetworkOrder, network_list


@strawberry.type(description="A funding programme, e.g. GRW or EFRE.")
class FundingProgram:
    code: str
    name: str

    @staticmethod
    def of(row: Any) -> FundingProgram:
        return FundingProgram(code=row.code, name=row.name)


@strawberry.federation.type(keys=ENTITY_KEYS, description="A funded economic-development project of the office.")
class Project(Referable, Node):
    source = data.PROJECT
    pk: strawberry.Private[int]
    slug: str
    title: str
    summary: str | None
    status: ProjectStatus
    starts_on: dt.date
    ends_on: dt.date | None
    total_volume: Money
    funding_amount: Money
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> Project:
        return cls(
            id=strawberry.ID(encode_id("Project", row.id)),
            pk=row.id,
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            total_volume=Money(amount=row.total_volume),
            funding_amount=Money(amount=row.funding_amount),
            created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
            updated_at=berlin_time(row.updated_at),  # type: ignore[arg-type]
        )

    @strawberry.field(description="Programmes the project is funded from.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.of(r) for r in await data.load_funding_programs(info.context, self.pk)]

    @strawberry.field(description="Contact persons who consented to publication.")
    async def contacts(self, info: InfoT) -> list[ContactPerson]:
        return [ContactPerson.of(r) for r in await load_contacts(info.context, "project_id", self.pk)]

    @strawberry.field(description="Partner companies of the project.")
    async def partners(
        self,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CompanyFilter | None = None,
        order_by: CompanyOrder | None = None,
    ) -> Connection[Company]:
        query = company_list(filter, order_by, first, after, last, before)
        return await linked_connection(info.context, data.PROJECT_PARTNERS, self.pk, query, Company.from_row)


@strawberry.input(description="Filters for projects; all given conditions must hold.")
class ProjectFilter:
    statuses: list[ProjectStatus] | None = None
    active_on: dt.date | None = strawberry.field(default=None, description="Running on this date.")
    funding_program: str | None = strawberry.field(default=None, description="A funding programme code.")
    network_id: strawberry.ID | None = None
    company_id: strawberry.ID | None = strawberry.field(default=None, description="Projects with this partner.")
    updated_since: dt.datetime | None = None
    search: str | None = None


@strawberry.enum(description="Fields to order projects by.")
class ProjectOrderField(Enum):
    TITLE = "TITLE"
    START_ON = "START_ON"
    TOTAL_VOLUME = "TOTAL_VOLUME"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class ProjectOrder:
    field: ProjectOrderField
    direction: Direction = Direction.ASC


@strawberry.type(description="Totals over the projects matching a filter.")
class ProjectStatistics:
    count: int
    total_volume: Money
    total_funding: Money


def domain_project_filter(filter: ProjectFilter | None) -> data.ProjectFilter | None:
    return to_filter(
        filter,
        data.ProjectFilter,
        network_id=decode_optional(filter.network_id, "Network") if filter else None,
        company_id=decode_optional(filter.company_id, "Company") if filter else None,
    )


def project_list(
    filter: ProjectFilter | None,
    order_by: ProjectOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Any:
    domain_filter = domain_project_filter(filter)
    return list_query(
        data.PROJECT,
        data.project_conditions(domain_filter),
        domain_filter,
        order_by.field.value if order_by else None,
        order_by.direction if order_by else None,
        page_args(first, after, last, before),
    )


@strawberry.type
class CompanyProjects:
    """Contributed to `Company` by the projects domain."""

    @strawberry.field(description="Projects the company is a partner of.")
    async def projects(
        self: Company,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
    ) -> Connection[Project]:
        query = project_list(filter, order_by, first, after, last, before)
        return await linked_connection(info.context, data.COMPANY_PROJECTS, self.pk, query, Project.from_row)


@strawberry.type
class NetworkProjects:
    """Contributed to `Network` by the projects domain."""

    @strawberry.field(description="Projects the network takes part in.")
    async def projects(
        self: Network,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
    ) -> Connection[Project]:
        query = project_list(filter, order_by, first, after, last, before)
        return await linked_connection(info.context, data.NETWORK_PROJECTS, self.pk, query, Project.from_row)

    @strawberry.field(description="The project the network came out of, if any.")
    async def origin_project(self: Network, info: InfoT) -> Project | None:
        if self.origin_project_pk is None:
            return None
        row = await load_by_id(info.context, data.PROJECT, self.origin_project_pk)
        return None if row is None else Project.from_row(row)


@strawberry.type
class ProjectNetworks:
    """Contributed to `Project` when the networks domain is composed too."""

    @strawberry.field(description="Networks related to the project.")
    async def networks(
        self: Project,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: NetworkFilter | None = None,
        order_by: NetworkOrder | None = None,
    ) -> Connection[Network]:
        query = network_list(filter, order_by, first, after, last, before)
        return await linked_connection(info.context, data.PROJECT_NETWORKS, self.pk, query, Network.from_row)


@strawberry.type
class ProjectQuery:
    @strawberry.field(description="A project by global ID or by slug.")
    async def project(self, info: InfoT, id: strawberry.ID | None = None, slug: str | None = None) -> Project | None:
        return await find_one(info.context, data.PROJECT, id, slug, Project.from_row)

    @strawberry.field(description="Projects, filtered and ordered (latest start first by default).")
    async def projects(
        self,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
    ) -> Connection[Project]:
        query = project_list(filter, order_by, first, after, last, before)
        return await root_connection(info.context, data.PROJECT, query, Project.from_row)

    @strawberry.field(description="Count, total volume and total funding of the matching projects.")
    async def project_statistics(self, info: InfoT, filter: ProjectFilter | None = None) -> ProjectStatistics:
        conditions = data.project_conditions(domain_project_filter(filter))
        ((count, volume, funding),) = await info.context.fetch_all(data.statistics_query(conditions))
        return ProjectStatistics(count=count, total_volume=Money(amount=volume), total_funding=Money(amount=funding))

    @strawberry.field(description="All funding programmes.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.of(r) for r in await info.context.fetch_all(data.all_funding_programs())]


DOMAIN = Domain(
    name="projects",
    query=ProjectQuery,
    nodes={"Project": NodeType(data.PROJECT, Project)},
    extensions=[
        Extension(Company, CompanyProjects),
        Extension(Network, NetworkProjects),
        Extension(Project, ProjectNetworks, requires=("networks",)),
    ],
)
