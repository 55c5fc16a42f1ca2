"""Gateway IDENTIFY turns shared by every process on one store.

Discord lets a bot start one session per rate-limit bucket (``shard_id % max_concurrency``)
every 5 seconds, counted over all its processes and machines. Each bucket has one row: when its
next IDENTIFY may start. A process reserves a turn with one upsert that moves that time on by
the window and returns how long to wait for the reserved turn; the row lock the upsert takes
(PostgreSQL) or the database write lock (SQLite) orders concurrent reservations, and one
statement never reads then writes, so no reservation is lost between processes. On PostgreSQL
the time comes from the database server's clock, so machines with skewed clocks still agree.
"""

from __future__ import annotations

import time

from sqlalchemy import Float, Integer, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from storage.db import Database


class GatewayIdentify(SQLModel, table=True):
    __tablename__ = "gateway_identify"

    bucket: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={
        "autoincrement": False})
    # Seconds since the epoch (the store's clock) when this bucket's next IDENTIFY may start.
    next_at: float = Field(default=0.0, sa_type=Float)


def reserve_identify(db: Database, bucket: int, window: float) -> float:
    """Reserve the bucket's next IDENTIFY turn; returns the seconds to wait for it (>= 0)."""
    table = GatewayIdentify.__table__  # type: ignore[attr-defined]
    if db.is_sqlite:
        now = literal(time.time(), Float)
        insert, latest = sqlite.insert(table), func.max
    else:
        now = func.extract("epoch", func.clock_timestamp()).cast(Float)
        insert, latest = postgresql.insert(table), func.greatest
    # The reserved turn is max(now, the stored next_at); the row then holds turn + window.
    stmt = insert.values(bucket=bucket, next_at=now + window).on_conflict_do_update(
        index_elements=[table.c.bucket],
        set_={"next_at": latest(table.c.next_at, now) + window},
    ).returning(table.c.next_at - window - now)
    with db.uow() as session:
        wait = session.connection().execute(stmt).scalar_one()
    return max(0.0, float(wait))
