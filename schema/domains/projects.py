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
from resolvers.base import load_linked_edge
from resolvers.contacts import load_contacts
from resolvers.editing import Result, set_link
from resolvers.pagination import Direction
from schema.core.connections import Edge
from schema.core.context import InfoT
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import UserError, link_ids, standard_mutations
from schema.core.fields import FromRow, column, embedded, lookup, many, one
from schema.core.ids import encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.permissions import STAFF_ONLY, PersonalData
from schema.core.plans import Listing
from schema.core.statistics import Grouping, Total, statistics_field
from schema.core.values import ContactPerson, Money
from schema.domains.companies import COMPANIES, Company
from schema.domains.networks import NETWORKS, Network


@strawberry.type(description="A funding programme, e.g. GRW or EFRE.")
class FundingProgram(FromRow):
    code: str = column("Short code, e.g. GRW or EFRE.")
    name: str = column("The programme's full name.")


@strawberry.federation.type(keys=ENTITY_KEYS, description="A funded economic-development project of the office.")
class Project(FromRow, Referable, Node):
    source = data.PROJECT
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Readable unique key, used in the portal's URLs.")
    external_id: str | None = column(
        "The key in the office's own records (spreadsheets, the old CMS); imports match rows by it."
    )
    title: str = column("The project's title.")
    summary: str | None = column("What the project does, in a few sentences.")
    status: ProjectStatus = column("Planned, running or completed.")
    starts_on: dt.date = column("The project's first day.")
    ends_on: dt.date | None = column("The project's last day, when known.")
    total_volume: Money = embedded("The project's total volume.", "total_volume")
    funding_amount: Money = embedded("The part of it that comes from funding programmes.", "funding_amount")
    created_at: dt.datetime = column("When the record was created (Europe/Berlin).")
    updated_at: dt.datetime = column("When the record was last changed (Europe/Berlin).")
    version: int = column("Grows with every change; an update names the version it read.")
    published: bool = column("False: only staff see it.")
    partners = many(COMPANIES, data.PROJECT_PARTNERS, description="Partner companies of the project.")

    @strawberry.field(description="Programmes the project is funded from.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.from_row(r) for r in await data.load_funding_programs(info.context, self.pk)]

    @strawberry.field(
        description="Contact persons. Without recorded publication consent only staff see them.",
        extensions=[PersonalData()],
    )
    async def contacts(self, info: InfoT) -> list[ContactPerson]:
        return [ContactPerson.from_row(r) for r in await load_contacts(info.context, "project_id", self.pk)]


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


PROJECTS = Listing(data.PROJECT, Project, ProjectFilter, ProjectOrder, data.ProjectFilter, data.project_conditions)
STATUS_D, PROGRAM_D, START_YEAR_D = data.PROJECT_DIMENSIONS
VOLUME_M, FUNDING_M = data.PROJECT_MEASURES


@strawberry.type
class CompanyProjects:
    """Contributed to `Company` by the projects domain."""

    projects = many(PROJECTS, data.COMPANY_PROJECTS, description="Projects the company is a partner of.")


@strawberry.type
class NetworkProjects:
    """Contributed to `Network` by the projects domain."""

    projects = many(PROJECTS, data.NETWORK_PROJECTS, description="Projects the network takes part in.")
    origin_project = one(
        data.PROJECT, Project, "origin_project_id", description="The project the network came out of, if any."
    )


@strawberry.type
class ProjectNetworks:
    """Contributed to `Project` when the networks domain is composed too."""

    networks = many(NETWORKS, data.PROJECT_NETWORKS, description="Networks related to the project.")


@strawberry.type
class ProjectQuery:
    project = lookup(PROJECTS, description="A project by global ID or by slug.")
    projects = many(PROJECTS, description="Projects, filtered and ordered (latest start first by default).")

    project_statistics = statistics_field(
        "Project",
        "projects",
        PROJECTS,
        [
            Grouping(STATUS_D, ProjectStatus, "The project's state"),
            Grouping(PROGRAM_D, str, "The code of a funding programme (a project in two counts in both)"),
            Grouping(START_YEAR_D, int, "The year it starts"),
        ],
        [
            Total(VOLUME_M, Money, "Sum of the total volumes.", Money.from_row),
            Total(FUNDING_M, Money, "Sum of the funding amounts.", Money.from_row),
        ],
        description="Count, total volume and total funding of the matching projects, in all and per group of "
        "`groupBy`. One SQL statement.",
    )

    @strawberry.field(description="All funding programmes.")
    async def funding_programs(self, info: InfoT) -> list[FundingProgram]:
        return [FundingProgram.from_row(r) for r in await info.context.fetch_all(data.all_funding_programs())]


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
