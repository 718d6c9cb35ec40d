"""Change notifications: every generation bump is announced with NOTIFY at commit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:30:00

The response cache checks the generation of every table a cached response read. Reading them
cost a statement on every cache hit; with `NOTIFY upl_generations, '<table>:<generation>'`
(delivered at commit, in commit order, only when the transaction commits) each process keeps
the generations in memory from one listening connection (db/generations.py), and a hit costs
no statement. The realtime subscriptions wake on the same notifications.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFYING = """
CREATE OR REPLACE FUNCTION upl_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bumped bigint;
BEGIN
    IF current_setting('upl.bumped_' || TG_TABLE_NAME, true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('upl.bumped_' || TG_TABLE_NAME, '1', true);
        INSERT INTO data_generations (table_name, generation) VALUES (TG_TABLE_NAME, 1)
        ON CONFLICT (table_name) DO UPDATE SET generation = data_generations.generation + 1
        RETURNING generation INTO bumped;
        PERFORM pg_notify('upl_generations', TG_TABLE_NAME || ':' || bumped);
    END IF;
    RETURN NULL;
END $$;
"""

SILENT = """
CREATE OR REPLACE FUNCTION upl_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
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
    op.execute(NOTIFYING)


def downgrade() -> None:
    op.execute(SILENT)
