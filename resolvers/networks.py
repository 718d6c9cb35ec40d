"""Networks and memberships: `Network.members` and `Company.networks` are owned here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from db import models
from db.enums import NetworkKind
from resolvers.base import Entity, Link, common_conditions
from resolvers.companies import COMPANY, companies
from resolvers.editing import Column, EditSpec, LinkTable, columns, email, url
from resolvers.pagination import Direction, Ordering, OrderKey

networks = models.table_of(models.Network)
memberships = models.table_of(models.NetworkMembership)


def _by(name: str, *keys: OrderKey) -> Ordering:
    return Ordering(name, (*keys, OrderKey(networks.c.id)))


NETWORK = Entity(
    name="Network",
    table=networks,
    orderings={
        "NAME": _by("NAME", OrderKey(networks.c.name)),
        "FOUNDED_ON": _by("FOUNDED_ON", OrderKey(networks.c.founded_on, nullable=True, null_fill=dt.date(1, 1, 1))),
        "CREATED_AT": _by("CREATED_AT", OrderKey(networks.c.created_at)),
        "UPDATED_AT": _by("UPDATED_AT", OrderKey(networks.c.updated_at)),
    },
    default_ordering="NAME",
    default_direction=Direction.ASC,
)


@dataclass(frozen=True)
class NetworkFilter:
    kinds: tuple[NetworkKind, ...] | None = None
    updated_since: dt.datetime | None = None
    search: str | None = None


def network_conditions(f: NetworkFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    conditions = common_conditions(networks, f.updated_since, f.search)
    if f.kinds is not None:
        conditions.append(networks.c.kind.in_(f.kinds))
    return conditions


MEMBERSHIP_EXTRA = (memberships.c.role.label("membership_role"), memberships.c.member_since)

NETWORK_MEMBERS = Link(
    name="Network.members",
    target=COMPANY,
    parent_column=memberships.c.network_id,
    source=companies.join(memberships, memberships.c.company_id == companies.c.id),
    extra=MEMBERSHIP_EXTRA,
    # the members of one network by name, in order from ix_network_memberships_network_company_name
    orderings={"NAME": Ordering("NAME", (OrderKey(memberships.c.company_name), OrderKey(memberships.c.company_id)))},
)

COMPANY_NETWORKS = Link(
    name="Company.networks",
    target=NETWORK,
    parent_column=memberships.c.company_id,
    source=networks.join(memberships, memberships.c.network_id == networks.c.id),
    extra=MEMBERSHIP_EXTRA,
)


NETWORK_EDIT = EditSpec(
    entity=NETWORK,
    columns=columns(
        Column("published"),
        Column("name", required=True, max_length=200),
        Column("kind", required=True),
        Column("description", max_length=20_000),
        Column("founded_on"),
        Column("website", max_length=300, check=url),
        Column("email", max_length=254, check=email),
        Column("origin_project_id", exists_in=models.table_of(models.Project).c.id, id_of="Project"),
    ),
    slug_from="name",
)

NETWORK_MEMBERSHIPS = LinkTable(memberships, NETWORK, "network_id", COMPANY, "company_id")
