"""Commercial space listings (offers and requests); `Company.spaces` is owned here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_

from db import models
from db.enums import ListingType, Ortsteil, SpaceStatus, SpaceType, Transaction
from resolvers.base import Entity, Link, common_conditions
from resolvers.companies import COMPANY
from resolvers.editing import ADDRESS, Column, EditSpec, Problem, at_least, columns, location_pair
from resolvers.errors import UserInputError
from resolvers.pagination import Direction, Ordering, OrderKey

spaces = models.table_of(models.Space)


def _by(name: str, *keys: OrderKey) -> Ordering:
    return Ordering(name, (*keys, OrderKey(spaces.c.id)))


SPACE = Entity(
    name="Space",
    table=spaces,
    orderings={
        "TITLE": _by("TITLE", OrderKey(spaces.c.title)),
        "AREA": _by("AREA", OrderKey(spaces.c.area_sqm)),
        "RENT": _by("RENT", OrderKey(spaces.c.rent_per_sqm, nullable=True, null_fill=Decimal(0))),
        "AVAILABLE_FROM": _by(
            "AVAILABLE_FROM", OrderKey(spaces.c.available_from, nullable=True, null_fill=dt.date(1, 1, 1))
        ),
        "CREATED_AT": _by("CREATED_AT", OrderKey(spaces.c.created_at)),
        "UPDATED_AT": _by("UPDATED_AT", OrderKey(spaces.c.updated_at)),
    },
    default_ordering="CREATED_AT",
    default_direction=Direction.DESC,
)


@dataclass(frozen=True)
class SpaceFilter:
    space_types: tuple[SpaceType, ...] | None = None
    listing_type: ListingType | None = None
    transaction: Transaction | None = None
    min_area: Decimal | None = None
    max_area: Decimal | None = None
    max_rent_per_sqm: Decimal | None = None
    ortsteil: Ortsteil | None = None
    available_by: dt.date | None = None
    status: SpaceStatus | None = None
    updated_since: dt.datetime | None = None
    search: str | None = None


def space_conditions(f: SpaceFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = spaces.c
    conditions = common_conditions(spaces, f.updated_since, f.search)
    for name, value in (("minArea", f.min_area), ("maxArea", f.max_area), ("maxRentPerSqm", f.max_rent_per_sqm)):
        if value is not None and (value < 0 or not value.is_finite()):
            raise UserInputError(f"`{name}` must be a non-negative number (got {value}).")
    if f.space_types is not None:
        conditions.append(c.space_type.in_(f.space_types))
    if f.listing_type is not None:
        conditions.append(c.listing_type == f.listing_type)
    if f.transaction is not None:
        conditions.append(c.transaction == f.transaction)
    if f.min_area is not None:
        # a divisible space qualifies when its largest unit is big enough
        conditions.append(func.coalesce(c.area_max_sqm, c.area_sqm) >= f.min_area)
    if f.max_area is not None:
        conditions.append(c.area_sqm <= f.max_area)
    if f.max_rent_per_sqm is not None:
        conditions.append(c.rent_per_sqm <= f.max_rent_per_sqm)
    if f.ortsteil is not None:
        conditions.append(c.ortsteil_key == f.ortsteil.name)
    if f.available_by is not None:
        conditions.append(or_(c.available_from.is_(None), c.available_from <= f.available_by))
    if f.status is not None:
        conditions.append(c.status == f.status)
    return conditions


COMPANY_SPACES = Link(name="Company.spaces", target=SPACE, parent_column=spaces.c.provider_id, source=spaces)


def area_max_not_below_min(row: dict[str, Any]) -> list[Problem]:
    if (
        row.get("area_max_sqm") is not None
        and row.get("area_sqm") is not None
        and row["area_max_sqm"] < row["area_sqm"]
    ):
        return [Problem(("input", "areaMaxSqm"), "Must not be below `areaSqm`.", "OUT_OF_RANGE")]
    return []


SPACE_EDIT = EditSpec(
    entity=SPACE,
    columns=columns(
        Column("published"),
        Column("title", required=True, max_length=300),
        Column("listing_type", required=True),
        Column("space_type", required=True),
        Column("transaction", required=True),
        Column("area_sqm", required=True, check=at_least(Decimal(0), strictly=True)),
        Column("area_max_sqm", check=at_least(Decimal(0), strictly=True)),
        Column("rent_per_sqm", check=at_least(Decimal(0))),
        Column("price", check=at_least(Decimal(0))),
        Column("available_from"),
        Column("status", required=True),
        Column("provider_id", references=COMPANY),
        Column("description", max_length=20_000),
        *ADDRESS.values(),
    ),
    slug_from="title",
    rules=(location_pair, area_max_not_below_min),
)
