"""Events: `Company.events`, `Network.events`, `Space.events` and `Project.events` live here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, exists, func, or_

from db import models
from db.enums import EventKind, EventStatus, Ortsteil
from resolvers.base import Entity, Link, common_conditions
from resolvers.companies import COMPANY
from resolvers.editing import (
    ADDRESS,
    Column,
    EditSpec,
    Problem,
    at_least,
    aware,
    columns,
    ends_after_start,
    location_pair,
    url,
)
from resolvers.errors import UserInputError
from resolvers.networks import NETWORK
from resolvers.pagination import Direction, Ordering, OrderKey
from resolvers.projects import PROJECT
from resolvers.spaces import SPACE, spaces
from resolvers.statistics import Dimension

events = models.table_of(models.Event)


def _by(name: str, *keys: OrderKey) -> Ordering:
    return Ordering(name, (*keys, OrderKey(events.c.id)))


EVENT = Entity(
    name="Event",
    table=events,
    orderings={
        "START_AT": _by("START_AT", OrderKey(events.c.starts_at)),
        "TITLE": _by("TITLE", OrderKey(events.c.title)),
        "CREATED_AT": _by("CREATED_AT", OrderKey(events.c.created_at)),
        "UPDATED_AT": _by("UPDATED_AT", OrderKey(events.c.updated_at)),
    },
    default_ordering="START_AT",
    default_direction=Direction.ASC,
)


@dataclass(frozen=True)
class EventFilter:
    starts_after: dt.datetime | None = None
    starts_before: dt.datetime | None = None
    kinds: tuple[EventKind, ...] | None = None
    statuses: tuple[EventStatus, ...] | None = None
    network_id: int | None = None
    company_id: int | None = None
    project_id: int | None = None
    ortsteil: Ortsteil | None = None
    updated_since: dt.datetime | None = None
    search: str | None = None
    event_id: int | None = None


def event_conditions(f: EventFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = events.c
    conditions = common_conditions(events, f.updated_since, f.search)
    if f.event_id is not None:
        conditions.append(c.id == f.event_id)
    for name, value in (("startsAfter", f.starts_after), ("startsBefore", f.starts_before)):
        if value is not None and value.tzinfo is None:
            raise UserInputError(f"`{name}` needs a time zone offset, e.g. 2026-12-01T00:00:00+01:00.")
    if f.starts_after is not None:
        conditions.append(c.starts_at >= f.starts_after)
    if f.starts_before is not None:
        conditions.append(c.starts_at < f.starts_before)
    if f.kinds is not None:
        conditions.append(c.kind.in_(f.kinds))
    if f.statuses is not None:
        conditions.append(c.status.in_(f.statuses))
    if f.network_id is not None:
        conditions.append(c.network_id == f.network_id)
    if f.company_id is not None:
        conditions.append(c.host_company_id == f.company_id)
    if f.project_id is not None:
        conditions.append(c.project_id == f.project_id)
    if f.ortsteil is not None:
        # the venue's own address, or the address of the portal space it is held in
        at_space = exists().where(spaces.c.id == c.venue_space_id, spaces.c.ortsteil_key == f.ortsteil.name)
        conditions.append(or_(c.ortsteil_key == f.ortsteil.name, at_space))
    return conditions


def _events_by(column: ColumnElement[int], name: str) -> Link:
    return Link(name=name, target=EVENT, parent_column=column, source=events)


COMPANY_EVENTS = _events_by(events.c.host_company_id, "Company.events")
NETWORK_EVENTS = _events_by(events.c.network_id, "Network.events")
SPACE_EVENTS = _events_by(events.c.venue_space_id, "Space.events")
PROJECT_EVENTS = _events_by(events.c.project_id, "Project.events")


def has_venue(row: dict[str, Any]) -> list[Problem]:
    if row.get("venue_name") is None and row.get("venue_space_id") is None and row.get("online_url") is None:
        return [Problem(("input", "venueName"), "Give a venue name, a venue space or an online URL.", "REQUIRED")]
    return []


EVENT_EDIT = EditSpec(
    entity=EVENT,
    columns=columns(
        Column("published"),
        Column("title", required=True, max_length=300),
        Column("description", max_length=20_000),
        Column("kind", required=True),
        Column("status", required=True),
        Column("starts_at", required=True, check=aware),
        Column("ends_at", check=aware),
        Column("venue_name", max_length=200),
        Column("venue_space_id", references=SPACE),
        Column("online_url", max_length=300, check=url),
        Column("host_company_id", input="host_id", references=COMPANY),
        Column("network_id", references=NETWORK),
        Column("project_id", references=PROJECT),
        Column("registration_required"),
        Column("registration_url", max_length=300, check=url),
        Column("registration_deadline", check=aware),
        Column("capacity", check=at_least(0)),
        *ADDRESS.values(),
    ),
    slug_from="title",
    rules=(location_pair, ends_after_start("starts_at", "ends_at", ("input", "endsAt")), has_venue),
)


# --- statistics: what events are grouped by ---------------------------------------------------

EVENT_DIMENSIONS = (
    Dimension("KIND", "kind", events.c.kind),
    Dimension(
        "MONTH", "month", func.to_char(func.timezone("Europe/Berlin", events.c.starts_at), "YYYY-MM", type_=String())
    ),
    Dimension("NETWORK", "network_id", events.c.network_id),
)
