"""SQLAlchemy models: the portal's tables, constraints and indexes.

Queries in `resolvers/` use these tables through SQLAlchemy Core (`Model.__table__`), which is
cheaper than ORM instances for read-heavy GraphQL traffic; the ORM classes stay the single place
where columns, constraints and indexes are declared (Alembic reads their metadata).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum as PyEnum
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Enum,
    FetchedValue,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import UserDefinedType

from db.enums import (
    EmployeeRange,
    EventKind,
    EventStatus,
    LegalForm,
    ListingType,
    MembershipRole,
    NetworkKind,
    ProjectStatus,
    Role,
    SpaceStatus,
    SpaceType,
    Transaction,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(14, 2)
AREA = Numeric(12, 2)


def text_enum(enum: type[PyEnum], name: str) -> Enum:
    """An enum stored as text, guarded by a CHECK constraint named after the column."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.name for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    """What every editable portal row carries: timestamps, the `published` flag, the `version`
    an update must name (no lost updates), and `deleted_at` (soft delete, restorable by admins).
    """

    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    published: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ExternallyKeyed:
    """The key of the row in the office's own records (spreadsheets, the old CMS): what an
    import matches rows by before the slug (transfer/importer.py)."""

    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)


class AddressColumns:
    """The address value (street, postal code, city, Ortsteil, optional coordinates)."""

    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))

    @declared_attr
    def ortsteil_key(cls) -> Mapped[str | None]:
        return mapped_column(String(32), ForeignKey("ortsteile.key"), index=True)

    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()


def address_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("postal_code ~ '^[0-9]{5}$'", name="postal_code_format"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_pair"),
    )


def nullable_ordering_index(name: str, column: str, fill: str) -> Index:
    """The index of an ordering on a nullable column, on the very expressions that
    resolvers/pagination.py sorts by: `(col IS NULL, coalesce(col, fill), id)`."""
    return Index(name, text(f"({column} IS NULL)"), text(f"coalesce({column}, {fill})"), "id")


def slug_pattern_index(name: str) -> Index:
    """For `slug LIKE 'base-%'`, how a new slug finds its free number (resolvers/editing.py): the
    unique index serves it only under the C collation."""
    return Index(name, "slug", postgresql_ops={"slug": "text_pattern_ops"})


def search_vector(*weighted: tuple[str, str]) -> Mapped[str]:
    """A generated `tsvector` over the given (column, weight) pairs, German configuration."""
    parts = " || ".join(
        f"setweight(to_tsvector('german'::regconfig, coalesce({column}, '')), '{weight}')"
        for column, weight in weighted
    )
    return mapped_column(TSVECTOR, Computed(parts, persisted=True))


# --- reference data -------------------------------------------------------------------------


class OrtsteilRow(Base):
    __tablename__ = "ortsteile"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class IndustrySection(Base):
    """A section of WZ 2008 (A to U), loaded by migration 0011."""

    __tablename__ = "industry_sections"
    __table_args__ = (CheckConstraint("letter ~ '^[A-U]$'", name="letter_format"),)
    letter: Mapped[str] = mapped_column(String(1), primary_key=True)
    title: Mapped[str] = mapped_column(Text)


class IndustryDivision(Base):
    """A division of WZ 2008 (the 88 two-digit codes), loaded by migration 0011."""

    __tablename__ = "industry_divisions"
    __table_args__ = (CheckConstraint("code ~ '^[0-9]{2}$'", name="code_format"),)
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(String(1), ForeignKey("industry_sections.letter"))


class IndustryClass(Base):
    """A class of the German classification of economic activities (WZ 2008), e.g. 62.01."""

    __tablename__ = "industry_classes"
    __table_args__ = (
        CheckConstraint(r"code ~ '^[0-9]{2}\.[0-9]{2}$'", name="code_format"),
        CheckConstraint("section ~ '^[A-U]$'", name="section_letter"),
    )
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(String(1), ForeignKey("industry_sections.letter"))


class FundingProgram(Base):
    __tablename__ = "funding_programs"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


# --- companies ------------------------------------------------------------------------------


class Company(Timestamped, ExternallyKeyed, AddressColumns, Base):
    __tablename__ = "companies"
    __table_args__ = (
        slug_pattern_index("ix_companies_slug_pattern"),
        *address_checks(),
        CheckConstraint("founded_year BETWEEN 1700 AND 2100", name="founded_year_range"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_companies_name_id", "name", "id"),
        Index("ix_companies_ortsteil_name_id", "ortsteil_key", "name", "id"),
        nullable_ordering_index("ix_companies_founded_year_order", "founded_year", "0"),
        Index("ix_companies_created_at_id", "created_at", "id"),
        Index("ix_companies_updated_at_id", "updated_at", "id"),
        Index("ix_companies_search", "search_vector", postgresql_using="gin"),
        Index("ix_companies_postal_code", "postal_code"),
        Index(
            "ix_companies_industry_code_pattern", "industry_code", postgresql_ops={"industry_code": "text_pattern_ops"}
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[LegalForm] = mapped_column(text_enum(LegalForm, "legal_form"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    industry_code: Mapped[str | None] = mapped_column(String(5), ForeignKey("industry_classes.code"))
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    employee_range: Mapped[EmployeeRange | None] = mapped_column(text_enum(EmployeeRange, "employee_range"), index=True)
    founded_year: Mapped[int | None] = mapped_column(SmallInteger)
    search_vector: Mapped[str] = search_vector(("name", "A"), ("description", "B"), ("street", "C"), ("city", "D"))


# --- projects (before networks: a network may come out of a project) -------------------------


class Project(Timestamped, ExternallyKeyed, Base):
    __tablename__ = "projects"
    __table_args__ = (
        slug_pattern_index("ix_projects_slug_pattern"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("total_volume >= 0", name="total_volume_non_negative"),
        CheckConstraint("funding_amount >= 0", name="funding_non_negative"),
        CheckConstraint("funding_amount <= total_volume", name="funding_within_volume"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_projects_title_id", "title", "id"),
        Index("ix_projects_starts_on_id", "starts_on", "id"),
        Index("ix_projects_total_volume_id", "total_volume", "id"),
        Index("ix_projects_created_at_id", "created_at", "id"),
        Index("ix_projects_updated_at_id", "updated_at", "id"),
        Index("ix_projects_search", "search_vector", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ProjectStatus] = mapped_column(text_enum(ProjectStatus, "project_status"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    total_volume: Mapped[Decimal] = mapped_column(MONEY)
    funding_amount: Mapped[Decimal] = mapped_column(MONEY)
    search_vector: Mapped[str] = search_vector(("title", "A"), ("summary", "B"))


class ProjectFundingProgram(Base):
    __tablename__ = "project_funding_programs"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    program_code: Mapped[str] = mapped_column(ForeignKey("funding_programs.code"), primary_key=True, index=True)


class ProjectPartner(Base):
    __tablename__ = "project_partners"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


# --- networks -------------------------------------------------------------------------------


class Network(Timestamped, ExternallyKeyed, Base):
    __tablename__ = "networks"
    __table_args__ = (
        slug_pattern_index("ix_networks_slug_pattern"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_networks_name_id", "name", "id"),
        Index("ix_networks_founded_on_id", "founded_on", "id"),
        nullable_ordering_index("ix_networks_founded_on_order", "founded_on", "'0001-01-01'"),
        Index("ix_networks_created_at_id", "created_at", "id"),
        Index("ix_networks_updated_at_id", "updated_at", "id"),
        Index("ix_networks_search", "search_vector", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[NetworkKind] = mapped_column(text_enum(NetworkKind, "network_kind"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    origin_project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    search_vector: Mapped[str] = search_vector(("name", "A"), ("description", "B"))


class NetworkMembership(Base):
    __tablename__ = "network_memberships"
    __table_args__ = (
        Index("ix_network_memberships_company_network", "company_id", "network_id"),
        Index("ix_network_memberships_network_company_name", "network_id", "company_name", "company_id"),
    )
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[MembershipRole] = mapped_column(text_enum(MembershipRole, "membership_role"))
    member_since: Mapped[dt.date] = mapped_column(Date)
    company_name: Mapped[str] = mapped_column(String(200), server_default=FetchedValue())
    """A copy of the company's name kept by triggers (migration 0005), so "members by name" is read
    from one index in order instead of joining and sorting every membership of the network."""


class ProjectNetwork(Base):
    __tablename__ = "project_networks"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True, index=True)


# --- spaces ---------------------------------------------------------------------------------


class Space(Timestamped, ExternallyKeyed, AddressColumns, Base):
    __tablename__ = "spaces"
    __table_args__ = (
        slug_pattern_index("ix_spaces_slug_pattern"),
        *address_checks(),
        CheckConstraint("area_sqm > 0", name="area_positive"),
        CheckConstraint("area_max_sqm IS NULL OR area_max_sqm >= area_sqm", name="area_max_not_below_min"),
        CheckConstraint("rent_per_sqm IS NULL OR rent_per_sqm >= 0", name="rent_non_negative"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_non_negative"),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_spaces_title_id", "title", "id"),
        Index("ix_spaces_area_id", "area_sqm", "id"),
        Index("ix_spaces_rent_id", "rent_per_sqm", "id"),
        Index("ix_spaces_available_from_id", "available_from", "id"),
        nullable_ordering_index("ix_spaces_rent_order", "rent_per_sqm", "0"),
        nullable_ordering_index("ix_spaces_available_from_order", "available_from", "'0001-01-01'"),
        Index("ix_spaces_created_at_id", "created_at", "id"),
        Index("ix_spaces_updated_at_id", "updated_at", "id"),
        Index("ix_spaces_search", "search_vector", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    listing_type: Mapped[ListingType] = mapped_column(text_enum(ListingType, "listing_type"), index=True)
    space_type: Mapped[SpaceType] = mapped_column(text_enum(SpaceType, "space_type"), index=True)
    transaction: Mapped[Transaction] = mapped_column(text_enum(Transaction, "transaction"), index=True)
    area_sqm: Mapped[Decimal] = mapped_column(AREA)
    area_max_sqm: Mapped[Decimal | None] = mapped_column(AREA)
    rent_per_sqm: Mapped[Decimal | None] = mapped_column(MONEY)
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[SpaceStatus] = mapped_column(text_enum(SpaceStatus, "space_status"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    search_vector: Mapped[str] = search_vector(("title", "A"), ("description", "B"), ("street", "C"))


# --- events ---------------------------------------------------------------------------------


class Event(Timestamped, ExternallyKeyed, AddressColumns, Base):
    """An event; its venue is a name plus an address, a space of the portal, or an online URL."""

    __tablename__ = "events"
    __table_args__ = (
        slug_pattern_index("ix_events_slug_pattern"),
        *address_checks(),
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        CheckConstraint(
            "venue_name IS NOT NULL OR venue_space_id IS NOT NULL OR online_url IS NOT NULL",
            name="has_venue",
        ),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_events_starts_at_id", "starts_at", "id"),
        Index("ix_events_title_id", "title", "id"),
        Index("ix_events_created_at_id", "created_at", "id"),
        Index("ix_events_updated_at_id", "updated_at", "id"),
        Index("ix_events_network_starts_at", "network_id", "starts_at", "id"),
        Index("ix_events_host_starts_at", "host_company_id", "starts_at", "id"),
        Index("ix_events_search", "search_vector", postgresql_using="gin"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[EventKind] = mapped_column(text_enum(EventKind, "event_kind"), index=True)
    status: Mapped[EventStatus] = mapped_column(text_enum(EventStatus, "event_status"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="SET NULL"), index=True)
    online_url: Mapped[str | None] = mapped_column(String(300))
    host_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    registration_required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    registration_url: Mapped[str | None] = mapped_column(String(300))
    registration_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int | None] = mapped_column(Integer)
    search_vector: Mapped[str] = search_vector(("title", "A"), ("description", "B"), ("venue_name", "C"))


# --- contact persons (personal data) --------------------------------------------------------


class ContactPerson(Timestamped, Base):
    """A contact person (Ansprechpartner) of exactly one company, network or project."""

    __tablename__ = "contact_persons"
    __table_args__ = (
        CheckConstraint("num_nonnulls(company_id, network_id, project_id) = 1", name="exactly_one_owner"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    publication_consent: Mapped[bool] = mapped_column(Boolean, server_default="false")


# --- accounts, keys, sessions, audit log -----------------------------------------------------


class User(Base):
    """A person of the office who logs in: staff or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'", name="username_format"),
        CheckConstraint("role IN ('STAFF', 'ADMIN')", name="account_role"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(63), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[Role] = mapped_column(text_enum(Role, "role"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; `prefix` is the visible part that names it."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, "role"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    origins: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    trusted_documents_only: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """Only registered (trusted) operations may be sent with this key."""
    gateway: Mapped[bool] = mapped_column(Boolean, server_default="false")
    """A federation gateway's key: `_entities` may take up to 10,000 representations, not 100."""


class Session(Base):
    """A login session; the cookie carries the signed token, the table only its SHA-256."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """One write: who, when, which object, which fields changed (old and new values)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_object", "object_type", "object_id", "at"),
        Index("ix_audit_log_user", "user_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(BigInteger)
    changes: Mapped[dict[str, object]] = mapped_column(JSONB, server_default="{}")


# --- delivery: change feed, cache generations, persisted operations -------------------------


class XID8(UserDefinedType[str]):
    """PostgreSQL's 64-bit transaction ID (`pg_current_xact_id()`); read as text."""

    cache_ok = True

    def get_col_spec(self, **_: object) -> str:
        return "xid8"


class Change(Base):
    """One create/update/publish/unpublish/delete of a portal row, written by a trigger.

    `xid` is the writing transaction: the feed only hands out changes of transactions older than
    every transaction still running (`pg_snapshot_xmin`), so one that commits late is never
    skipped by a cursor that already moved on.
    """

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_xid_seq", "xid", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xid: Mapped[str] = mapped_column(XID8(), server_default=func.pg_current_xact_id())
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    published: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean)


class DataGeneration(Base):
    """A counter per data table, bumped by a trigger on every write: the response cache's key."""

    __tablename__ = "data_generations"
    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


class PersistedOperation(Base):
    """A GraphQL document by its SHA-256: registered by clients (APQ) or trusted by the office."""

    __tablename__ = "persisted_operations"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)
    trusted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKey(Base):
    """A mutation request sent with an `Idempotency-Key` header: claimed before it runs, marked
    applied inside every write transaction it commits, and its answer kept for retries (24 h)."""

    __tablename__ = "idempotency_keys"
    owner: Mapped[str] = mapped_column(String(40), primary_key=True)
    """`user:<id>` or `key:<id>`: keys are the caller's own, never shared between callers."""
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the document, operation name and variables (a different request is a 422)."""
    token: Mapped[str] = mapped_column(String(32))
    """The claim of the request running it now; a write transaction commits only under its claim."""
    applied: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[int | None] = mapped_column(SmallInteger)
    media_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- webhooks: endpoints, their outbox and its filling position --------------------------------


class Webhook(Base):
    """A partner's endpoint that is sent the public change feed (Standard Webhooks signatures)."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    """Object types sent; empty: all."""
    actions: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default="{}")
    """Actions sent (as outsiders see them: CREATE, UPDATE, DELETE); empty: all."""
    secret: Mapped[str] = mapped_column(String(100))
    """`whsec_` and base64 of 32 random bytes: the HMAC key, shown to the admin once."""
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """The first failed attempt since the last success; a day of failures disables the endpoint."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One change to send to one endpoint: the outbox row, kept with its last attempt's result.

    `message_id` is the `webhook-id` header, the same on every retry (receivers deduplicate on
    it); `body` is the exact JSON sent, so every attempt signs the same bytes.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'PENDING'")),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
        CheckConstraint("status IN ('PENDING', 'DELIVERED', 'FAILED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), server_default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """A dispatcher's lease on the attempt in flight; a dispatcher that died leaves it to expire."""
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookOutbox(Base):
    """One row: the feed position up to which deliveries have been queued (moved in the same
    transaction that queues them, so a change is queued exactly once whatever restarts)."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    xid: Mapped[str] = mapped_column(XID8())
    seq: Mapped[int] = mapped_column(BigInteger)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, typed as such (queries use Core, not ORM instances)."""
    return cast(Table, model.__table__)
