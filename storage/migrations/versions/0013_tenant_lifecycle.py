"""tenant lifecycle: when Hromada was removed, and how long the data is kept after that

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=False,
                                   server_default="30"))


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("retention_days")
        batch.drop_column("uninstalled_at")
