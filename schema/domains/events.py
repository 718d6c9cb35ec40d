"""The events domain: `Event`, its venue, and the events of companies, networks, spaces, projects."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any
from urllib.parse import urlencode

import strawberry
from sqlalchemy import and_, case, select
from sqlalchemy.sql.util import ClauseAdapter
from strawberry.scalars import JSON

from db.enums import EventKind, EventStatus
from db.enums import Ortsteil as OrtsteilKey
from resolvers import events as data
from resolvers.base import Link, load_by_id
from resolvers.companies import COMPANY
from resolvers.networks import NETWORK
from resolvers.pagination import Direction
from resolvers.projects import PROJECT
from resolvers.spaces import SPACE
from schema.core import jsonld
from schema.core.context import InfoT
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import AddressInput, standard_mutations
from schema.core.fields import FromRow, build, column, computed, embedded, live_many, lookup, many, one
from schema.core.ids import encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.permissions import FOR_NEWSLETTER
from schema.core.plans import Listing
from schema.core.statistics import Grouping, statistics_field
from schema.core.values import Address
from schema.domains.companies import Company
from schema.domains.networks import Network
from schema.domains.projects import Project
from schema.domains.spaces import Space


@strawberry.type(description="Registration for an event.")
class Registration(FromRow):
    required: bool = column("Whether participants must register.", "registration_required")
    url: str | None = column("Where to register.", "registration_url")
    deadline: dt.datetime | None = column("Registration closes at this time.", "registration_deadline")
    capacity: int | None = column("Places available; null: unlimited or unknown.")


def venue_address(planner: Any, selected: Any, row: Any) -> Any:
    """SQL of `Venue.address`: the event's own address, else (with none) its space's."""
    selections = planner.children(selected, "Address")
    space = planner.alias(SPACE.table, "v")
    visible = ClauseAdapter(space).traverse(SPACE.visible(planner.ctx))
    of_space = (
        select(planner.present_object("Address", selections, space))
        .select_from(space)
        .where(space.c.id == row.c.venue_space_id, visible)
        .scalar_subquery()
    )
    none_of_its_own = Address.presence.absent_sql(row)
    own = planner.present_object("Address", selections, row)
    return case((and_(none_of_its_own, row.c.venue_space_id.is_not(None)), of_space), else_=own)


@strawberry.type(description="Where an event takes place: a named place, a space of the portal, or online.")
class Venue(FromRow):
    """The venue columns of the event's row."""

    row: strawberry.Private[Any]
    name: str | None = column("The venue's name, e.g. a member company's hall.", "venue_name")
    online_url: str | None = column("Where to join online, for online and hybrid events.")

    @computed(venue_address, description="The venue's address; for a portal space, the space's address.")
    async def address(self, info: InfoT) -> Address | None:
        own: Address | None = build(Address, self.row)
        if own is not None or self.row.venue_space_id is None:
            return own
        space = await load_by_id(info.context, SPACE, self.row.venue_space_id)
        return None if space is None else build(Address, space)


