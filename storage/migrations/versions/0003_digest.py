"""digest: job claims, one per tenant, job and period; weekly participation counts

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'job_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('job', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'job', 'period_key', name='uq_job_claim_period'),
    )
    op.create_index('ix_job_claim_status_lease', 'job_claim', ['status', 'lease_until'],
                    unique=False)
    op.create_table(
        'participation_week',
        sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('week_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('week_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('counts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
        sa.PrimaryKeyConstraint('tenant_id', 'week_start', 'week_end'),
    )


def downgrade() -> None:
    op.drop_table('participation_week')
    op.drop_index('ix_job_claim_status_lease', table_name='job_claim')
    op.drop_table('job_claim')
