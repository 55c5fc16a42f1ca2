"""Anonymous authors: drafts of anonymous submissions name nobody (a keyed hash instead of a
member id); an opt-in sealed reference to hear back; the moderator an author's answer goes to.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("anon_hash", sa.String(length=128), nullable=True))
    op.create_table(
        "sealed_ref",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), primary_key=True),
        sa.Column("tenant_id", sa.String(length=100), sa.ForeignKey("tenant.id"),
                  nullable=False),
        sa.Column("token", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sealed_ref_tenant_id", "sealed_ref", ["tenant_id"], unique=False)
    op.create_table(
        "reply_thread",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id"), primary_key=True),
        sa.Column("tenant_id", sa.String(length=100), sa.ForeignKey("tenant.id"),
                  nullable=False),
        sa.Column("moderator_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reply_thread_tenant_id", "reply_thread", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reply_thread_tenant_id", table_name="reply_thread")
    op.drop_table("reply_thread")
    op.drop_index("ix_sealed_ref_tenant_id", table_name="sealed_ref")
    op.drop_table("sealed_ref")
    # Anonymous drafts cannot name a member again: they go.
    op.execute("DELETE FROM draft WHERE member_id IS NULL")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("anon_hash")
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
