"""The files the office exchanges, declared once per type: which columns, in which order, under
which English and German names, of which kind, and how each maps to the database.

The declarations drive everything in this package: the import (headers matched, cells read,
rows checked by the same `EditSpec` as the mutations), the export (one streamed SELECT), the
templates (`upl import --template`) and the open-data package's Table Schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from db import enums, models
from resolvers import companies, events, networks, projects, spaces
from resolvers.base import Entity
from resolvers.contacts import CONTACT
from resolvers.editing import EditSpec
from transfer import values
from transfer.values import Kind


@dataclass(frozen=True)
class Reference:
    """The column holds the primary key of a row of `entity`; files name that row by its slug
    (or its external key, on import)."""

    entity: Entity


@dataclass(frozen=True)
class LinkSet:
    """A set of links kept in a link table, in one cell: the keys of the other side (funding
    programme codes, partner companies' slugs)."""

    table: Table
    owner_column: str
    other_column: str
    other: Entity | None = None
    """The linked entity when files name it by slug; None: the key itself is stored (codes)."""
    key_table: Table | None = None
    """Where the stored keys must exist (the funding programmes)."""


@dataclass(frozen=True)
class Field:
    key: str
    """The English column name, as the GraphQL field is called (camelCase)."""
    german: str
    """The German column name, what the office's spreadsheets call it."""
    description: str
    kind: Kind = values.TEXT
    column: str | None = None
    """The table's column (default: the key in snake_case); links have none."""
    reference: Reference | None = None
    links: LinkSet | None = None

    @property
    def db_column(self) -> str:
        return self.column or re.sub(r"(?<!^)(?=[A-Z])", "_", self.key).lower()


@dataclass(frozen=True)
class Sheet:
    """One importable and exportable type."""

    name: str
    german: str
    title: str
    entity: Entity
    fields: tuple[Field, ...]
    edit: EditSpec | None = None
    """The mutations' checks; None for a link sheet (memberships), keyed by `key_fields`."""
    key_fields: tuple[str, ...] = ("externalId", "slug")
    geo: bool = False
    """Rows with coordinates can be written as GeoJSON."""
    order_by: tuple[str, ...] = ("slug",)
    importable: bool = True
    link: Table | None = None
    """The link table a link sheet's rows are (memberships); `entity` is the owner side."""

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    @property
    def table(self) -> Table:
        return self.link if self.link is not None else self.entity.table


def _keys(german_title: str) -> tuple[Field, ...]:
    return (
        Field("externalId", "Externe ID", f"The {german_title}'s key in the office's own records (matched on import)."),
        Field("slug", "Kurzname", "Readable unique key, used in the portal's URLs (matched on import)."),
    )


ADDRESS = (
    Field("street", "Straße", "Street and house number."),
    Field("postalCode", "PLZ", "German postal code (five digits)."),
    Field("city", "Ort", "City."),
    Field("ortsteil", "Ortsteil", "Ortsteil of Lichtenberg, by name.", values.ORTSTEIL, column="ortsteil_key"),
    Field("latitude", "Breitengrad", "Latitude (WGS 84).", values.COORDINATE),
    Field("longitude", "Längengrad", "Longitude (WGS 84).", values.COORDINATE),
)
PUBLISHED = Field("published", "Veröffentlicht", "False: only staff see it.", values.BOOLEAN)


def _choice(enum: type[Any]) -> Kind:
    return values.Choice(enum)


COMPANY = companies.COMPANY
NETWORK = networks.NETWORK
PROJECT = projects.PROJECT
SPACE = spaces.SPACE
EVENT = events.EVENT

COMPANIES = Sheet(
    "companies",
    "Unternehmen",
    "Companies and other organisations in Lichtenberg",
    COMPANY,
    (
        *_keys("company"),
        Field("name", "Name", "The company's name."),
        Field("legalForm", "Rechtsform", "Legal form.", _choice(enums.LegalForm)),
        Field("description", "Beschreibung", "What the company does."),
        Field("industryCode", "WZ-Code", 'WZ 2008 class, e.g. "62.01".'),
        Field("website", "Webseite", "Website (http or https)."),
        Field("email", "E-Mail", "Functional e-mail address of the company."),
        Field("phone", "Telefon", "Public phone number."),
        Field("employeeRange", "Beschäftigte", "Number of employees (EU SME class).", _choice(enums.EmployeeRange)),
        Field("foundedYear", "Gründungsjahr", "Year of foundation.", values.INTEGER),
        *ADDRESS,
        PUBLISHED,
    ),
    edit=companies.COMPANY_EDIT,
    geo=True,
)

PROJECTS = Sheet(
    "projects",
    "Projekte",
    "Funded economic-development projects",
    PROJECT,
    (
        *_keys("project"),
        Field("title", "Titel", "The project's title."),
        Field("summary", "Zusammenfassung", "What the project does."),
        Field("status", "Status", "Planned, running or completed.", _choice(enums.ProjectStatus)),
        Field("startsOn", "Beginn", "First day.", values.DATE),
        Field("endsOn", "Ende", "Last day.", values.DATE),
        Field("totalVolume", "Gesamtvolumen", "Total volume in EUR.", values.NUMBER),
        Field("fundingAmount", "Fördersumme", "Funding in EUR.", values.NUMBER),
        Field(
            "fundingPrograms",
            "Förderprogramme",
            "Codes of the funding programmes, comma-separated.",
            values.NAMES,
            links=LinkSet(
                models.table_of(models.ProjectFundingProgram),
                "project_id",
                "program_code",
                key_table=models.table_of(models.FundingProgram),
            ),
        ),
        Field(
            "partners",
            "Partner",
            "Slugs of the partner companies, comma-separated.",
            values.NAMES,
            links=LinkSet(models.table_of(models.ProjectPartner), "project_id", "company_id", other=COMPANY),
        ),
        PUBLISHED,
    ),
    edit=projects.PROJECT_EDIT,
)

NETWORKS = Sheet(
    "networks",
    "Netzwerke",
    "Business networks and associations",
    NETWORK,
    (
        *_keys("network"),
        Field("name", "Name", "The network's name."),
        Field("kind", "Art", "Association, network or cluster.", _choice(enums.NetworkKind)),
        Field("description", "Beschreibung", "What the network does."),
        Field("foundedOn", "Gegründet am", "Day of foundation.", values.DATE),
        Field("website", "Webseite", "Website (http or https)."),
        Field("email", "E-Mail", "Functional e-mail address."),
        Field(
            "originProject",
            "Ursprungsprojekt",
            "Slug of the project the network came out of.",
            column="origin_project_id",
            reference=Reference(PROJECT),
        ),
        Field(
            "projects",
            "Projekte",
            "Slugs of the projects the network takes part in, comma-separated.",
            values.NAMES,
            links=LinkSet(models.table_of(models.ProjectNetwork), "network_id", "project_id", other=PROJECT),
        ),
        PUBLISHED,
    ),
    edit=networks.NETWORK_EDIT,
)

MEMBERSHIPS = Sheet(
    "memberships",
    "Mitgliedschaften",
    "Memberships of companies in networks",
    NETWORK,
    (
        Field("network", "Netzwerk", "Slug of the network.", column="network_id", reference=Reference(NETWORK)),
        Field(
            "company", "Unternehmen", "Slug of the member company.", column="company_id", reference=Reference(COMPANY)
        ),
        Field("role", "Rolle", "Founding member, board or member.", _choice(enums.MembershipRole)),
        Field("memberSince", "Mitglied seit", "First day of membership.", values.DATE),
    ),
    key_fields=("network", "company"),
    order_by=("network", "company"),
    link=models.table_of(models.NetworkMembership),
)

SPACES = Sheet(
    "spaces",
    "Gewerbeflächen",
    "Commercial space offers and requests",
    SPACE,
    (
        *_keys("space"),
        Field("title", "Titel", "The listing's title."),
        Field("listingType", "Angebot/Gesuch", "Offer or request.", _choice(enums.ListingType)),
        Field("spaceType", "Flächenart", "Office, retail, warehouse, ...", _choice(enums.SpaceType)),
        Field("transaction", "Vertragsart", "Rent, sale or leasehold.", _choice(enums.Transaction)),
        Field("areaSqm", "Fläche (m²)", "Area in square metres (the minimum of a range).", values.NUMBER),
        Field("areaMaxSqm", "Fläche bis (m²)", "Largest area of a range.", values.NUMBER),
        Field("rentPerSqm", "Miete pro m²", "Rent per square metre and month in EUR.", values.NUMBER),
        Field("price", "Kaufpreis", "Price in EUR.", values.NUMBER),
        Field("availableFrom", "Verfügbar ab", "First day it is available.", values.DATE),
        Field("status", "Status", "Available, reserved or taken.", _choice(enums.SpaceStatus)),
        Field(
            "provider", "Anbieter", "Slug of the providing company.", column="provider_id", reference=Reference(COMPANY)
        ),
        Field("description", "Beschreibung", "Description of the space."),
        *ADDRESS,
        PUBLISHED,
    ),
    edit=spaces.SPACE_EDIT,
    geo=True,
)

EVENTS = Sheet(
    "events",
    "Veranstaltungen",
    "Events of the portal, its networks and projects",
    EVENT,
    (
        *_keys("event"),
        Field("title", "Titel", "The event's title."),
        Field("description", "Beschreibung", "What happens."),
        Field("kind", "Art", "Member meeting, workshop, trade fair, ...", _choice(enums.EventKind)),
        Field("status", "Status", "Scheduled, cancelled or postponed.", _choice(enums.EventStatus)),
        Field("startsAt", "Beginn", "Start with its offset (Berlin time when none is given).", values.DATETIME),
        Field("endsAt", "Ende", "End.", values.DATETIME),
        Field("venueName", "Veranstaltungsort", "Name of the venue."),
        Field(
            "venueSpace",
            "Fläche",
            "Slug of the portal's space it takes place in.",
            column="venue_space_id",
            reference=Reference(SPACE),
        ),
        Field("onlineUrl", "Online-Adresse", "Address of an online event."),
        Field(
            "host", "Gastgeber", "Slug of the hosting company.", column="host_company_id", reference=Reference(COMPANY)
        ),
        Field(
            "network", "Netzwerk", "Slug of the organising network.", column="network_id", reference=Reference(NETWORK)
        ),
        Field(
            "project",
            "Projekt",
            "Slug of the project it belongs to.",
            column="project_id",
            reference=Reference(PROJECT),
        ),
        Field("registrationRequired", "Anmeldung erforderlich", "Whether guests must register.", values.BOOLEAN),
        Field("registrationUrl", "Anmeldung", "Where to register."),
        Field("registrationDeadline", "Anmeldeschluss", "Last moment to register.", values.DATETIME),
        Field("capacity", "Plätze", "How many guests.", values.INTEGER),
        *ADDRESS,
        PUBLISHED,
    ),
    edit=events.EVENT_EDIT,
)

CONTACTS = Sheet(
    "contacts",
    "Ansprechpartner",
    "Contact persons of companies, networks and projects (personal data)",
    CONTACT,
    (
        Field("ownerType", "Art", "Company, Network or Project."),
        Field("owner", "Zugehörig zu", "Slug of the company, network or project."),
        Field("name", "Name", "The person's name."),
        Field("role", "Funktion", "The person's role."),
        Field("email", "E-Mail", "The person's e-mail address."),
        Field("phone", "Telefon", "The person's phone number."),
        Field("publicationConsent", "Einwilligung", "Whether the person agreed to publication.", values.BOOLEAN),
        PUBLISHED,
    ),
    key_fields=(),
    order_by=("ownerType", "owner", "name"),
    importable=False,
)

SHEETS: dict[str, Sheet] = {
    sheet.name: sheet for sheet in (COMPANIES, PROJECTS, NETWORKS, MEMBERSHIPS, SPACES, EVENTS, CONTACTS)
}
"""In the order an import of everything takes (each sheet names only rows of earlier ones)."""

IMPORTABLE = tuple(name for name, sheet in SHEETS.items() if sheet.importable)
OPEN_DATA = ("companies", "projects", "networks", "memberships", "spaces", "events")


def normalised(header: str) -> str:
    """A header as it is matched: case, spaces, hyphens, underscores and brackets ignored."""
    return re.sub(r"[\s_\-()/.²*]+", "", header.casefold()).replace("ß", "ss")


def header_map(sheet: Sheet) -> dict[str, Field]:
    """Every accepted spelling of each column (English key, German name, snake_case column)."""
    found: dict[str, Field] = {}
    for f in sheet.fields:
        for spelling in (f.key, f.german, f.db_column):
            found.setdefault(normalised(spelling), f)
    return found


def by_name(name: str) -> Sheet | None:
    return SHEETS.get(name)


def required_keys(sheet: Sheet) -> Sequence[str]:
    """Fields a new row must have (from the mutations' checks)."""
    if sheet.edit is None:
        return [f.key for f in sheet.fields]  # a link row is nothing but its columns
    required = {name for name, column in sheet.edit.columns.items() if column.required}
    return [f.key for f in sheet.fields if f.db_column in required]
