"""Index-served orderings for partner reads: members by name, companies of an Ortsteil by name

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:30:00

`Network.members` is ordered by company name. Without this, a page of 20 members of a network
with 300 joins all 300 memberships to their companies and sorts them; with the name on the
membership row, the index (network_id, company_name, company_id) hands them out in order and
the page stops after 20 (the nested benchmark query: 14,761 company lookups -> ~1,100).
Triggers keep the copy exact: it is filled on insert and follows every rename.

A directory page of an Ortsteil (companies by name, the partner sites' main list) walked the
name index and skipped the other Ortsteile's rows (2,851 for 50 found: 9 ms -> 3 ms).

Orderings on a nullable column sort by `(col IS NULL, coalesce(col, fill), id)` so that cursors
compare totally; plain indexes on `col` cannot deliver that order, so every such page sorted the
whole table. Expression indexes on exactly those expressions serve them
(tests/planner/test_indexes.py EXPLAINs every ordering).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column, the fill that resolvers/pagination.py writes into the SQL)
NULLABLE_ORDERINGS = [
    ("ix_companies_founded_year_order", "companies", "founded_year", "0"),
    ("ix_networks_founded_on_order", "networks", "founded_on", "'0001-01-01'"),
    ("ix_spaces_rent_order", "spaces", "rent_per_sqm", "0"),
    ("ix_spaces_available_from_order", "spaces", "available_from", "'0001-01-01'"),
]

FILL_NAME = """
CREATE FUNCTION upl_membership_company_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT name INTO NEW.company_name FROM companies WHERE id = NEW.company_id;
    RETURN NEW;
END $$
"""
FOLLOW_RENAME = """
CREATE FUNCTION upl_company_name_to_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE network_memberships SET company_name = NEW.name WHERE company_id = NEW.id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_index("ix_companies_ortsteil_name_id", "companies", ["ortsteil_key", "name", "id"])
    for name, table, column, fill in NULLABLE_ORDERINGS:
        op.create_index(name, table, [sa.text(f"({column} IS NULL)"), sa.text(f"coalesce({column}, {fill})"), "id"])
    op.add_column("network_memberships", sa.Column("company_name", sa.String(200), nullable=True))
    # the index before the backfill: the generation triggers leave pending events behind the UPDATE
    op.create_index(
        "ix_network_memberships_network_company_name",
        "network_memberships",
        ["network_id", "company_name", "company_id"],
    )
    op.execute(
        "UPDATE network_memberships m SET company_name = c.name FROM companies c WHERE c.id = m.company_id"
    )
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire the deferred generation triggers before ALTER TABLE
    op.alter_column("network_memberships", "company_name", nullable=False)
    op.execute(FILL_NAME)
    op.execute(
        "CREATE TRIGGER upl_membership_company_name BEFORE INSERT OR UPDATE OF company_id ON network_memberships "
        "FOR EACH ROW EXECUTE FUNCTION upl_membership_company_name()"
    )
    op.execute(FOLLOW_RENAME)
    op.execute(
        "CREATE TRIGGER upl_company_name_to_memberships AFTER UPDATE OF name ON companies "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION upl_company_name_to_memberships()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER upl_company_name_to_memberships ON companies")
    op.execute("DROP FUNCTION upl_company_name_to_memberships()")
    op.execute("DROP TRIGGER upl_membership_company_name ON network_memberships")
    op.execute("DROP FUNCTION upl_membership_company_name()")
    op.drop_index("ix_network_memberships_network_company_name", table_name="network_memberships")
    op.drop_column("network_memberships", "company_name")
    op.drop_index("ix_companies_ortsteil_name_id", table_name="companies")
    for name, table, _, _ in NULLABLE_ORDERINGS:
        op.drop_index(name, table_name=table)
