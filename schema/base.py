"""Shared GraphQL pieces: Node, connections, Money, Address, reference types, the context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

import strawberry
from starlette.requests import Request
from strawberry.types import Info

from db.enums import (
    EmployeeRange,
    EventKind,
    EventStatus,
    LegalForm,
    ListingType,
    MembershipRole,
    NetworkKind,
    ProjectStatus,
    SpaceStatus,
    SpaceType,
    Transaction,
)
from db.enums import Ortsteil as OrtsteilKey
from resolvers.base import (
    DataContext,
    Entity,
    Link,
    ListQuery,
    count_linked,
    count_root,
    fetch_root_page,
    load_by_id,
    load_by_slug,
    load_linked_page,
)
from resolvers.errors import UserInputError
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Direction, Page
from schema.ids import decode_id, encode_id

BERLIN = ZoneInfo("Europe/Berlin")


def expose(enum: type[Enum], description: str, name: str | None = None, **values: str) -> None:
    """A Python enum of db/ as a GraphQL enum, with a description of every value (GraphiQL shows them)."""
    strawberry.enum(enum, name=name, description=description)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values.get(value.name, value.description)


# Enums: the Python enums of db/ exposed under their GraphQL names.
expose(
    LegalForm,
    "Legal form of a company.",
    GMBH="Gesellschaft mit beschränkter Haftung (GmbH).",
    UG="Unternehmergesellschaft (haftungsbeschränkt).",
    AG="Aktiengesellschaft.",
    GMBH_CO_KG="GmbH & Co. KG.",
    KG="Kommanditgesellschaft.",
    OHG="Offene Handelsgesellschaft.",
    GBR="Gesellschaft bürgerlichen Rechts.",
    EK="Eingetragene Kauffrau / eingetragener Kaufmann (e. K.).",
    EV="Eingetragener Verein (e. V.).",
    EG="Eingetragene Genossenschaft (eG).",
    SOLE_PROPRIETOR="Sole proprietor (Einzelunternehmen); the name can be personal data.",
    PUBLIC_BODY="A public body, e.g. a district office.",
    OTHER="Another legal form.",
)
expose(
    EmployeeRange,
    "Number of employees (EU SME classes).",
    RANGE_1_9="1 to 9 employees (micro enterprise).",
    RANGE_10_49="10 to 49 employees (small enterprise).",
    RANGE_50_249="50 to 249 employees (medium-sized enterprise).",
    RANGE_250_PLUS="250 employees or more (large enterprise).",
)
expose(
    NetworkKind,
    "What kind of business association a network is.",
    ASSOCIATION="A registered association (e. V.) of companies.",
    NETWORK="An informal network of companies.",
    CLUSTER="A regional cluster of an industry, e.g. the health economy.",
)
expose(
    MembershipRole,
    "A company's role in a network.",
    FOUNDING_MEMBER="One of the companies that founded the network.",
    BOARD="On the network's board.",
    MEMBER="A member.",
)
expose(ListingType, "Whether a space is offered or sought.", OFFER="Space on offer.", REQUEST="Space sought.")
expose(
    SpaceType,
    "Use of a commercial space.",
    OFFICE="Office space.",
    RETAIL="A shop or retail space.",
    WAREHOUSE="Storage or warehouse space.",
    WORKSHOP="A workshop (Werkstatt).",
    PRODUCTION="Production space.",
    LAB="A laboratory.",
    GASTRONOMY="Space for a restaurant, café or bar.",
    COWORKING="Coworking desks or rooms.",
    PLOT="A plot of land (Grundstück).",
)
expose(
    Transaction,
    "How a space changes hands.",
    RENT="To rent.",
    SALE="To buy.",
    LEASEHOLD="On hereditary lease (Erbbaurecht), as for state-owned plots.",
)
expose(
    SpaceStatus,
    "Whether a listed space is still to be had.",
    AVAILABLE="Still to be had.",
    RESERVED="Reserved for someone.",
    TAKEN="Let or sold.",
)
expose(
    ProjectStatus,
    "Stage of a funded project.",
    PLANNED="Not started yet.",
    RUNNING="Under way.",
    COMPLETED="Finished.",
)
expose(
    EventKind,
    "Format of an event.",
    MEMBER_MEETING="A meeting of the portal's members (UPL-Treffen).",
    NETWORK_MEETING="A meeting of a network, e.g. a company meeting (Unternehmenstreffen).",
    WORKSHOP="A workshop or working group.",
    TRADE_FAIR="A trade fair, e.g. the WirtschaftsPartnerTag.",
    INFO_SESSION="An information session.",
    AWARD="An award ceremony, e.g. the company of the year.",
    OTHER="Another format.",
)
expose(
    EventStatus,
    "Whether an event takes place as announced.",
    SCHEDULED="Takes place as announced.",
    CANCELLED="Will not take place.",
    POSTPONED="Moved to a date not yet fixed.",
)
expose(
    OrtsteilKey,
    "Lichtenberg's ten Ortsteile.",
    name="OrtsteilKey",
    **{member.name: f"{member.value}." for member in OrtsteilKey},
)
expose(Direction, "Sort direction.", name="OrderDirection", ASC="Ascending (A–Z, oldest first).", DESC="Descending.")


@dataclass
class Context(DataContext):
    """Per-request context: data access (engine, DataLoaders) plus the HTTP request."""

    request: Request | None = None
    operation_type: Any = None
    """Set by `RootFieldPolicy`: the operation's type (query or mutation)."""
    root_fields: frozenset[str] = frozenset()
    """Set by `RootFieldPolicy`: the root fields the operation selects."""
    portal_url: str = "https://www.unternehmen-in-lichtenberg.de"
    """The portal's own pages (event links in JSON-LD), from the settings."""
    personal_data: bool = False
    """Set by `PersonalData` when a response holds contact persons (then `private, no-store`)."""


