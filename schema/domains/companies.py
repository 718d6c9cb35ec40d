"""The companies domain: `Company`, its filters and orderings, and `company`/`companies`."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.tools import merge_types

from db.enums import EmployeeRange, LegalForm
from db.enums import Ortsteil as OrtsteilKey
from resolvers import companies as data
from resolvers.contacts import load_contacts
from resolvers.pagination import Direction
from schema.core import jsonld
from schema.core.context import InfoT
from schema.core.domain import Domain, NodeType
from schema.core.editing import AddressInput, standard_mutations
from schema.core.fields import FromRow, column, embedded, lookup, many, one
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.permissions import PersonalData
from schema.core.plans import Listing
from schema.core.statistics import Grouping, statistics_field
from schema.core.values import Address, ContactPerson
from schema.domains.contacts import ContactMutations

NOT_A_BUSINESS = frozenset({LegalForm.EV, LegalForm.PUBLIC_BODY})


@strawberry.type(description="A class of the German classification of economic activities (WZ 2008).")
class IndustryClass(FromRow):
    code: str = column('The class code, e.g. "62.01".')
    title: str = column("The class's title in the official German wording.")
    section: str = column("The section letter (A-U).")


@strawberry.federation.type(keys=ENTITY_KEYS, description="A company (or other organisation) in Lichtenberg.")
class Company(FromRow, Referable, Node):
    source = data.COMPANY
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Readable unique key, used in the portal's URLs.")
    external_id: str | None = column(
        "The key in the office's own records (spreadsheets, the old CMS); imports match rows by it."
    )
    name: str = column("The company's name as it appears in the portal.")
    legal_form: LegalForm = column("Its legal form.")
    description: str | None = column("What the company does, in its own words.")
    address: Address | None = embedded("Where the company is.")
    website: str | None = column("The company's website (http or https).")
    email: str | None = column("Functional e-mail address of the company.")
    phone: str | None = column("The company's public phone number.")
    employee_range: EmployeeRange | None = column("Number of employees, as an EU SME class.")
    founded_year: int | None = column("The year it was founded.")
    created_at: dt.datetime = column("When the record was created (Europe/Berlin).")
    updated_at: dt.datetime = column("When the record was last changed (Europe/Berlin).")
    version: int = column("Grows with every change; an update names the version it read.")
    published: bool = column("False: only staff see it.")
    industry: IndustryClass | None = one(
        data.INDUSTRY,
        IndustryClass,
        "industry_code",
        target_column="code",
        description="Primary industry (WZ 2008 class).",
    )

    @strawberry.field(description="schema.org JSON-LD (Organization or LocalBusiness) for partner pages.")
    def json_ld(self) -> JSON:
        kind = "Organization" if self.legal_form in NOT_A_BUSINESS else "LocalBusiness"
        return jsonld.organization(
            kind,
            self.name,
            description=self.description,
            url=self.website,
            email=self.email,
            telephone=self.phone,
            address=jsonld.postal_address(self.address),
            geo=jsonld.geo(self.address),
            foundingDate=str(self.founded_year) if self.founded_year else None,
            identifier=self.id,
        )

    @strawberry.field(
        description="Contact persons. Without recorded publication consent only staff see them.",
        extensions=[PersonalData()],
    )
    async def contacts(self, info: InfoT) -> list[ContactPerson]:
        return [ContactPerson.from_row(r) for r in await load_contacts(info.context, "company_id", self.pk)]


@strawberry.input(description="Filters for companies; all given conditions must hold.")
class CompanyFilter:
    ortsteil: OrtsteilKey | None = strawberry.field(default=None, description="Companies in this Ortsteil.")
    postal_code: str | None = strawberry.field(
        default=None, description="Companies with this postal code (five digits)."
    )
    industry_code: str | None = strawberry.field(
        default=None, description='A WZ code or prefix: "62" matches 62.01 and 62.09.'
    )
    network_id: strawberry.ID | None = strawberry.field(default=None, description="Members of this network.")
    employee_ranges: list[EmployeeRange] | None = strawberry.field(
        default=None, description="Companies in any of these size classes."
    )
    legal_forms: list[LegalForm] | None = strawberry.field(
        default=None, description="Companies of any of these legal forms."
    )
    updated_since: dt.datetime | None = None
    search: str | None = strawberry.field(default=None, description="German full-text search.")


@strawberry.enum(description="Fields to order companies by.")
class CompanyOrderField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    FOUNDED_YEAR = "FOUNDED_YEAR"


@strawberry.input
class CompanyOrder:
    field: CompanyOrderField
    direction: Direction = Direction.ASC


COMPANIES = Listing(data.COMPANY, Company, CompanyFilter, CompanyOrder, data.CompanyFilter, data.company_conditions)
"""Companies as every list of them offers them (the root list, network members, project partners)."""


ORTSTEIL_D, SECTION_D, EMPLOYEES_D, LEGAL_FORM_D = data.COMPANY_DIMENSIONS


@strawberry.type
class CompanyQuery:
    company = lookup(COMPANIES, description="A company by global ID or by slug.")
    companies = many(COMPANIES, description="Companies, filtered and ordered, as a Relay connection.")
    company_statistics = statistics_field(
        "Company",
        "companies",
        COMPANIES,
        [
            Grouping(ORTSTEIL_D, OrtsteilKey, "The Ortsteil", lambda key: None if key is None else OrtsteilKey[key]),
            Grouping(SECTION_D, str, "The WZ 2008 section (A to U) of the company's class"),
            Grouping(EMPLOYEES_D, EmployeeRange, "The head-count class"),
            Grouping(LEGAL_FORM_D, LegalForm, "The legal form"),
        ],
        description="How many companies match the filter, in all and per group (for the annual report); "
        "visible as in `companies`. One SQL statement.",
    )

    @strawberry.field(description="The WZ 2008 classes that published companies are in.")
    async def industries(self, info: InfoT) -> list[IndustryClass]:
        return [IndustryClass.from_row(r) for r in await info.context.fetch_all(data.industries_in_use(info.context))]


@strawberry.input(description="A new company; `slug` is made from the name unless given.")
class CompanyCreateInput:
    name: str
    legal_form: LegalForm
    slug: str | None = None
    description: str | None = strawberry.UNSET
    industry_code: str | None = strawberry.field(default=strawberry.UNSET, description='A WZ 2008 class, e.g. "62.01".')
    website: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    employee_range: EmployeeRange | None = strawberry.UNSET
    founded_year: int | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    published: bool = True


@strawberry.input(description="Changes to a company: only the fields given are changed.")
class CompanyUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    name: str | None = strawberry.UNSET
    legal_form: LegalForm | None = strawberry.UNSET
    slug: str | None = strawberry.field(default=None, description="A new slug; by default the slug stays.")
    regenerate_slug: bool = strawberry.field(default=False, description="Make a new slug from the (new) name.")
    description: str | None = strawberry.UNSET
    industry_code: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    employee_range: EmployeeRange | None = strawberry.UNSET
    founded_year: int | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET


CompanyMutations = standard_mutations(data.COMPANY_EDIT, Company, CompanyCreateInput, CompanyUpdateInput)


DOMAIN = Domain(
    name="companies",
    query=CompanyQuery,
    mutation=merge_types("CompanyDomainMutations", (CompanyMutations, ContactMutations)),
    nodes={"Company": NodeType(data.COMPANY, Company)},
)
