"""Pulse answers leave no order behind: the row is keyed by (pulse, keyed hash) with no
sequential id and no time (and no rowid on SQLite); answers to closed pulses are sealed under
random keys; the anonymity threshold is at least 3.

Revision ID: 0007
Revises: 0006
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIN_K = 3
_COPY = "item_id, answer_key, tenant_id, value, department"


def _unordered(name: str) -> sa.Table:
    """The new shape; created under a temporary name first, then under its own."""
    return op.create_table(
        name,
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("item_id", "answer_key"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.execute(sa.text(f"UPDATE tenant SET anonymity_k = {MIN_K} WHERE anonymity_k < {MIN_K}"))
    # Copy out, drop the old table (its constraint and index names free up on PostgreSQL),
    # create the new one under the old name and copy back, in key order rather than id order.
    _unordered("pulse_answer_tmp")
    op.execute(f"INSERT INTO pulse_answer_tmp ({_COPY}) SELECT {_COPY} FROM pulse_answer")
    # Answers to closed pulses can no longer change: they are sealed under random keys, as
    # closing a pulse now does, so nothing leads from them to anyone.
    conn = op.get_bind()
    sealed = conn.execute(sa.text(
        "SELECT a.item_id, a.answer_key FROM pulse_answer_tmp a JOIN item i ON i.id = a.item_id "
        "WHERE i.kind = 'pulse' AND i.status = 'closed'")).all()
    for item_id, key in sealed:
        conn.execute(sa.text("UPDATE pulse_answer_tmp SET answer_key = :new "
                             "WHERE item_id = :item AND answer_key = :key"),
                     {"new": secrets.token_hex(32), "item": item_id, "key": key})
    op.drop_index("ix_pulse_answer_item_value", table_name="pulse_answer")
    op.drop_index("ix_pulse_answer_tenant_created", table_name="pulse_answer")
    op.drop_index("ix_pulse_answer_item_id", table_name="pulse_answer")
    op.drop_table("pulse_answer")
    _unordered("pulse_answer")
    op.execute(f"INSERT INTO pulse_answer ({_COPY}) SELECT {_COPY} FROM pulse_answer_tmp "
               "ORDER BY item_id, answer_key")
    op.drop_table("pulse_answer_tmp")
    op.create_index("ix_pulse_answer_item_value", "pulse_answer",
                    ["tenant_id", "item_id", "value"], unique=False)


def downgrade() -> None:
    """Back to the id-and-timestamp shape; the lost times come back as the downgrade's time."""
    op.create_table(
        "pulse_answer_tmp",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.execute(f"INSERT INTO pulse_answer_tmp ({_COPY}) SELECT {_COPY} FROM pulse_answer")
    op.drop_index("ix_pulse_answer_item_value", table_name="pulse_answer")
    op.drop_table("pulse_answer")
    op.create_table(
        "pulse_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "answer_key", name="uq_pulse_answer_key"),
    )
    op.execute(f"INSERT INTO pulse_answer ({_COPY}, created_at) SELECT {_COPY}, "
               "CURRENT_TIMESTAMP FROM pulse_answer_tmp")
    op.drop_table("pulse_answer_tmp")
    op.create_index("ix_pulse_answer_item_id", "pulse_answer", ["item_id"], unique=False)
    op.create_index("ix_pulse_answer_tenant_created", "pulse_answer",
                    ["tenant_id", "created_at"], unique=False)
    op.create_index("ix_pulse_answer_item_value", "pulse_answer",
                    ["tenant_id", "item_id", "value"], unique=False)
