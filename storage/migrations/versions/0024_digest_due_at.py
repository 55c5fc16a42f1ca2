"""digest due at: when a tenant's next weekly digest falls due, stored and indexed

``tenant.digest_due_at`` is the end of the earliest period that has not gone out yet; the
scheduler's minute tick asks for tenants with ``digest_due_at <= now`` (or NULL: never worked
out yet) through ``ix_tenant_digest_due`` instead of computing every tenant's schedule in
Python. NULL for every existing tenant: the first tick works each one out once.

Revision ID: 0024
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenant", sa.Column("digest_due_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_index("ix_tenant_digest_due", "tenant", ["digest_due_at"])


def downgrade() -> None:
    op.drop_index("ix_tenant_digest_due", table_name="tenant")
    # A plain DROP COLUMN (SQLite >= 3.35): no batch copy of ``tenant``.
    op.drop_column("tenant", "digest_due_at")
