"""Events: `Company.events`, `Network.events`, `Space.events` and `Project.events` live here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_

from db import models
from db.enums import EventKind, EventStatus, Ortsteil
from resolvers.base import Entity, Link, common_conditions
from resolvers.errors import UserInputError
from resolvers.pagination import Direction, Ordering, OrderKey
from resolvers.spaces import spaces

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


def event_conditions(f: EventFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = events.c
    conditions = common_conditions(events, f.updated_since, f.search)
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
