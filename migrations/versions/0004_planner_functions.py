"""SQL functions the query planner uses to print values exactly as the Python path does

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = {
    # datetime.isoformat() of a time in Europe/Berlin: 2026-12-03T19:00:00+01:00 (microseconds when set)
    "upl_iso_berlin(t timestamptz)": """
        SELECT to_char(t AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 <> 0
                    THEN to_char(t AT TIME ZONE 'Europe/Berlin', '.US') ELSE '' END
            || '+' || to_char((t AT TIME ZONE 'Europe/Berlin') - (t AT TIME ZONE 'UTC'), 'HH24:MI')
    """,
    # the same in UTC (cursor values, as asyncpg hands them to Python)
    "upl_iso_utc(t timestamptz)": """
        SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 <> 0
                    THEN to_char(t AT TIME ZONE 'UTC', '.US') ELSE '' END
            || '+00:00'
    """,
    # resolvers/pagination.py::encode_cursor: urlsafe base64 of "c1:" + the payload, no padding
    "upl_cursor(payload jsonb)": """
        SELECT rtrim(translate(encode(convert_to('c1:' || payload::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')
    """,
    # schema/ids.py::encode_id: base64 of "Type:pk"
    "upl_global_id(type_name text, pk bigint)": """
        SELECT translate(encode(convert_to(type_name || ':' || pk, 'UTF8'), 'base64'), E'\\n', '')
    """,
}


def upgrade() -> None:
    for signature, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {signature} RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $${body}$$")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
