"""The projects domain: funded projects, statistics, and the links to companies and networks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.tools import merge_types

from db.enums import ProjectStatus
from resolvers import projects as data
from resolvers.base import list_query, load_by_id, load_linked_edge
from resolvers.contacts import load_contacts
from resolvers.editing import Result, set_link
from resolvers.pagination import Direction, page_args
from schema.core.connections import Connection, Edge, linked_connection, root_connection
from schema.core.context import InfoT, berlin_time, to_filter
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import UserError, link_ids, standard_mutations
from schema.core.ids import decode_optional, encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable, find_one
from schema.core.permissions import STAFF_ONLY, PersonalData
from schema.core.values import ContactPerson, Money
from schema.domains.companies import Company, CompanyFilter, CompanyOrder, company_list
from schema.domains.networks import Network, NetworkFilter, NetworkOrder, network_list


@strawberry.type(description="A funding programme, e.g. GRW or EFRE.")
class FundingProgram:
    code: str = strawberry.field(description="Short code, e.g. GRW or EFRE.")
    name: str = strawberry.field(description="The programme's full name.")

    @staticmethod
    def of(row: Any) -> FundingProgram:
        return FundingProgram(code=row.code, name=row.name)


@strawberry.federation.type(keys=ENTITY_KEYS, description="A funded economic-development project of the office.")
class Project(Referable, Node):
    source = data.PROJECT
    pk: strawberry.Private[int]
    slug: str
    title: str = strawberry.field(description="The project's title.")
    summary: str | None = strawberry.field(description="What the project does, in a few sentences.")
    status: ProjectStatus = strawberry.field(description="Planned, running or completed.")
    starts_on: dt.date = strawberry.field(description="The project's first day.")
    ends_on: dt.date | None = strawberry.field(description="The project's last day, when known.")
    total_volume: Money = strawberry.field(description="The project's total volume.")
    funding_amount: Money = strawberry.field(description="The part of it that comes from funding programmes.")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(description="Grows with every change; an update names the version it read.")
    published: bool = strawberry.field(description="False: only staff see it.")

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
            version=row.version,
            published=row.published,
        )

    @strawberry.field(description="Programmes the project is funded from.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.of(r) for r in await data.load_funding_programs(info.context, self.pk)]

    @strawberry.field(
        description="Contact persons. Without recorded publication consent only staff see them.",
        extensions=[PersonalData()],
    )
    async def contacts(self, info: InfoT) -> list[ContactPerson]:
        return [ContactPerson.from_row(r) for r in await load_contacts(info.context, "project_id", self.pk)]

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
    statuses: list[ProjectStatus] | None = strawberry.field(
        default=None, description="Projects in any of these stages."
    )
    active_on: dt.date | None = strawberry.field(default=None, description="Running on this date.")
    funding_program: str | None = strawberry.field(default=None, description="A funding programme code.")
    network_id: strawberry.ID | None = strawberry.field(default=None, description="Projects linked to this network.")
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
    count: int = strawberry.field(description="Number of matching projects.")
    total_volume: Money = strawberry.field(description="Sum of their total volumes.")
    total_funding: Money = strawberry.field(description="Sum of their funding amounts.")


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
        ((count, volume, funding),) = await info.context.fetch_all(data.statistics_query(info.context, conditions))
        return ProjectStatistics(count=count, total_volume=Money(amount=volume), total_funding=Money(amount=funding))

    @strawberry.field(description="All funding programmes.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.of(r) for r in await info.context.fetch_all(data.all_funding_programs())]


@strawberry.input(description="A new project; `slug` is made from the title unless given.")
class ProjectCreateInput:
    title: str
    status: ProjectStatus
    starts_on: dt.date
    total_volume: Decimal = strawberry.field(description="Total volume in EUR.")
    funding_amount: Decimal = strawberry.field(description="Funding in EUR, at most the total volume.")
    slug: str | None = None
    summary: str | None = strawberry.UNSET
    ends_on: dt.date | None = strawberry.UNSET
    published: bool = True


@strawberry.input(description="Changes to a project: only the fields given are changed.")
class ProjectUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    title: str | None = strawberry.UNSET
    status: ProjectStatus | None = strawberry.UNSET
    starts_on: dt.date | None = strawberry.UNSET
    total_volume: Decimal | None = strawberry.UNSET
    funding_amount: Decimal | None = strawberry.UNSET
    slug: str | None = None
    regenerate_slug: bool = False
    summary: str | None = strawberry.UNSET
    ends_on: dt.date | None = strawberry.UNSET


ProjectMutations = standard_mutations(data.PROJECT_EDIT, Project, ProjectCreateInput, ProjectUpdateInput)


@strawberry.input(description="A company as partner of a project (add or remove).")
class ProjectPartnerInput:
    project_id: strawberry.ID = strawberry.field(description="The project.")
    company_id: strawberry.ID = strawberry.field(description="The partner company.")


@strawberry.type(description="The result of a partner change: the project, the company, or what was wrong.")
class ProjectPartnerPayload:
    project: Project | None = strawberry.field(default=None, description="The project, as it is now.")
    company: Company | None = strawberry.field(default=None, description="The company, as it is now.")
    removed_partner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="`projectPartnerRemove`: the ID of the company whose edge left `Project.partners` "
        "(for Relay's `@deleteEdge`).",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="What was wrong, if anything.")
    added: strawberry.Private[bool] = False

    @strawberry.field(
        description="`projectPartnerAdd`: the new edge of `Project.partners`, with its cursor (Relay's `@appendEdge`)."
    )
    async def partner_edge(self, info: InfoT) -> Edge[Company] | None:
        if not self.added or self.project is None or self.company is None:
            return None
        page = await load_linked_edge(info.context, data.PROJECT_PARTNERS, self.project.pk, self.company.pk)
        edges = [Edge(cursor=c, node=Company.from_row(r)) for r, c in zip(page.rows, page.cursors, strict=True)]
        return edges[0] if edges else None

    @staticmethod
    def of(result: Result, added: bool) -> ProjectPartnerPayload:
        errors = [UserError.of(p) for p in result.problems]
        if result.row is None:
            return ProjectPartnerPayload(user_errors=errors)
        project, company = result.row
        return ProjectPartnerPayload(
            project=Project.from_row(project),
            company=Company.from_row(company),
            removed_partner_id=None if added else strawberry.ID(encode_id("Company", company.id)),
            added=added,
        )


async def partnership(info: InfoT, input: ProjectPartnerInput, adding: bool) -> ProjectPartnerPayload:
    ids = link_ids({"projectId": (input.project_id, "Project"), "companyId": (input.company_id, "Company")})
    if isinstance(ids, Result):
        return ProjectPartnerPayload.of(ids, adding)
    result = await set_link(info.context, data.PROJECT_PARTNER_LINKS, ids[0], ids[1], adding)
    return ProjectPartnerPayload.of(result, adding)


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Add a partner company to a project.", directives=STAFF_ONLY)
    async def project_partner_add(self, info: InfoT, input: ProjectPartnerInput) -> ProjectPartnerPayload:
        return await partnership(info, input, True)

    @strawberry.mutation(description="Remove a partner company from a project.", directives=STAFF_ONLY)
    async def project_partner_remove(self, info: InfoT, input: ProjectPartnerInput) -> ProjectPartnerPayload:
        return await partnership(info, input, False)


DOMAIN = Domain(
    name="projects",
    query=ProjectQuery,
    mutation=merge_types("ProjectDomainMutations", (ProjectMutations, PartnerMutations)),
    nodes={"Project": NodeType(data.PROJECT, Project)},
    extensions=[
        Extension(Company, CompanyProjects),
        Extension(Network, NetworkProjects),
        Extension(Project, ProjectNetworks, requires=("networks",)),
    ],
)
