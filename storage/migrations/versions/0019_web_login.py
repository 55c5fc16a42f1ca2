"""web sign-in links: one-time, hashed, expiring (``hromada web login``); a used link's row
is deleted

Revision ID: 0019
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_login",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_web_login_tenant_id", "web_login", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_web_login_tenant_id", table_name="web_login")
    op.drop_table("web_login")
