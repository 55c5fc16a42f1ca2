"""tokens at rest: wrapped data keys, token columns wide enough for ciphertext, rows encrypted

Existing plaintext tokens are encrypted here when the caller passes the deployment secret
(``hromada db upgrade`` does); any left (a template store migrated without one) are encrypted
by ``TokenCipher.encrypt_plaintext`` when a process starts.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def upgrade() -> None:
    op.create_table(
        "token_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(200))
    secret = context.config.attributes.get("secret")
    if secret:
        from storage.tokens import TokenCipher

        bind = op.get_bind()
        TokenCipher(bind.engine, secret).encrypt_plaintext_in(bind)


def downgrade() -> None:
    secret = context.config.attributes.get("secret")
    if secret:
        from storage.tokens import TokenCipher

        bind = op.get_bind()
        TokenCipher(bind.engine, secret).decrypt_all_in(bind)
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(200), existing_type=sa.Text())
    op.drop_table("token_keys")
