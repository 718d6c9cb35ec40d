"""Shared GraphQL pieces: Node, connections, Money, Address, reference types, the context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
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
from resolvers.pagination import Direction, Page
from schema.ids import decode_id, encode_id

BERLIN = ZoneInfo("Europe/Berlin")

# Enums: the Python enums of db/ exposed under their GraphQL names.
strawberry.enum(LegalForm, description="Legal form of a company.")
strawberry.enum(EmployeeRange, description="Number of employees (EU SME classes).")
strawberry.enum(NetworkKind, description="What kind of business association a network is.")
strawberry.enum(MembershipRole, description="A company's role in a network.")
strawberry.enum(ListingType, description="Whether a space is offered or sought.")
strawberry.enum(SpaceType, description="Use of a commercial space.")
strawberry.enum(Transaction, description="How a space changes hands.")
strawberry.enum(SpaceStatus, description="Whether a listed space is still to be had.")
strawberry.enum(ProjectStatus, description="Stage of a funded project.")
strawberry.enum(EventKind, description="Format of an event.")
strawberry.enum(EventStatus, description="Whether an event takes place as announced.")
strawberry.enum(OrtsteilKey, name="OrtsteilKey", description="Lichtenberg's ten Ortsteile.")
strawberry.enum(Direction, name="OrderDirection", description="Sort direction.")


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
    amount: Decimal
    currency: str = "EUR"

    @staticmethod
    def of(amount: Decimal | None) -> Money | None:
        return None if amount is None else Money(amount=amount)


@strawberry.federation.type(shareable=True, description="One of Lichtenberg's ten Ortsteile (localities).")
class Ortsteil:
    key: OrtsteilKey
    name: str

    @staticmethod
    def of(key: str | None) -> Ortsteil | None:
        if key is None:
            return None
        member = OrtsteilKey[key]
        return Ortsteil(key=member, name=member.value)


@strawberry.federation.type(shareable=True, description="A point in WGS 84.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.federation.type(shareable=True, description="A postal address in (or near) Lichtenberg.")
class Address:
    street: str | None
    postal_code: str | None
    city: str | None
    ortsteil: Ortsteil | None
    location: GeoPoint | None

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
    "consent only staff see the contact."
)
class ContactPerson:
    id: strawberry.ID
    name: str
    role: str | None
    email: str | None
    phone: str | None
    publication_consent: bool
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

NodeT = TypeVar("NodeT")


@strawberry.federation.type(shareable=True, description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

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
