"""Exactly once and one key: the delivered message and retry state on job claims; the
deployment's one secret key (or its fingerprint) in the store.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_claim") as batch:
        batch.add_column(sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=100),
                                   nullable=True))
        batch.add_column(sa.Column("reached", sqlmodel.sql.sqltypes.AutoString(length=2000),
                                   nullable=False, server_default=""))
        batch.add_column(sa.Column("picture_tries", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200),
                                   nullable=False, server_default=""))
    op.create_table(
        "deployment_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("deployment_key")
    with op.batch_alter_table("job_claim") as batch:
        batch.drop_column("error")
        batch.drop_column("picture_tries")
        batch.drop_column("reached")
        batch.drop_column("message_id")
