"""Companies: visibility, orderings and filters, defined once for loaders and the planner."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from db import models
from db.enums import EmployeeRange, LegalForm, Ortsteil
from resolvers.base import DataContext, Entity, common_conditions
from resolvers.editing import ADDRESS, Column, EditSpec, between, columns, email, location_pair, url
from resolvers.errors import UserInputError, quoted
from resolvers.pagination import Direction, Ordering, OrderKey
from resolvers.statistics import Dimension

companies = models.table_of(models.Company)
industries = models.table_of(models.IndustryClass)
memberships = models.table_of(models.NetworkMembership)


def _by(name: str, *keys: OrderKey) -> Ordering:
    return Ordering(name, (*keys, OrderKey(companies.c.id)))


COMPANY = Entity(
    name="Company",
    table=companies,
    orderings={
        "NAME": _by("NAME", OrderKey(companies.c.name)),
        "CREATED_AT": _by("CREATED_AT", OrderKey(companies.c.created_at)),
        "UPDATED_AT": _by("UPDATED_AT", OrderKey(companies.c.updated_at)),
        "FOUNDED_YEAR": _by("FOUNDED_YEAR", OrderKey(companies.c.founded_year, nullable=True, null_fill=0)),
    },
    default_ordering="NAME",
    default_direction=Direction.ASC,
)

INDUSTRY = Entity(
    name="IndustryClass",
    table=industries,
    orderings={},
    default_ordering="",
    default_direction=Direction.ASC,
    has_slug=False,
)
"""WZ 2008 classes, found by `code` (reference data: every row visible)."""

INDUSTRY_CODE_PREFIX = re.compile(r"^\d{1,2}(\.\d{0,2})?$")


@dataclass(frozen=True)
class CompanyFilter:
    ortsteil: Ortsteil | None = None
    postal_code: str | None = None
    industry_code: str | None = None
    network_id: int | None = None
    employee_ranges: tuple[EmployeeRange, ...] | None = None
    legal_forms: tuple[LegalForm, ...] | None = None
    updated_since: dt.datetime | None = None
    search: str | None = None


def company_conditions(f: CompanyFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = companies.c
    conditions = common_conditions(companies, f.updated_since, f.search)
    if f.ortsteil is not None:
        conditions.append(c.ortsteil_key == f.ortsteil.name)
    if f.postal_code is not None:
        if not re.fullmatch(r"\d{5}", f.postal_code):
            raise UserInputError(f"`postalCode` must be five digits (got {quoted(f.postal_code)}).")
        conditions.append(c.postal_code == f.postal_code)
    if f.industry_code is not None:
        if not INDUSTRY_CODE_PREFIX.fullmatch(f.industry_code):
            raise UserInputError(
                '`industryCode` must be a WZ 2008 code or prefix such as "62" or "62.01" '
                f"(got {quoted(f.industry_code)})."
            )
        conditions.append(c.industry_code.startswith(f.industry_code, autoescape=True))
    if f.network_id is not None:
        conditions.append(exists().where(memberships.c.company_id == c.id, memberships.c.network_id == f.network_id))
    if f.employee_ranges is not None:
        conditions.append(c.employee_range.in_(f.employee_ranges))
    if f.legal_forms is not None:
        conditions.append(c.legal_form.in_(f.legal_forms))
    return conditions


def industries_in_use(ctx: DataContext) -> Any:
    """The WZ classes of the companies the caller may see, by code."""
    used = select(companies.c.industry_code).where(COMPANY.visible(ctx), companies.c.industry_code.is_not(None))
    return select(industries).where(industries.c.code.in_(used)).order_by(industries.c.code)


COMPANY_EDIT = EditSpec(
    entity=COMPANY,
    columns=columns(
        Column("published"),
        Column("name", required=True, max_length=200),
        Column("legal_form", required=True),
        Column("description", max_length=20_000),
        Column("industry_code", exists_in=industries.c.code),
        Column("website", max_length=300, check=url),
        Column("email", max_length=254, check=email),
        Column("phone", max_length=40),
        Column("employee_range"),
        Column("founded_year", check=between(1700, 2100)),
        *ADDRESS.values(),
    ),
    slug_from="name",
    rules=(location_pair,),
)


# --- statistics: what companies are grouped by (the annual report) ----------------------------

COMPANY_DIMENSIONS = (
    Dimension("ORTSTEIL", "ortsteil", companies.c.ortsteil_key),
    Dimension(
        "INDUSTRY_SECTION",
        "industry_section",
        industries.c.section,
        join=lambda source: source.outerjoin(industries, industries.c.code == companies.c.industry_code),
    ),
    Dimension("EMPLOYEE_RANGE", "employee_range", companies.c.employee_range),
    Dimension("LEGAL_FORM", "legal_form", companies.c.legal_form),
)
