"""Initial schema: the portal's tables and the ten Ortsteile of Lichtenberg

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:09:30.756762
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Lichtenberg's ten Ortsteile: fixed reference data, frozen here as of this revision.
ORTSTEILE = [
    ("ALT_HOHENSCHOENHAUSEN", "Alt-Hohenschönhausen"),
    ("FALKENBERG", "Falkenberg"),
    ("FENNPFUHL", "Fennpfuhl"),
    ("FRIEDRICHSFELDE", "Friedrichsfelde"),
    ("KARLSHORST", "Karlshorst"),
    ("LICHTENBERG", "Lichtenberg"),
    ("MALCHOW", "Malchow"),
    ("NEU_HOHENSCHOENHAUSEN", "Neu-Hohenschönhausen"),
    ("RUMMELSBURG", "Rummelsburg"),
    ("WARTENBERG", "Wartenberg"),
]


def upgrade() -> None:
    op.create_table('funding_programs',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_funding_programs'))
    )
    op.create_table('industry_classes',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('section', sa.String(length=1), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{2}\\.[0-9]{2}$'", name=op.f('ck_industry_classes_code_format')),
    sa.CheckConstraint("section ~ '^[A-U]$'", name=op.f('ck_industry_classes_section_letter')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_industry_classes'))
    )
    op.create_table('ortsteile',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ortsteile')),
    sa.UniqueConstraint('name', name=op.f('uq_ortsteile_name'))
    )
    ortsteile = sa.table("ortsteile", sa.column("key", sa.String), sa.column("name", sa.String))
    op.bulk_insert(ortsteile, [{"key": key, "name": name} for key, name in ORTSTEILE])
    op.create_table('projects',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('PLANNED', 'RUNNING', 'COMPLETED', name='project_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('total_volume', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('funding_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('german'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('german'::regconfig, coalesce(summary, '')), 'B')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_projects_slug_format')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_projects_ends_after_start')),
    sa.CheckConstraint('funding_amount <= total_volume', name=op.f('ck_projects_funding_within_volume')),
    sa.CheckConstraint('funding_amount >= 0', name=op.f('ck_projects_funding_non_negative')),
    sa.CheckConstraint('total_volume >= 0', name=op.f('ck_projects_total_volume_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('slug', name=op.f('uq_projects_slug'))
    )
    op.create_index('ix_projects_created_at_id', 'projects', ['created_at', 'id'], unique=False)
    op.create_index('ix_projects_search', 'projects', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_projects_starts_on_id', 'projects', ['starts_on', 'id'], unique=False)
    op.create_index(op.f('ix_projects_status'), 'projects', ['status'], unique=False)
    op.create_index('ix_projects_title_id', 'projects', ['title', 'id'], unique=False)
    op.create_index('ix_projects_total_volume_id', 'projects', ['total_volume', 'id'], unique=False)
    op.create_index('ix_projects_updated_at_id', 'projects', ['updated_at', 'id'], unique=False)
    op.create_table('companies',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('legal_form', sa.Enum('GMBH', 'UG', 'AG', 'GMBH_CO_KG', 'KG', 'OHG', 'GBR', 'EK', 'EV', 'EG', 'SOLE_PROPRIETOR', 'PUBLIC_BODY', 'OTHER', name='legal_form', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('industry_code', sa.String(length=5), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('employee_range', sa.Enum('RANGE_1_9', 'RANGE_10_49', 'RANGE_50_249', 'RANGE_250_PLUS', name='employee_range', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('founded_year', sa.SmallInteger(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'B') || setweight(to_tsvector('german'::regconfig, coalesce(street, '')), 'C') || setweight(to_tsvector('german'::regconfig, coalesce(city, '')), 'D')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('ortsteil_key', sa.String(length=32), nullable=True),
    sa.CheckConstraint("postal_code ~ '^[0-9]{5}$'", name=op.f('ck_companies_postal_code_format')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_companies_slug_format')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_companies_location_pair')),
    sa.CheckConstraint('founded_year BETWEEN 1700 AND 2100', name=op.f('ck_companies_founded_year_range')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_companies_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_companies_longitude_range')),
    sa.ForeignKeyConstraint(['industry_code'], ['industry_classes.code'], name=op.f('fk_companies_industry_code_industry_classes')),
    sa.ForeignKeyConstraint(['ortsteil_key'], ['ortsteile.key'], name=op.f('fk_companies_ortsteil_key_ortsteile')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('slug', name=op.f('uq_companies_slug'))
    )
    op.create_index('ix_companies_created_at_id', 'companies', ['created_at', 'id'], unique=False)
    op.create_index(op.f('ix_companies_employee_range'), 'companies', ['employee_range'], unique=False)
    op.create_index('ix_companies_industry_code_pattern', 'companies', ['industry_code'], unique=False, postgresql_ops={'industry_code': 'text_pattern_ops'})
    op.create_index(op.f('ix_companies_legal_form'), 'companies', ['legal_form'], unique=False)
    op.create_index('ix_companies_name_id', 'companies', ['name', 'id'], unique=False)
    op.create_index(op.f('ix_companies_ortsteil_key'), 'companies', ['ortsteil_key'], unique=False)
    op.create_index('ix_companies_postal_code', 'companies', ['postal_code'], unique=False)
    op.create_index('ix_companies_search', 'companies', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_companies_updated_at_id', 'companies', ['updated_at', 'id'], unique=False)
    op.create_table('networks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('ASSOCIATION', 'NETWORK', 'CLUSTER', name='network_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('founded_on', sa.Date(), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('origin_project_id', sa.BigInteger(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'B')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_networks_slug_format')),
    sa.ForeignKeyConstraint(['origin_project_id'], ['projects.id'], name=op.f('fk_networks_origin_project_id_projects'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('slug', name=op.f('uq_networks_slug'))
    )
    op.create_index('ix_networks_created_at_id', 'networks', ['created_at', 'id'], unique=False)
    op.create_index('ix_networks_founded_on_id', 'networks', ['founded_on', 'id'], unique=False)
    op.create_index(op.f('ix_networks_kind'), 'networks', ['kind'], unique=False)
    op.create_index('ix_networks_name_id', 'networks', ['name', 'id'], unique=False)
    op.create_index(op.f('ix_networks_origin_project_id'), 'networks', ['origin_project_id'], unique=False)
    op.create_index('ix_networks_search', 'networks', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_networks_updated_at_id', 'networks', ['updated_at', 'id'], unique=False)
    op.create_table('project_funding_programs',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('program_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['program_code'], ['funding_programs.code'], name=op.f('fk_project_funding_programs_program_code_funding_programs')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_funding_programs_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'program_code', name=op.f('pk_project_funding_programs'))
    )
    op.create_index(op.f('ix_project_funding_programs_program_code'), 'project_funding_programs', ['program_code'], unique=False)
    op.create_table('contact_persons',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=True),
    sa.Column('network_id', sa.BigInteger(), nullable=True),
    sa.Column('project_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('publication_consent', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.CheckConstraint('num_nonnulls(company_id, network_id, project_id) = 1', name=op.f('ck_contact_persons_exactly_one_owner')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_contact_persons_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_contact_persons_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_contact_persons_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_persons'))
    )
    op.create_index(op.f('ix_contact_persons_company_id'), 'contact_persons', ['company_id'], unique=False)
    op.create_index(op.f('ix_contact_persons_network_id'), 'contact_persons', ['network_id'], unique=False)
    op.create_index(op.f('ix_contact_persons_project_id'), 'contact_persons', ['project_id'], unique=False)
    op.create_table('network_memberships',
    sa.Column('network_id', sa.BigInteger(), nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.Enum('FOUNDING_MEMBER', 'BOARD', 'MEMBER', name='membership_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('member_since', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_network_memberships_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_memberships_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'company_id', name=op.f('pk_network_memberships'))
    )
    op.create_index('ix_network_memberships_company_network', 'network_memberships', ['company_id', 'network_id'], unique=False)
    op.create_table('project_networks',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('network_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_project_networks_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_networks_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'network_id', name=op.f('pk_project_networks'))
    )
    op.create_index(op.f('ix_project_networks_network_id'), 'project_networks', ['network_id'], unique=False)
    op.create_table('project_partners',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_project_partners_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_partners_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'company_id', name=op.f('pk_project_partners'))
    )
    op.create_index(op.f('ix_project_partners_company_id'), 'project_partners', ['company_id'], unique=False)
    op.create_table('spaces',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('listing_type', sa.Enum('OFFER', 'REQUEST', name='listing_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('space_type', sa.Enum('OFFICE', 'RETAIL', 'WAREHOUSE', 'WORKSHOP', 'PRODUCTION', 'LAB', 'GASTRONOMY', 'COWORKING', 'PLOT', name='space_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('transaction', sa.Enum('RENT', 'SALE', 'LEASEHOLD', name='transaction', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('area_sqm', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('area_max_sqm', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('rent_per_sqm', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('AVAILABLE', 'RESERVED', 'TAKEN', name='space_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('provider_id', sa.BigInteger(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('german'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'B') || setweight(to_tsvector('german'::regconfig, coalesce(street, '')), 'C')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('ortsteil_key', sa.String(length=32), nullable=True),
    sa.CheckConstraint("postal_code ~ '^[0-9]{5}$'", name=op.f('ck_spaces_postal_code_format')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_spaces_slug_format')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_spaces_location_pair')),
    sa.CheckConstraint('area_max_sqm IS NULL OR area_max_sqm >= area_sqm', name=op.f('ck_spaces_area_max_not_below_min')),
    sa.CheckConstraint('area_sqm > 0', name=op.f('ck_spaces_area_positive')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_spaces_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_spaces_longitude_range')),
    sa.CheckConstraint('price IS NULL OR price >= 0', name=op.f('ck_spaces_price_non_negative')),
    sa.CheckConstraint('rent_per_sqm IS NULL OR rent_per_sqm >= 0', name=op.f('ck_spaces_rent_non_negative')),
    sa.ForeignKeyConstraint(['ortsteil_key'], ['ortsteile.key'], name=op.f('fk_spaces_ortsteil_key_ortsteile')),
    sa.ForeignKeyConstraint(['provider_id'], ['companies.id'], name=op.f('fk_spaces_provider_id_companies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces')),
    sa.UniqueConstraint('slug', name=op.f('uq_spaces_slug'))
    )
    op.create_index('ix_spaces_area_id', 'spaces', ['area_sqm', 'id'], unique=False)
    op.create_index('ix_spaces_available_from_id', 'spaces', ['available_from', 'id'], unique=False)
    op.create_index('ix_spaces_created_at_id', 'spaces', ['created_at', 'id'], unique=False)
    op.create_index(op.f('ix_spaces_listing_type'), 'spaces', ['listing_type'], unique=False)
    op.create_index(op.f('ix_spaces_ortsteil_key'), 'spaces', ['ortsteil_key'], unique=False)
    op.create_index(op.f('ix_spaces_provider_id'), 'spaces', ['provider_id'], unique=False)
    op.create_index('ix_spaces_rent_id', 'spaces', ['rent_per_sqm', 'id'], unique=False)
    op.create_index('ix_spaces_search', 'spaces', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index(op.f('ix_spaces_space_type'), 'spaces', ['space_type'], unique=False)
    op.create_index(op.f('ix_spaces_status'), 'spaces', ['status'], unique=False)
    op.create_index('ix_spaces_title_id', 'spaces', ['title', 'id'], unique=False)
    op.create_index(op.f('ix_spaces_transaction'), 'spaces', ['transaction'], unique=False)
    op.create_index('ix_spaces_updated_at_id', 'spaces', ['updated_at', 'id'], unique=False)
    op.create_table('events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.Enum('MEMBER_MEETING', 'NETWORK_MEETING', 'WORKSHOP', 'TRADE_FAIR', 'INFO_SESSION', 'AWARD', 'OTHER', name='event_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('SCHEDULED', 'CANCELLED', 'POSTPONED', name='event_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('venue_name', sa.String(length=200), nullable=True),
    sa.Column('venue_space_id', sa.BigInteger(), nullable=True),
    sa.Column('online_url', sa.String(length=300), nullable=True),
    sa.Column('host_company_id', sa.BigInteger(), nullable=True),
    sa.Column('network_id', sa.BigInteger(), nullable=True),
    sa.Column('project_id', sa.BigInteger(), nullable=True),
    sa.Column('registration_required', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('registration_url', sa.String(length=300), nullable=True),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('german'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'B') || setweight(to_tsvector('german'::regconfig, coalesce(venue_name, '')), 'C')", persisted=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('ortsteil_key', sa.String(length=32), nullable=True),
    sa.CheckConstraint("postal_code ~ '^[0-9]{5}$'", name=op.f('ck_events_postal_code_format')),
    sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f('ck_events_slug_format')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_events_location_pair')),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_events_capacity_non_negative')),
    sa.CheckConstraint('ends_at IS NULL OR ends_at >= starts_at', name=op.f('ck_events_ends_after_start')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_events_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_events_longitude_range')),
    sa.CheckConstraint('venue_name IS NOT NULL OR venue_space_id IS NOT NULL OR online_url IS NOT NULL', name=op.f('ck_events_has_venue')),
    sa.ForeignKeyConstraint(['host_company_id'], ['companies.id'], name=op.f('fk_events_host_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_events_network_id_networks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ortsteil_key'], ['ortsteile.key'], name=op.f('fk_events_ortsteil_key_ortsteile')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_events_project_id_projects'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['venue_space_id'], ['spaces.id'], name=op.f('fk_events_venue_space_id_spaces'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('slug', name=op.f('uq_events_slug'))
    )
    op.create_index('ix_events_created_at_id', 'events', ['created_at', 'id'], unique=False)
    op.create_index('ix_events_host_starts_at', 'events', ['host_company_id', 'starts_at', 'id'], unique=False)
    op.create_index(op.f('ix_events_kind'), 'events', ['kind'], unique=False)
    op.create_index('ix_events_network_starts_at', 'events', ['network_id', 'starts_at', 'id'], unique=False)
    op.create_index(op.f('ix_events_ortsteil_key'), 'events', ['ortsteil_key'], unique=False)
    op.create_index(op.f('ix_events_project_id'), 'events', ['project_id'], unique=False)
    op.create_index('ix_events_search', 'events', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_events_starts_at_id', 'events', ['starts_at', 'id'], unique=False)
    op.create_index(op.f('ix_events_status'), 'events', ['status'], unique=False)
    op.create_index('ix_events_title_id', 'events', ['title', 'id'], unique=False)
    op.create_index('ix_events_updated_at_id', 'events', ['updated_at', 'id'], unique=False)
    op.create_index(op.f('ix_events_venue_space_id'), 'events', ['venue_space_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_events_venue_space_id'), table_name='events')
    op.drop_index('ix_events_updated_at_id', table_name='events')
    op.drop_index('ix_events_title_id', table_name='events')
    op.drop_index(op.f('ix_events_status'), table_name='events')
    op.drop_index('ix_events_starts_at_id', table_name='events')
    op.drop_index('ix_events_search', table_name='events', postgresql_using='gin')
    op.drop_index(op.f('ix_events_project_id'), table_name='events')
    op.drop_index(op.f('ix_events_ortsteil_key'), table_name='events')
    op.drop_index('ix_events_network_starts_at', table_name='events')
    op.drop_index(op.f('ix_events_kind'), table_name='events')
    op.drop_index('ix_events_host_starts_at', table_name='events')
    op.drop_index('ix_events_created_at_id', table_name='events')
    op.drop_table('events')
    op.drop_index('ix_spaces_updated_at_id', table_name='spaces')
    op.drop_index(op.f('ix_spaces_transaction'), table_name='spaces')
    op.drop_index('ix_spaces_title_id', table_name='spaces')
    op.drop_index(op.f('ix_spaces_status'), table_name='spaces')
    op.drop_index(op.f('ix_spaces_space_type'), table_name='spaces')
    op.drop_index('ix_spaces_search', table_name='spaces', postgresql_using='gin')
    op.drop_index('ix_spaces_rent_id', table_name='spaces')
    op.drop_index(op.f('ix_spaces_provider_id'), table_name='spaces')
    op.drop_index(op.f('ix_spaces_ortsteil_key'), table_name='spaces')
    op.drop_index(op.f('ix_spaces_listing_type'), table_name='spaces')
    op.drop_index('ix_spaces_created_at_id', table_name='spaces')
    op.drop_index('ix_spaces_available_from_id', table_name='spaces')
    op.drop_index('ix_spaces_area_id', table_name='spaces')
    op.drop_table('spaces')
    op.drop_index(op.f('ix_project_partners_company_id'), table_name='project_partners')
    op.drop_table('project_partners')
    op.drop_index(op.f('ix_project_networks_network_id'), table_name='project_networks')
    op.drop_table('project_networks')
    op.drop_index('ix_network_memberships_company_network', table_name='network_memberships')
    op.drop_table('network_memberships')
    op.drop_index(op.f('ix_contact_persons_project_id'), table_name='contact_persons')
    op.drop_index(op.f('ix_contact_persons_network_id'), table_name='contact_persons')
    op.drop_index(op.f('ix_contact_persons_company_id'), table_name='contact_persons')
    op.drop_table('contact_persons')
    op.drop_index(op.f('ix_project_funding_programs_program_code'), table_name='project_funding_programs')
    op.drop_table('project_funding_programs')
    op.drop_index('ix_networks_updated_at_id', table_name='networks')
    op.drop_index('ix_networks_search', table_name='networks', postgresql_using='gin')
    op.drop_index(op.f('ix_networks_origin_project_id'), table_name='networks')
    op.drop_index('ix_networks_name_id', table_name='networks')
    op.drop_index(op.f('ix_networks_kind'), table_name='networks')
    op.drop_index('ix_networks_founded_on_id', table_name='networks')
    op.drop_index('ix_networks_created_at_id', table_name='networks')
    op.drop_table('networks')
    op.drop_index('ix_companies_updated_at_id', table_name='companies')
    op.drop_index('ix_companies_search', table_name='companies', postgresql_using='gin')
    op.drop_index('ix_companies_postal_code', table_name='companies')
    op.drop_index(op.f('ix_companies_ortsteil_key'), table_name='companies')
    op.drop_index('ix_companies_name_id', table_name='companies')
    op.drop_index(op.f('ix_companies_legal_form'), table_name='companies')
    op.drop_index('ix_companies_industry_code_pattern', table_name='companies', postgresql_ops={'industry_code': 'text_pattern_ops'})
    op.drop_index(op.f('ix_companies_employee_range'), table_name='companies')
    op.drop_index('ix_companies_created_at_id', table_name='companies')
    op.drop_table('companies')
    op.drop_index('ix_projects_updated_at_id', table_name='projects')
    op.drop_index('ix_projects_total_volume_id', table_name='projects')
    op.drop_index('ix_projects_title_id', table_name='projects')
    op.drop_index(op.f('ix_projects_status'), table_name='projects')
    op.drop_index('ix_projects_starts_on_id', table_name='projects')
    op.drop_index('ix_projects_search', table_name='projects', postgresql_using='gin')
    op.drop_index('ix_projects_created_at_id', table_name='projects')
    op.drop_table('projects')
    op.drop_table('ortsteile')
    op.drop_table('industry_classes')
    op.drop_table('funding_programs')