InfoT = Info[Context, None]


def data(info: InfoT) -> Context:
    return info.context


def berlin_time(value: dt.datetime | None) -> dt.datetime | None:
    """Times are stored as timestamptz and shown in Europe/Berlin, with the offset."""
    return None if value is None else value.astimezone(BERLIN)


def to_filter(source: Any, target: type, **overrides: Any) -> Any:
    """Copy a GraphQL input's fields into the data layer's filter dataclass (lists → tuples)."""
    if source is None:
        return None
    assert is_dataclass(source)
    values: dict[str, Any] = {}
    for f in fields(target):
        value = overrides[f.name] if f.name in overrides else getattr(source, f.name, None)
        values[f.name] = tuple(value) if isinstance(value, list) else value
    return target(**values)


# --- Node ---------------------------------------------------------------------------------


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID.")


ENTITY_KEYS = ["id", "slug"]
"""The `@key`s of every entity type: its global ID, and its unique slug."""


class Referable:
    """Resolves a federation gateway's representations of an entity type.

    A gateway sends `_entities(representations: [{__typename: "Company", id: "..."}, ...])`;
    Strawberry calls `resolve_reference` once per representation. All of them go through the
    request's id/slug loader, so any number of representations of one type cost one SQL
    statement. A key that is unknown, unpublished, malformed or of another type resolves to
    null, never to an error for the whole batch.
    """

    source: ClassVar[Entity]

    @classmethod
    def from_row(cls, row: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_reference(
        cls, info: InfoT, id: strawberry.ID | None = None, slug: str | None = None, **_fields: Any
    ) -> Any | None:
        if id is not None:
            key = reference_pk(id, cls.source.name)
            row = None if key is None else await load_by_id(info.context, cls.source, key)
        elif isinstance(slug, str):
            row = await load_by_slug(info.context, cls.source, slug)
        else:
            raise UserInputError(f"A {cls.source.name} representation needs an `id` or a `slug`.")
        return None if row is None else cls.from_row(row)


def reference_pk(global_id: Any, type_name: str) -> int | None:
    """The primary key in a representation's `id`, or None when it is not a `type_name` ID of ours."""
    if not isinstance(global_id, str):
        return None
    try:
        found, pk = decode_id(global_id)
    except UserInputError:
        return None
    return pk if found == type_name else None


# --- Money, places ---------------------------------------------------------------------------


@strawberry.federation.type(shareable=True, description="An amount of money.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, exact to the cent.")
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency code; always EUR here.")

    @staticmethod
    def of(amount: Decimal | None) -> Money | None:
        return None if amount is None else Money(amount=amount)


@strawberry.federation.type(shareable=True, description="One of Lichtenberg's ten Ortsteile (localities).")
class Ortsteil:
    key: OrtsteilKey = strawberry.field(description="The Ortsteil as an enum value, for filters.")
    name: str = strawberry.field(description="Its name as written, e.g. Alt-Hohenschönhausen.")

    @staticmethod
    def of(key: str | None) -> Ortsteil | None:
        if key is None:
            return None
        member = OrtsteilKey[key]
        return Ortsteil(key=member, name=member.value)


@strawberry.federation.type(shareable=True, description="A point in WGS 84.")
class GeoPoint:
    latitude: float = strawberry.field(description="Latitude in degrees (WGS 84).")
    longitude: float = strawberry.field(description="Longitude in degrees (WGS 84).")


@strawberry.federation.type(shareable=True, description="A postal address in (or near) Lichtenberg.")
class Address:
    street: str | None = strawberry.field(description="Street and house number.")
    postal_code: str | None = strawberry.field(description="Five-digit German postal code.")
    city: str | None = strawberry.field(description="City; Berlin for addresses in the district.")
    ortsteil: Ortsteil | None = strawberry.field(
        description="The Ortsteil, stored explicitly (a postal code can span several)."
    )
    location: GeoPoint | None = strawberry.field(description="Where it is on a map, when known.")

    @staticmethod
    def of(row: Any) -> Address | None:
        if row.street is None and row.postal_code is None and row.ortsteil_key is None:
            return None
        location = None
        if row.latitude is not None and row.longitude is not None:
            location = GeoPoint(latitude=row.latitude, longitude=row.longitude)
        return Address(
            street=row.street,
            postal_code=row.postal_code,
            city=row.city,
            ortsteil=Ortsteil.of(row.ortsteil_key),
            location=location,
        )


@strawberry.type(
    description="A contact person. Name, e-mail and phone are personal data: without recorded publication "
    "consent only staff see the contact (also through `node(id:)`)."
)
class ContactPerson(Node):
    name: str = strawberry.field(description="Full name (personal data).")
    role: str | None = strawberry.field(description="Function, e.g. managing director or press contact.")
    email: str | None = strawberry.field(description="E-mail address (personal data).")
    phone: str | None = strawberry.field(description="Phone number (personal data).")
    publication_consent: bool = strawberry.field(
        description="True when the person's consent to publication is on record: only then may outsiders see them."
    )
    version: int

    @staticmethod
    def from_row(row: Any) -> ContactPerson:
        return ContactPerson(
            id=strawberry.ID(encode_id("ContactPerson", row.id)),
            name=row.name,
            role=row.role,
            email=row.email,
            phone=row.phone,
            publication_consent=row.publication_consent,
            version=row.version,
        )


# --- connections ------------------------------------------------------------------------------

FIRST = f"Page forwards: at most this many items (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
AFTER = "Page forwards: the items after this cursor (`pageInfo.endCursor` or an edge's `cursor`)."
LAST = f"Page backwards: at most this many items (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
BEFORE = "Page backwards: the items before this cursor (`pageInfo.startCursor` or an edge's `cursor`)."

NodeT = TypeVar("NodeT")


@strawberry.federation.type(shareable=True, description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page (paging forwards).")
    has_previous_page: bool = strawberry.field(
        description="Whether items precede this page (paging backwards; forwards: whether a cursor was given)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item of this page: pass it as `after` for the next one."
    )

    @staticmethod
    def of(page: Page) -> PageInfo:
        return PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class ConnectionBase:
    """Fields every connection has; `totalCount` runs its COUNT only when selected."""

    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items matching the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count_total()


@strawberry.type
class Connection(ConnectionBase, Generic[NodeT]):
    edges: list[Edge[NodeT]]

    @strawberry.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection(page: Page, to_node: Callable[[Any], Any], count_total: Callable[[], Awaitable[int]]) -> Connection[Any]:
    return Connection(
        edges=[Edge(cursor=c, node=to_node(r)) for r, c in zip(page.rows, page.cursors, strict=True)],
        page_info=PageInfo.of(page),
        count_total=count_total,
    )


def slug_or_id(global_id: str | None, slug: str | None) -> None:
    if (global_id is None) == (slug is None):
        raise UserInputError("Pass exactly one of `id` or `slug`.")


async def linked_connection(
    ctx: DataContext, link: Link, parent_pk: int, query: ListQuery, to_node: Callable[[Any], Any]
) -> Connection[Any]:
    """A nested connection: its page and its count are batched over all sibling parents."""
    page = await load_linked_page(ctx, link, parent_pk, query)
    return connection(page, to_node, lambda: count_linked(ctx, link, parent_pk, query))


async def root_connection(
    ctx: DataContext, entity: Entity, query: ListQuery, to_node: Callable[[Any], Any]
) -> Connection[Any]:
    page = await fetch_root_page(ctx, entity, query)
    return connection(page, to_node, lambda: count_root(ctx, entity, query))


async def find_one(
    ctx: DataContext, entity: Entity, global_id: str | None, slug: str | None, to_node: Callable[[Any], Any]
) -> Any | None:
    """`company(id:, slug:)` and its siblings: exactly one of the two, null when not visible."""
    slug_or_id(global_id, slug)
    if global_id is not None:
        row = await load_by_id(ctx, entity, decode_id(global_id, entity.name)[1])
    else:
        row = await load_by_slug(ctx, entity, slug or "")
    return None if row is None else to_node(row)