@strawberry.federation.type(keys=ENTITY_KEYS, description="An event: a meeting, workshop, trade fair, award...")
class Event(FromRow, Referable, Node):
    source = data.EVENT
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Readable unique key, used in the portal's URLs.")
    external_id: str | None = column(
        "The key in the office's own records (spreadsheets, the old CMS); imports match rows by it."
    )
    title: str = column("The event's title.")
    description: str | None = column("What the event is about.")
    kind: EventKind = column("The event's format.")
    status: EventStatus = column("Whether it takes place as announced.")
    starts_at: dt.datetime = column("When it starts (Europe/Berlin).")
    ends_at: dt.datetime | None = column("When it ends; null: not announced.")
    venue: Venue = embedded("Where it takes place.")
    registration: Registration = embedded("Whether and how to register.")
    created_at: dt.datetime = column("When the record was created (Europe/Berlin).")
    updated_at: dt.datetime = column("When the record was last changed (Europe/Berlin).")
    version: int = column("Grows with every change; an update names the version it read.")
    published: bool = column("False: only staff see it.")
    host = one(COMPANY, Company, "host_company_id", description="The company hosting the event.")

    @strawberry.field(description="An iCalendar file of this event (RFC 5545).")
    def ical_url(self, info: InfoT) -> str:
        return feed_url(info, event=self.slug)

    @strawberry.field(description="schema.org JSON-LD (Event) for partner pages.")
    async def json_ld(self, info: InfoT) -> JSON:
        host = await self.host(info)
        address = await self.venue.address(info)
        online = self.venue.online_url is not None
        place = None
        if self.venue.name or address is not None:
            place = jsonld.compact(
                {"@type": "Place", "name": self.venue.name, "address": jsonld.postal_address(address)}
            )
        locations = [
            p for p in (place, {"@type": "VirtualLocation", "url": self.venue.online_url} if online else None) if p
        ]
        mode = "Mixed" if online and place else ("Online" if online else "Offline")
        offers = None
        if self.registration.url or self.registration.required:
            offers = jsonld.compact(
                {
                    "@type": "Offer",
                    "url": self.registration.url,
                    "price": "0",
                    "priceCurrency": "EUR",
                    "availability": "https://schema.org/InStock",
                    "validThrough": jsonld.iso(self.registration.deadline),
                }
            )
        return jsonld.compact(
            {
                "@context": jsonld.CONTEXT,
                "@type": "Event",
                "name": self.title,
                "description": self.description,
                "startDate": jsonld.iso(self.starts_at),
                "endDate": jsonld.iso(self.ends_at),
                "eventStatus": jsonld.EVENT_STATUS[self.status.value],
                "eventAttendanceMode": f"https://schema.org/{mode}EventAttendanceMode",
                "location": locations[0] if len(locations) == 1 else locations,
                "organizer": None if host is None else jsonld.organization("Organization", host.name, url=host.website),
                "offers": offers,
                "url": f"{info.context.portal_url}/veranstaltungen/{self.slug}",
                "identifier": self.id,
            }
        )


@strawberry.input(description="Filters for events; all given conditions must hold.")
class EventFilter:
    starts_after: dt.datetime | None = strawberry.field(default=None, description="Starting at or after.")
    starts_before: dt.datetime | None = strawberry.field(default=None, description="Starting before.")
    kinds: list[EventKind] | None = strawberry.field(default=None, description="Events of any of these formats.")
    statuses: list[EventStatus] | None = strawberry.field(default=None, description="Events in any of these states.")
    network_id: strawberry.ID | None = strawberry.field(default=None, description="Events of this network.")
    company_id: strawberry.ID | None = strawberry.field(default=None, description="Hosted by this company.")
    project_id: strawberry.ID | None = strawberry.field(default=None, description="Events of this project.")
    ortsteil: OrtsteilKey | None = strawberry.field(default=None, description="Events at venues in this Ortsteil.")
    updated_since: dt.datetime | None = None
    search: str | None = None


@strawberry.enum(description="Fields to order events by.")
class EventOrderField(Enum):
    START_AT = "START_AT"
    TITLE = "TITLE"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class EventOrder:
    field: EventOrderField
    direction: Direction = Direction.ASC


def feed_url(info: InfoT, **params: str) -> str:
    """An absolute URL of the iCalendar feed (`web/feeds.py` serves it)."""
    request = info.context.request
    base = str(request.base_url).rstrip("/") if request is not None else ""
    slug = params.pop("event", None)
    path = f"/feeds/events/{slug}.ics" if slug else "/feeds/events.ics"
    return base + path + (f"?{urlencode(params)}" if params else "")


@strawberry.type
class NetworkCalendar:
    """Contributed to `Network` by the events domain."""

    @strawberry.field(description="An iCalendar feed of the network's upcoming events, to subscribe to.")
    def calendar_url(self: Network, info: InfoT) -> str:
        return feed_url(info, network=self.slug)


EVENTS = Listing(data.EVENT, Event, EventFilter, EventOrder, data.EventFilter, data.event_conditions)


def events_of(link: Link, owner: str) -> type:
    """The `events` field the events domain contributes to `owner` (Company, Network, ...)."""

    @strawberry.type(name=f"{owner}Events")
    class EventsExtension:
        events = many(EVENTS, link, description=f"Events of this {owner.lower()} ({link.name}).")

    return EventsExtension


@strawberry.type
class EventNetwork:
    """Contributed to `Event` when the networks domain is composed too."""

    network = one(NETWORK, Network, "network_id", description="The network organising the event.")


@strawberry.type
class EventProject:
    """Contributed to `Event` when the projects domain is composed too."""

    project = one(PROJECT, Project, "project_id", description="The project the event belongs to.")


@strawberry.type
class VenueSpace:
    """Contributed to `Venue` when the spaces domain is composed too."""

    space = one(SPACE, Space, "venue_space_id", description="The portal space the event is held in, if any.")


