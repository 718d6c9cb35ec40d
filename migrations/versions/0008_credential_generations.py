"""Credential generations: a change to an API key or a user (other than its last use) bumps
the generation of `api_keys` or `users` and is announced like every other

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:30:00

Each process remembers the viewers of the bearer keys it has seen (web/auth.py `KeyViewers`),
so a keyed request costs no statement for its key. A revocation, a role or origin change, a
disabled user or a deleted key bumps the generation (at commit, with `NOTIFY upl_generations`,
migration 0007) and every process forgets what it remembered. The minute-by-minute
`last_used_at` write does not: it is the only change that leaves the viewer as it was.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUT_LAST_USE = "(to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at')"


def upgrade() -> None:
    op.execute(
        "CREATE CONSTRAINT TRIGGER upl_api_keys_generation AFTER UPDATE ON api_keys DEFERRABLE INITIALLY DEFERRED "
        f"FOR EACH ROW WHEN ({BUT_LAST_USE}) EXECUTE FUNCTION upl_bump_generation()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER upl_api_keys_deleted_generation AFTER DELETE ON api_keys "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION upl_bump_generation()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER upl_users_generation AFTER UPDATE OR DELETE ON users "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION upl_bump_generation()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER upl_users_generation ON users")
    op.execute("DROP TRIGGER upl_api_keys_deleted_generation ON api_keys")
    op.execute("DROP TRIGGER upl_api_keys_generation ON api_keys")
