"""Webhooks: endpoints, their outbox in PostgreSQL, and the position up to which it is filled

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:00:00

The outbox is filled from the commit-ordered `changes` table (web/webhooks.py), so a change
committed while no instance runs is queued when one starts. The position starts at the feed's
present end: existing history is not sent to endpoints created later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("types", postgresql.ARRAY(sa.String(40)), server_default="{}", nullable=False),
        sa.Column("actions", postgresql.ARRAY(sa.String(16)), server_default="{}", nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), server_default="PENDING", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('PENDING', 'DELIVERED', 'FAILED')", name="ck_webhook_deliveries_status"),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name="fk_webhook_deliveries_webhook_id_webhooks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("message_id", name="uq_webhook_deliveries_message_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "id"])
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_webhook_outbox_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_outbox"),
    )
    op.execute("ALTER TABLE webhook_outbox ADD COLUMN xid xid8 NOT NULL")
    # the feed's present end, as a reader may pass it (older than every running transaction)
    op.execute(
        """
        WITH head AS (
            SELECT xid, seq FROM changes WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY xid DESC, seq DESC LIMIT 1
        )
        INSERT INTO webhook_outbox (id, xid, seq)
        VALUES (1, coalesce((SELECT xid FROM head), '0'::xid8), coalesce((SELECT seq FROM head), 0))
        """
    )


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
