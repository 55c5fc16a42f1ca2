"""knowledge that stays true: verify-by dates, owners, snippets that follow their message

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("verify_days", sa.Integer(), nullable=False,
                                   server_default="90"))
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("source_message", sa.String(length=200),
                                   nullable=True))
        batch.add_column(sa.Column("source_deleted_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_item_tenant_source_message", ["tenant_id", "source_message"])
    op.create_table(
        "snippet_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_snippet_revision_item_id", "snippet_revision", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_snippet_revision_item_id", table_name="snippet_revision")
    op.drop_table("snippet_revision")
    # Plain ALTER TABLE, not a batch copy: copying ``item`` on SQLite would drop the search
    # triggers that live on it (SQLite has DROP COLUMN since 3.35).
    op.drop_index("ix_item_tenant_source_message", table_name="item")
    for column in ("verified_at", "source_deleted_at", "source_message"):
        op.drop_column("item", column)
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("verify_days")
