"""Value types shared by the domains (Money, places, contact persons) and the enums of db/."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import ClassVar

import strawberry
from sqlalchemy import case

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
from resolvers.pagination import Direction
from schema.core.fields import FromRow, column, constant, embedded, expression, source
from schema.core.nodes import Node
from schema.core.plans import Presence


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


@strawberry.federation.type(shareable=True, description="An amount of money.")
class Money(FromRow):
    """Made of one numeric column (`embedded(column=...)`); null when the column is."""

    presence: ClassVar[Presence] = Presence()
    amount: Decimal = source("The amount, exact to the cent.")
    currency: str = constant("ISO 4217 currency code; always EUR here.", "EUR")


ORTSTEIL_NAMES = {member.name: member.value for member in OrtsteilKey}


@strawberry.federation.type(shareable=True, description="One of Lichtenberg's ten Ortsteile (localities).")
class Ortsteil(FromRow):
    presence: ClassVar[Presence] = Presence(any_of=("ortsteil_key",))
    key: OrtsteilKey = column("The Ortsteil as an enum value, for filters.", "ortsteil_key", OrtsteilKey.__getitem__)
    name: str = expression(
        "Its name as written, e.g. Alt-Hohenschönhausen.",
        sql=lambda row: case(ORTSTEIL_NAMES, value=row.c.ortsteil_key),
        python=lambda row: OrtsteilKey[row.ortsteil_key].value,
    )


@strawberry.federation.type(shareable=True, description="A point in WGS 84.")
class GeoPoint(FromRow):
    presence: ClassVar[Presence] = Presence(all_of=("latitude", "longitude"))
    latitude: float = column("Latitude in degrees (WGS 84).")
    longitude: float = column("Longitude in degrees (WGS 84).")


@strawberry.federation.type(shareable=True, description="A postal address in (or near) Lichtenberg.")
class Address(FromRow):
    """The address columns of the row it is embedded in (companies, spaces, events)."""

    presence: ClassVar[Presence] = Presence(any_of=("street", "postal_code", "ortsteil_key"))
    street: str | None = column("Street and house number.")
    postal_code: str | None = column("Five-digit German postal code.")
    city: str | None = column("City; Berlin for addresses in the district.")
    ortsteil: Ortsteil | None = embedded("The Ortsteil, stored explicitly (a postal code can span several).")
    location: GeoPoint | None = embedded("Where it is on a map, when known.")


@strawberry.type(
    description="A contact person. Name, e-mail and phone are personal data: without recorded publication "
    "consent only staff see the contact (also through `node(id:)`)."
)
class ContactPerson(FromRow, Node):
    name: str = column("Full name (personal data).")
    role: str | None = column("Function, e.g. managing director or press contact.")
    email: str | None = column("E-mail address (personal data).")
    phone: str | None = column("Phone number (personal data).")
    publication_consent: bool = column(
        "True when the person's consent to publication is on record: only then may outsiders see them."
    )
    version: int = column("Grows with every change; send it back with an update to detect conflicting edits.")
