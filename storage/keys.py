"""The deployment's one secret key, shared by every process through the store.

One row (``id = 1``) created by the first process under the primary key: insert-if-absent,
then read back, so processes starting together on SQLite or PostgreSQL all end with the same
row. When the key comes from ``HROMADA_SECRET_KEY`` only its keyed fingerprint is stored (the
key itself never is: every process has it from its environment, and the row lets a process
with a different one notice). When no key is configured, a generated key is stored in the row
itself: that is the only way for other processes to use the same one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from storage.models import _ts, utcnow

ENVIRONMENT = "environment"  # the key lives in every process's HROMADA_SECRET_KEY, not here
GENERATED = "generated"  # created by the first process, stored here for the others
ADOPTED = "adopted"  # an existing data_dir/secret.key, moved here


class DeploymentKey(SQLModel, table=True):
    __tablename__ = "deployment_key"
    id: int = Field(default=1, primary_key=True)
    key: str | None = Field(default=None, max_length=200)
    fingerprint: str = Field(max_length=64)
    source: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


def first_or_existing(session: Session, *, key: str | None, fingerprint: str, source: str,
                      now: datetime) -> DeploymentKey:
    """Store this key's row unless one exists; the row that is there afterwards."""
    table = DeploymentKey.__table__  # type: ignore[attr-defined]
    ins = (postgresql.insert(table) if session.get_bind().dialect.name == "postgresql"
           else sqlite.insert(table))
    session.execute(ins.values(id=1, key=key, fingerprint=fingerprint, source=source,
                               created_at=now).on_conflict_do_nothing())
    row = session.execute(select(DeploymentKey).where(DeploymentKey.id == 1)).scalars().one()
    return row
