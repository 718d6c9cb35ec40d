"""Change feed (commit-ordered), data generations for the response cache, trusted documents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types of the change feed and their tables.
FEED_TABLES = {"Company": "companies", "Network": "networks", "Space": "spaces", "Project": "projects", "Event": "events"}
# Every table whose change can change a response (the response cache's generations).
DATA_TABLES = [
    "companies",
    "networks",
    "spaces",
    "projects",
    "events",
    "contact_persons",
    "network_memberships",
    "project_partners",
    "project_networks",
    "project_funding_programs",
    "industry_classes",
    "funding_programs",
]

RECORD_CHANGE = """
CREATE FUNCTION upl_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change_action text;
    row_published boolean;
    row_deleted boolean;
    row_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        change_action := 'DELETE'; row_id := OLD.id; row_published := OLD.published; row_deleted := true;
    ELSE
        row_id := NEW.id; row_published := NEW.published; row_deleted := NEW.deleted_at IS NOT NULL;
        IF TG_OP = 'INSERT' THEN
            change_action := 'CREATE';
        ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
            change_action := 'DELETE';
        ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
            change_action := 'CREATE';
        ELSIF NOT OLD.published AND NEW.published THEN
            change_action := 'PUBLISH';
        ELSIF OLD.published AND NOT NEW.published THEN
            change_action := 'UNPUBLISH';
        ELSE
            change_action := 'UPDATE';
        END IF;
    END IF;
    INSERT INTO changes (object_type, object_id, action, published, deleted)
    VALUES (TG_ARGV[0], row_id, change_action, row_published, row_deleted);
    RETURN NULL;
END $$;
"""

# Bumped once per writing transaction, at commit (a deferred constraint trigger), so a long
# transaction holds the generation row only while it commits and never blocks other writers.
BUMP_GENERATION = """
CREATE FUNCTION upl_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('upl.bumped_' || TG_TABLE_NAME, true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('upl.bumped_' || TG_TABLE_NAME, '1', true);
        INSERT INTO data_generations (table_name, generation) VALUES (TG_TABLE_NAME, 1)
        ON CONFLICT (table_name) DO UPDATE SET generation = data_generations.generation + 1;
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    # xid8 of the writing transaction: readers only pass transactions older than every running one
    op.execute("ALTER TABLE changes ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.create_index("ix_changes_xid_seq", "changes", ["xid", "seq"])
    op.create_table(
        "data_generations",
        sa.Column("table_name", sa.String(63), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_data_generations")),
    )
    op.create_table(
        "persisted_operations",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("trusted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_operations")),
    )
    op.add_column("api_keys", sa.Column("trusted_documents_only", sa.Boolean(), server_default="false", nullable=False))
    op.execute(RECORD_CHANGE)
    op.execute(BUMP_GENERATION)
    for type_name, table in FEED_TABLES.items():
        op.execute(
            f"CREATE TRIGGER upl_{table}_changes AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION upl_record_change('{type_name}')"
        )
    for table in DATA_TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER upl_{table}_generation AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION upl_bump_generation()"
        )


def downgrade() -> None:
    for table in DATA_TABLES:
        op.execute(f"DROP TRIGGER upl_{table}_generation ON {table}")
    for table in FEED_TABLES.values():
        op.execute(f"DROP TRIGGER upl_{table}_changes ON {table}")
    op.execute("DROP FUNCTION upl_bump_generation()")
    op.execute("DROP FUNCTION upl_record_change()")
    op.drop_column("api_keys", "trusted_documents_only")
    op.drop_table("persisted_operations")
    op.drop_table("data_generations")
    op.drop_index("ix_changes_xid_seq", table_name="changes")
    op.drop_table("changes")