KIND_D, MONTH_D, NETWORK_D = data.EVENT_DIMENSIONS


@strawberry.type
class EventQuery:
    event = lookup(EVENTS, description="An event by global ID or by slug.", directives=FOR_NEWSLETTER)
    events = many(
        EVENTS, description="Events, filtered and ordered (by start time by default).", directives=FOR_NEWSLETTER
    )
    event_statistics = statistics_field(
        "Event",
        "events",
        EVENTS,
        [
            Grouping(KIND_D, EventKind, "The format"),
            Grouping(MONTH_D, str, "The month it starts in, Europe/Berlin, as YYYY-MM"),
            Grouping(
                NETWORK_D,
                strawberry.ID,
                "The global ID of the network that holds it",
                lambda pk: None if pk is None else strawberry.ID(encode_id("Network", pk)),
            ),
        ],
        description="How many events match the filter, in all and per group; visible as in `events`.",
        directives=FOR_NEWSLETTER,
    )


@strawberry.type
class EventSubscription:
    events = live_many(
        EVENTS,
        description="A live list: the events for these arguments now, then again whenever the answer to the "
        "selection would differ (an event added, changed, moved out of the page or removed); writes that do not "
        "touch what it reads send nothing.",
        directives=FOR_NEWSLETTER,
    )


@strawberry.input(description="A new event; `slug` is made from the title unless given.")
class EventCreateInput:
    title: str
    kind: EventKind
    starts_at: dt.datetime = strawberry.field(description="With offset, e.g. 2026-03-04T19:00:00+01:00.")
    status: EventStatus = EventStatus.SCHEDULED
    slug: str | None = None
    description: str | None = strawberry.UNSET
    ends_at: dt.datetime | None = strawberry.UNSET
    venue_name: str | None = strawberry.field(default=strawberry.UNSET, description="The venue's name.")
    venue_space_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A portal space as the venue (its address is used when the event has none).",
    )
    online_url: str | None = strawberry.field(default=strawberry.UNSET, description="Where to join online.")
    address: AddressInput | None = strawberry.field(default=strawberry.UNSET, description="The venue's address.")
    host_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="The hosting company.")
    network_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The network that holds the event."
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The project the event belongs to."
    )
    registration_required: bool = strawberry.field(default=False, description="Whether participants must register.")
    registration_url: str | None = strawberry.field(default=strawberry.UNSET, description="Where to register.")
    registration_deadline: dt.datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Registration closes at this time."
    )
    capacity: int | None = strawberry.field(
        default=strawberry.UNSET, description="Places available; null: unlimited or unknown."
    )
    published: bool = True


@strawberry.input(description="Changes to an event: only the fields given are changed.")
class EventUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    title: str | None = strawberry.UNSET
    kind: EventKind | None = strawberry.UNSET
    starts_at: dt.datetime | None = strawberry.UNSET
    status: EventStatus | None = strawberry.UNSET
    slug: str | None = None
    regenerate_slug: bool = False
    description: str | None = strawberry.UNSET
    ends_at: dt.datetime | None = strawberry.UNSET
    venue_name: str | None = strawberry.UNSET
    venue_space_id: strawberry.ID | None = strawberry.UNSET
    online_url: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    host_id: strawberry.ID | None = strawberry.UNSET
    network_id: strawberry.ID | None = strawberry.UNSET
    project_id: strawberry.ID | None = strawberry.UNSET
    registration_required: bool | None = strawberry.UNSET
    registration_url: str | None = strawberry.UNSET
    registration_deadline: dt.datetime | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET


EventMutations = standard_mutations(data.EVENT_EDIT, Event, EventCreateInput, EventUpdateInput)


DOMAIN = Domain(
    name="events",
    query=EventQuery,
    mutation=EventMutations,
    subscription=EventSubscription,
    nodes={"Event": NodeType(data.EVENT, Event)},
    types=[Venue],
    extensions=[
        Extension(Company, events_of(data.COMPANY_EVENTS, "Company")),
        Extension(Network, events_of(data.NETWORK_EVENTS, "Network")),
        Extension(Network, NetworkCalendar),
        Extension(Space, events_of(data.SPACE_EVENTS, "Space")),
        Extension(Project, events_of(data.PROJECT_EVENTS, "Project")),
        Extension(Event, EventNetwork, requires=("networks",)),
        Extension(Event, EventProject, requires=("projects",)),
        Extension(Venue, VenueSpace, requires=("spaces",)),
    ],
)
