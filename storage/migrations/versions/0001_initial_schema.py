"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 04:54:53.410534
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('counter',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'kind')
    )
    op.create_table('processed_event',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'key')
    )
    op.create_table('tenant',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('anonymity_k', sa.Integer(), nullable=False),
    sa.Column('company_values', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('moderators', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('moderator_roles', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('digest_channel', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('digest_weekday', sa.Integer(), nullable=False),
    sa.Column('digest_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('digest_tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('digest_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('skills', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('interests', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('former', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'user_id', name='uq_member_user')
    )
    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('payload', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('search_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('anon_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('likelihood', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('source_link', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source_author', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['merged_into_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'kind', 'number', name='uq_item_ref')
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_tenant_kind_created', ['tenant_id', 'kind', 'created_at'], unique=False)

    op.create_table('alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'name', name='uq_alias_name')
    )
    with op.batch_alter_table('alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alias_item_id'), ['item_id'], unique=False)

    op.create_table('item_message',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('tenant_id', 'channel_id', 'message_id')
    )
    with op.batch_alter_table('item_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_message_item_id'), ['item_id'], unique=False)

    op.create_table('status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('old_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('new_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_change_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_status_change_tenant_created', ['tenant_id', 'created_at'], unique=False)

    op.create_table('tag',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('item_id', 'tag')
    )
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'member_id', name='uq_vote_member')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_vote_tenant_created', ['tenant_id', 'created_at', 'item_id', 'value'], unique=False)


    _create_search_index()


FTS_TRIGGERS = {
    "item_fts_ai": "AFTER INSERT ON item BEGIN "
    "INSERT INTO item_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "item_fts_ad": "AFTER DELETE ON item BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "item_fts_au": "AFTER UPDATE OF search_text ON item BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO item_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
}


def _create_search_index() -> None:
    """Trigram index for fuzzy search: FTS5 on SQLite, pg_trgm on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE item_fts USING fts5("
            "search_text, content='item', content_rowid='id', tokenize='trigram')"
        )
        for name, body in FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_item_search_trgm ON item USING gin (search_text gin_trgm_ops)"
        )


def _drop_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS item_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_item_search_trgm")


def downgrade() -> None:
    _drop_search_index()
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index('ix_vote_tenant_created')
        batch_op.drop_index(batch_op.f('ix_vote_member_id'))

    op.drop_table('vote')
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_tenant_id'))

    op.drop_table('tag')
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_status_change_tenant_created')
        batch_op.drop_index(batch_op.f('ix_status_change_item_id'))

    op.drop_table('status_change')
    with op.batch_alter_table('item_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_message_item_id'))

    op.drop_table('item_message')
    with op.batch_alter_table('alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alias_item_id'))

    op.drop_table('alias')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_tenant_kind_created')

    op.drop_table('item')
    op.drop_table('draft')
    op.drop_table('member')
    op.drop_table('tenant')
    op.drop_table('processed_event')
    op.drop_table('counter')
