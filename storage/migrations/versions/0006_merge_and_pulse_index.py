"""Join the feature branches (culture, digest, Slack installations, search version) into one
line, and index pulse answers by item and value for the digest's per-pulse counts.

Revision ID: 0006
Revises: 0002, 0003, 0004, 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pulse_answer_item_value", "pulse_answer",
                    ["tenant_id", "item_id", "value"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pulse_answer_item_value", table_name="pulse_answer")
