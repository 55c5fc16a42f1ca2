"""answers where questions are asked: watched channels, snippet feedback, knowledge gaps

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watched_channel",
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "channel_id"),
    )
    op.create_table(
        "snippet_feedback",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_snippet_feedback_tenant_id", "snippet_feedback", ["tenant_id"])
    op.create_table(
        "knowledge_gap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("words", sa.String(length=200), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.Column("askers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "week", "key", name="uq_knowledge_gap"),
    )
    op.create_table(
        "knowledge_gap_asker",
        sa.Column("gap_id", sa.Integer(), nullable=False),
        sa.Column("asker", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["gap_id"], ["knowledge_gap.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("gap_id", "asker"),
    )
    op.create_index("ix_knowledge_gap_asker_tenant_id", "knowledge_gap_asker", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_knowledge_gap_asker_tenant_id", table_name="knowledge_gap_asker")
    op.drop_table("knowledge_gap_asker")
    op.drop_table("knowledge_gap")
    op.drop_index("ix_snippet_feedback_tenant_id", table_name="snippet_feedback")
    op.drop_table("snippet_feedback")
    op.drop_table("watched_channel")
