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
from resolvers.companies import COMPANY
from resolvers.pagination import Direction
from schema.core import jsonld
from schema.core.context import InfoT
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import AddressInput, standard_mutations
from schema.core.fields import FromRow, column, embedded, lookup, many, one
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.plans import Listing
from schema.core.values import Address, Money
from schema.domains.companies import Company


@strawberry.federation.type(
    keys=ENTITY_KEYS, description="A commercial space listing relayed by the office: an offer or a request."
)
class Space(FromRow, Referable, Node):
    source = data.SPACE
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Readable unique key, used in the portal's URLs.")
    external_id: str | None = column(
        "The key in the office's own records (spreadsheets, the old CMS); imports match rows by it."
    )
    title: str = column("A short title of the listing.")
    listing_type: ListingType = column("Whether the space is offered or sought.")
    space_type: SpaceType = column("What the space is for.")
    transaction: Transaction = column("Rent, sale or hereditary lease.")
    area_sqm: Decimal = column("Area in m² (the smallest unit if divisible).")
    area_max_sqm: Decimal | None = column("Largest area in m² where divisible.")
    rent_per_sqm: Money | None = embedded("Net cold rent per m² and month; null: on request.", "rent_per_sqm")
    price: Money | None = embedded("Sale price; null: on request or not for sale.", "price")
    available_from: dt.date | None = column("From when it is available; null: now or unknown.")
    status: SpaceStatus = column("Whether the space is still to be had.")
    address: Address | None = embedded("Where the space is (for requests: the area sought).")
    description: str | None = column("The listing's text.")
    created_at: dt.datetime = column("When the record was created (Europe/Berlin).")
    updated_at: dt.datetime = column("When the record was last changed (Europe/Berlin).")
    version: int = column("Grows with every change; an update names the version it read.")
    published: bool = column("False: only staff see it.")
    provider = one(
        COMPANY, Company, "provider_id", description="The company offering or seeking the space, where public."
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


SPACES = Listing(data.SPACE, Space, SpaceFilter, SpaceOrder, data.SpaceFilter, data.space_conditions)


@strawberry.type
class CompanySpaces:
    """Contributed to `Company` by the spaces domain."""

    spaces = many(SPACES, data.COMPANY_SPACES, description="Spaces the company offers or seeks.")


@strawberry.type
class SpaceQuery:
    space = lookup(SPACES, description="A space listing by global ID or by slug.")
    spaces = many(SPACES, description="Space listings, filtered and ordered (newest first by default).")


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
