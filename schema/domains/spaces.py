"""The spaces domain: commercial space offers and requests, and `Company.spaces`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db.enums import ListingType, SpaceStatus, SpaceType, Transaction
from db.enums import Ortsteil as OrtsteilKey
from resolvers import spaces as data
from resolvers.base import list_query, load_by_id
from resolvers.companies import COMPANY
from resolvers.pagination import Direction, page_args
from schema.core import jsonld
from schema.core.connections import Connection, linked_connection, root_connection
from schema.core.context import InfoT, berlin_time, to_filter
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import AddressInput, standard_mutations
from schema.core.ids import encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable, find_one
from schema.core.values import Address, Money
from schema.domains.companies import Company


@strawberry.federation.type(
    keys=ENTITY_KEYS, description="A commercial space listing relayed by the office: an offer or a request."
)
class Space(Referable, Node):
    source = data.SPACE
    pk: strawberry.Private[int]
    provider_pk: strawberry.Private[int | None]
    slug: str
    title: str = strawberry.field(description="A short title of the listing.")
    listing_type: ListingType = strawberry.field(description="Whether the space is offered or sought.")
    space_type: SpaceType = strawberry.field(description="What the space is for.")
    transaction: Transaction = strawberry.field(description="Rent, sale or hereditary lease.")
    area_sqm: Decimal = strawberry.field(description="Area in m² (the smallest unit if divisible).")
    area_max_sqm: Decimal | None = strawberry.field(description="Largest area in m² where divisible.")
    rent_per_sqm: Money | None = strawberry.field(description="Net cold rent per m² and month; null: on request.")
    price: Money | None = strawberry.field(description="Sale price; null: on request or not for sale.")
    available_from: dt.date | None = strawberry.field(description="From when it is available; null: now or unknown.")
    status: SpaceStatus = strawberry.field(description="Whether the space is still to be had.")
    address: Address | None = strawberry.field(description="Where the space is (for requests: the area sought).")
    description: str | None = strawberry.field(description="The listing's text.")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(description="Grows with every change; an update names the version it read.")
    published: bool = strawberry.field(description="False: only staff see it.")

    @classmethod
    def from_row(cls, row: Any) -> Space:
        return cls(
            id=strawberry.ID(encode_id("Space", row.id)),
            pk=row.id,
            provider_pk=row.provider_id,
            slug=row.slug,
            title=row.title,
            listing_type=row.listing_type,
            space_type=row.space_type,
            transaction=row.transaction,
            area_sqm=row.area_sqm,
            area_max_sqm=row.area_max_sqm,
            rent_per_sqm=Money.of(row.rent_per_sqm),
            price=Money.of(row.price),
            available_from=row.available_from,
            status=row.status,
            address=Address.of(row),
            description=row.description,
            created_at=berlin_time(row.created_at),  # type: ignore[arg-type]
            updated_at=berlin_time(row.updated_at),  # type: ignore[arg-type]
            version=row.version,
            published=row.published,
        )

    @strawberry.field(description="schema.org JSON-LD (Offer, OfferForLease or Demand; floorSize in MTK).")
    async def json_ld(self, info: InfoT) -> JSON:
        provider = await self.provider(info)
        kind = (
            "Demand"
            if self.listing_type is ListingType.REQUEST
            else ("Offer" if self.transaction is Transaction.SALE else "OfferForLease")
        )
        place = jsonld.compact(
            {
                "@type": "Place",
                "name": self.title,
                "address": jsonld.postal_address(self.address),
                "geo": jsonld.geo(self.address),
                "floorSize": {"@type": "QuantitativeValue", "value": float(self.area_sqm), "unitCode": "MTK"},
            }
        )
        price = None
        if self.rent_per_sqm is not None:
            price = {
                "@type": "UnitPriceSpecification",
                "price": str(self.rent_per_sqm.amount),
                "priceCurrency": "EUR",
                "unitText": "per m² and month, net",
            }
        elif self.price is not None:
            price = {"@type": "PriceSpecification", "price": str(self.price.amount), "priceCurrency": "EUR"}
        return jsonld.compact(
            {
                "@context": jsonld.CONTEXT,
                "@type": kind,
                "name": self.title,
                "description": self.description,
                "itemOffered": place,
                "priceSpecification": price,
                "availabilityStarts": jsonld.iso(self.available_from),
                "offeredBy": None if provider is None else {"@type": "Organization", "name": provider.name},
                "identifier": self.id,
            }
        )

    @strawberry.field(description="The company offering or seeking the space, where public.")
    async def provider(self, info: InfoT) -> Company | None:
        if self.provider_pk is None:
            return None
        row = await load_by_id(info.context, COMPANY, self.provider_pk)
        return None if row is None else Company.from_row(row)


@strawberry.input(description="Filters for spaces; all given conditions must hold.")
class SpaceFilter:
    space_types: list[SpaceType] | None = strawberry.field(default=None, description="Spaces of any of these uses.")
    listing_type: ListingType | None = strawberry.field(default=None, description="Offers or requests only.")
    transaction: Transaction | None = strawberry.field(default=None, description="Only spaces changing hands this way.")
    min_area: Decimal | None = strawberry.field(default=None, description="At least this many m² (largest unit).")
    max_area: Decimal | None = strawberry.field(default=None, description="At most this many m² (smallest unit).")
    max_rent_per_sqm: Decimal | None = strawberry.field(
        default=None, description="At most this net cold rent per m² and month (EUR)."
    )
    ortsteil: OrtsteilKey | None = strawberry.field(default=None, description="Spaces in this Ortsteil.")
    available_by: dt.date | None = strawberry.field(default=None, description="Available on or before this date.")
    status: SpaceStatus | None = strawberry.field(default=None, description="Spaces in this state.")
    updated_since: dt.datetime | None = None
    search: str | None = None


@strawberry.enum(description="Fields to order spaces by.")
class SpaceOrderField(Enum):
    TITLE = "TITLE"
    AREA = "AREA"
    RENT = "RENT"
    AVAILABLE_FROM = "AVAILABLE_FROM"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class SpaceOrder:
    field: SpaceOrderField
    direction: Direction = Direction.ASC


def space_list(
    filter: SpaceFilter | None,
    order_by: SpaceOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Any:
    domain_filter = to_filter(filter, data.SpaceFilter)
    return list_query(
        data.SPACE,
        data.space_conditions(domain_filter),
        domain_filter,
        order_by.field.value if order_by else None,
        order_by.direction if order_by else None,
        page_args(first, after, last, before),
    )


@strawberry.type
class CompanySpaces:
    """Contributed to `Company` by the spaces domain."""

    @strawberry.field(description="Spaces the company offers or seeks.")
    async def spaces(
        self: Company,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: SpaceFilter | None = None,
        order_by: SpaceOrder | None = None,
    ) -> Connection[Space]:
        query = space_list(filter, order_by, first, after, last, before)
        return await linked_connection(info.context, data.COMPANY_SPACES, self.pk, query, Space.from_row)


@strawberry.type
class SpaceQuery:
    @strawberry.field(description="A space listing by global ID or by slug.")
    async def space(self, info: InfoT, id: strawberry.ID | None = None, slug: str | None = None) -> Space | None:
        return await find_one(info.context, data.SPACE, id, slug, Space.from_row)

    @strawberry.field(description="Space listings, filtered and ordered (newest first by default).")
    async def spaces(
        self,
        info: InfoT,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: SpaceFilter | None = None,
        order_by: SpaceOrder | None = None,
    ) -> Connection[Space]:
        query = space_list(filter, order_by, first, after, last, before)
        return await root_connection(info.context, data.SPACE, query, Space.from_row)


@strawberry.input(description="A new space listing; `slug` is made from the title unless given.")
class SpaceCreateInput:
    title: str
    listing_type: ListingType
    space_type: SpaceType
    transaction: Transaction
    area_sqm: Decimal
    status: SpaceStatus = SpaceStatus.AVAILABLE
    slug: str | None = None
    area_max_sqm: Decimal | None = strawberry.UNSET
    rent_per_sqm: Decimal | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    available_from: dt.date | None = strawberry.UNSET
    provider_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The company offering (or seeking) the space, if it is in the portal."
    )
    description: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    published: bool = True


@strawberry.input(description="Changes to a space listing: only the fields given are changed.")
class SpaceUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    title: str | None = strawberry.UNSET
    listing_type: ListingType | None = strawberry.UNSET
    space_type: SpaceType | None = strawberry.UNSET
    transaction: Transaction | None = strawberry.UNSET
    area_sqm: Decimal | None = strawberry.UNSET
    status: SpaceStatus | None = strawberry.UNSET
    slug: str | None = None
    regenerate_slug: bool = False
    area_max_sqm: Decimal | None = strawberry.UNSET
    rent_per_sqm: Decimal | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    available_from: dt.date | None = strawberry.UNSET
    provider_id: strawberry.ID | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET


SpaceMutations = standard_mutations(data.SPACE_EDIT, Space, SpaceCreateInput, SpaceUpdateInput)


DOMAIN = Domain(
    name="spaces",
    query=SpaceQuery,
    mutation=SpaceMutations,
    nodes={"Space": NodeType(data.SPACE, Space)},
    extensions=[Extension(Company, CompanySpaces)],
)
