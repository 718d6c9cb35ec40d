"""One declaration per field: a domain defined only in this test (its table created here) is
composed with the real ones, and its reads are planned into one statement that agrees with
the DataLoader path, with no edit anywhere else: the planner, the Strawberry types, the
resolvers and the unplanned-field list are all derived from the declarations."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import asyncpg
import pytest
import strawberry
from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, MetaData, Numeric, Table, Text

from db import models
from resolvers.base import Entity, Link
from resolvers.companies import COMPANY
from resolvers.pagination import Direction, Ordering, OrderKey
from schema.compose import ALL_DOMAINS, compose
from schema.core.domain import Domain, Extension, NodeType, definition
from schema.core.fields import FromRow, column, embedded, lookup, many, one
from schema.core.ids import encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.plans import Listing, plan_of
from schema.core.values import Money
from schema.domains.companies import Company
from settings import Settings
from tests.conftest import serve_api

# --- the whole domain: a table, an entity, a link, a type, a listing, root fields, an extension ---

metadata = MetaData()
offers = Table(
    "test_offers",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("slug", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("price", Numeric(12, 2)),
    Column("company_id", BigInteger, ForeignKey(models.table_of(models.Company).c.id)),
    Column("published", Boolean, nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
)
OFFER = Entity(
    name="Offer",
    table=offers,
    orderings={
        "TITLE": Ordering("TITLE", (OrderKey(offers.c.title), OrderKey(offers.c.id))),
        "PRICE": Ordering("PRICE", (OrderKey(offers.c.price, nullable=True, null_fill=0), OrderKey(offers.c.id))),
    },
    default_ordering="TITLE",
    default_direction=Direction.ASC,
)
COMPANY_OFFERS = Link(name="Company.offers", target=OFFER, parent_column=offers.c.company_id, source=offers)


@dataclass(frozen=True)
class OfferConditions:
    min_price: Decimal | None = None


@strawberry.federation.type(keys=ENTITY_KEYS, description="A test offer of a company.")
class Offer(FromRow, Referable, Node):
    source = OFFER
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Its slug.")
    title: str = column("Its title.")
    price: Money | None = embedded("Its price, if any.", "price")
    company = one(COMPANY, Company, "company_id", description="Who offers it.")


@strawberry.input(description="Filters for offers.")
class OfferFilter:
    min_price: Decimal | None = strawberry.field(default=None, description="At least this price.")


@strawberry.enum(description="What offers can be ordered by.")
class OfferOrderField(Enum):
    TITLE = "TITLE"
    PRICE = "PRICE"


@strawberry.input(description="How to order offers.")
class OfferOrder:
    field: OfferOrderField
    direction: Direction = Direction.ASC


def offer_conditions(conditions: OfferConditions | None) -> list[Any]:
    if conditions is None or conditions.min_price is None:
        return []
    return [offers.c.price >= conditions.min_price]


OFFERS = Listing(OFFER, Offer, OfferFilter, OfferOrder, OfferConditions, offer_conditions)


@strawberry.type
class OfferQuery:
    offer = lookup(OFFERS, description="An offer by ID or slug.")
    offers = many(OFFERS, description="Offers.")


@strawberry.type
class CompanyOffers:
    offers = many(OFFERS, COMPANY_OFFERS, description="The company's offers.")


OFFERS_DOMAIN = Domain(
    name="offers",
    query=OfferQuery,
    nodes={"Offer": NodeType(OFFER, Offer)},
    extensions=[Extension(Company, CompanyOffers)],
)

# --- the test -----------------------------------------------------------------------------------

QUERY = """query($first: Int!, $min: Decimal) {
  offers(first: $first, filter: { minPrice: $min }, orderBy: { field: PRICE, direction: DESC }) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename id slug title price { amount currency }
      company { name address { street } offers(first: 2) { totalCount nodes { title } } } } }
  }
  companies(first: 8, orderBy: { field: CREATED_AT }) { nodes { name offers(first: 3, orderBy: { field: TITLE, direction: DESC }) {
    edges { cursor node { title price { amount } } } pageInfo { hasNextPage } } } }
}"""


@pytest.fixture(scope="module")
def offers_database(edit_database_url: str) -> str:
    async def create() -> None:
        connection = await asyncpg.connect(edit_database_url)
        try:
            await connection.execute(
                "CREATE TABLE test_offers (id bigserial PRIMARY KEY, slug text NOT NULL UNIQUE, title text NOT NULL, "
                "price numeric(12, 2), company_id bigint REFERENCES companies (id), published boolean NOT NULL, "
                "deleted_at timestamptz)"
            )
            companies = await connection.fetch("SELECT id FROM companies ORDER BY id LIMIT 40")
            rows = [
                (f"angebot-{c['id']}-{n}", f"Angebot {n} von {c['id']}", None if n == 2 else Decimal(f"{n}{i}.50"),
                 c["id"], (i + n) % 7 != 0, dt.datetime.now(dt.UTC) if (i + n) % 11 == 0 else None)
                for i, c in enumerate(companies)
                for n in range(1 + i % 3)
            ]  # fmt: skip
            await connection.executemany(
                "INSERT INTO test_offers (slug, title, price, company_id, published, deleted_at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                rows,
            )
        finally:
            await connection.close()

    asyncio.run(create())
    return edit_database_url


@pytest.mark.parametrize("role", ["anonymous", "staff"])
async def test_a_domain_declared_in_a_test_is_planned_and_agrees_with_the_dataloader_path(
    offers_database: str, role_headers: dict[str, dict[str, str]], role: str
) -> None:
    schema = compose([*ALL_DOMAINS, OFFERS_DOMAIN])
    answers = {}
    for planner in (True, False):
        async for api in serve_api(offers_database, schema, Settings(response_cache=False, planner=planner)):
            for first, minimum in ((10, None), (30, "20.00"), (0, None)):
                data, statements = await api.count_statements(
                    QUERY, {"first": first, "min": minimum}, role_headers[role]
                )
                answers[(planner, first, minimum)] = data
                if role == "anonymous":  # (a key costs its own lookup)
                    assert statements == 1 if planner else 1 < statements <= 8  # never one per object
            offer_id = answers[(planner, 10, None)]["offers"]["edges"][0]["node"]["id"]
            node = "query($id: ID!) { node(id: $id) { ... on Offer { title company { name } } } }"
            found, statements = await api.count_statements(node, {"id": offer_id}, role_headers[role])
            assert found["node"]["company"]["name"]
            assert role != "anonymous" or (statements == 1) == planner
    for (planner, first, minimum), data in answers.items():
        if planner:
            assert data == answers[(False, first, minimum)]
    sample = answers[(True, 10, None)]["offers"]["edges"]
    assert sample and sample[0]["node"]["__typename"] == "Offer" and sample[0]["node"]["id"].startswith("T2ZmZXI6")
    assert any(company["offers"]["edges"] for company in answers[(True, 10, None)]["companies"]["nodes"])


def test_the_declarations_are_the_only_copy() -> None:
    """The test domain's fields carry their plans; composing it leaves the real types as declared."""
    schema = compose([*ALL_DOMAINS, OFFERS_DOMAIN])._schema
    offer = schema.get_type("Offer")
    assert {name for name, f in offer.fields.items() if plan_of(f) is None} == set()  # type: ignore[union-attr]
    assert "offers" in schema.get_type("Company").fields  # type: ignore[union-attr]
    assert "offers" not in [f.python_name for f in definition(Company).fields]  # nothing left behind
    assert encode_id("Offer", 1) == "T2ZmZXI6MQ=="
