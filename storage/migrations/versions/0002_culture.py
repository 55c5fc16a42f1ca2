"""culture: pulse answers, kudos, coffee pairing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 05:04:31.285777
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coffee_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('round_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'round_key', name='uq_coffee_round_key')
    )
    op.create_table('coffee_match',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('group_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['coffee_round.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'member_id')
    )
    with op.batch_alter_table('coffee_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coffee_match_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coffee_match_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('coffee_member',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'member_id')
    )
    op.create_table('kudos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('giver_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['giver_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['receiver_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kudos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kudos_giver_id'), ['giver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kudos_receiver_id'), ['receiver_id'], unique=False)
        batch_op.create_index('ix_kudos_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('pulse_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('answer_key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'answer_key', name='uq_pulse_answer_key')
    )
    with op.batch_alter_table('pulse_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pulse_answer_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_pulse_answer_tenant_created', ['tenant_id', 'created_at'],
                              unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pulse_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_pulse_answer_tenant_created')
        batch_op.drop_index(batch_op.f('ix_pulse_answer_item_id'))

    op.drop_table('pulse_answer')
    with op.batch_alter_table('kudos', schema=None) as batch_op:
        batch_op.drop_index('ix_kudos_tenant_created')
        batch_op.drop_index(batch_op.f('ix_kudos_receiver_id'))
        batch_op.drop_index(batch_op.f('ix_kudos_giver_id'))

    op.drop_table('kudos')
    op.drop_table('coffee_member')
    with op.batch_alter_table('coffee_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coffee_match_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_coffee_match_member_id'))

    op.drop_table('coffee_match')
    op.drop_table('coffee_round')
