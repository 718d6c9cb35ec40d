"""Enumerations of the portal's data model, shared by the database layer and the GraphQL schema.

Values are stored as text with CHECK constraints (not PostgreSQL enum types) so that adding a
value is a plain migration and downgrades stay simple.
"""

from enum import Enum


class LegalForm(Enum):
    GMBH = "GMBH"
    UG = "UG"
    AG = "AG"
    GMBH_CO_KG = "GMBH_CO_KG"
    KG = "KG"
    OHG = "OHG"
    GBR = "GBR"
    EK = "EK"
    EV = "EV"
    EG = "EG"
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR"
    PUBLIC_BODY = "PUBLIC_BODY"
    OTHER = "OTHER"


class EmployeeRange(Enum):
    """Head-count classes as used by the EU's SME definition."""

    RANGE_1_9 = "RANGE_1_9"
    RANGE_10_49 = "RANGE_10_49"
    RANGE_50_249 = "RANGE_50_249"
    RANGE_250_PLUS = "RANGE_250_PLUS"


class NetworkKind(Enum):
    ASSOCIATION = "ASSOCIATION"
    NETWORK = "NETWORK"
    CLUSTER = "CLUSTER"


class MembershipRole(Enum):
    FOUNDING_MEMBER = "FOUNDING_MEMBER"
    BOARD = "BOARD"
    MEMBER = "MEMBER"


class ListingType(Enum):
    OFFER = "OFFER"
    REQUEST = "REQUEST"


class SpaceType(Enum):
    OFFICE = "OFFICE"
    RETAIL = "RETAIL"
    WAREHOUSE = "WAREHOUSE"
    WORKSHOP = "WORKSHOP"
    PRODUCTION = "PRODUCTION"
    LAB = "LAB"
    GASTRONOMY = "GASTRONOMY"
    COWORKING = "COWORKING"
    PLOT = "PLOT"


class Transaction(Enum):
    RENT = "RENT"
    SALE = "SALE"
    LEASEHOLD = "LEASEHOLD"


class SpaceStatus(Enum):
    AVAILABLE = "AVAILABLE"
    RESERVED = "RESERVED"
    TAKEN = "TAKEN"


class ProjectStatus(Enum):
    PLANNED = "PLANNED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"


class EventKind(Enum):
    MEMBER_MEETING = "MEMBER_MEETING"
    NETWORK_MEETING = "NETWORK_MEETING"
    WORKSHOP = "WORKSHOP"
    TRADE_FAIR = "TRADE_FAIR"
    INFO_SESSION = "INFO_SESSION"
    AWARD = "AWARD"
    OTHER = "OTHER"


class EventStatus(Enum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
    POSTPONED = "POSTPONED"


class Ortsteil(Enum):
    """Lichtenberg's ten Ortsteile (localities); the value is the display name."""

    ALT_HOHENSCHOENHAUSEN = "Alt-Hohenschönhausen"
    FALKENBERG = "Falkenberg"
    FENNPFUHL = "Fennpfuhl"
    FRIEDRICHSFELDE = "Friedrichsfelde"
    KARLSHORST = "Karlshorst"
    LICHTENBERG = "Lichtenberg"
    MALCHOW = "Malchow"
    NEU_HOHENSCHOENHAUSEN = "Neu-Hohenschönhausen"
    RUMMELSBURG = "Rummelsburg"
    WARTENBERG = "Wartenberg"


class Role(Enum):
    """Who is calling: decides what may be read and written (see the README's role table)."""

    ANONYMOUS = "ANONYMOUS"
    PARTNER = "PARTNER"
    NEWSLETTER = "NEWSLETTER"
    STAFF = "STAFF"
    ADMIN = "ADMIN"


class AccountRole(Enum):
    """Roles a person's account can hold (keys may also be PARTNER or NEWSLETTER)."""

    STAFF = "STAFF"
    ADMIN = "ADMIN"
