"""Gateway keys: API keys of a federation gateway, which may send large `_entities` batches

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:30:00

`_entities` takes at most 100 representations per request; a gateway that joins this subgraph
with others batches the keys of many objects into one request and gets a key with `gateway`
set (`upl keys create --gateway`), for which the cap is 10,000. Cost still counts per
representation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("gateway", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("api_keys", "gateway")
