"""Claims on scheduled work: one row per (tenant, job, period), unique, so a period runs once.

A process claims a period before it posts; the claim carries a lease. When the process dies
before it marks the claim done, another process takes the claim over once the lease expired.

Exactly once: the moment a post succeeded its message id is written into the claim (``sent``),
before anything else that could fail; from then on the period is settled and the message is
never posted again. What follows the post (the digest's picture) is retried on its own
(status ``picture``), bounded, and given up with a logged error. A failure before the post gives
the claim back with a backoff (``lease_until`` in the future), bounded by ``attempts``, then
``failed``. The one window left: a process killed after the platform accepted the post and
before that one UPDATE committed; its claim is taken over when the lease expires and posted
again. The window is one round trip to the store.
Every function here is one or two write statements, never a read then a write: on SQLite a
read transaction that later writes can fail when another process wrote in between.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    UniqueConstraint,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from storage.models import Tenant, _ts, utcnow

CLAIMED = "claimed"
PICTURE = "picture"  # the message is out and recorded; its picture follows (retried on its own)
POSTED = "posted"
FAILED = "failed"  # every attempt before the post failed: given up, logged
SKIPPED = "skipped"  # a period that must not go out (the schedule was just set or moved)
# What ``claim_states`` says of a period: done with (any status but claimed), or held by a live
# lease (being posted, or waiting for its retry).
SETTLED = "settled"
HELD = "held"


class JobClaim(SQLModel, table=True):
    __tablename__ = "job_claim"
    __table_args__ = (
        UniqueConstraint("tenant_id", "job", "period_key", name="uq_job_claim_period"),
        Index("ix_job_claim_status_lease", "status", "lease_until"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenant.id", max_length=100)
    job: str = Field(max_length=40)
    period_key: str = Field(max_length=40)
    status: str = Field(default=CLAIMED, max_length=16)
    owner: str = Field(default="", max_length=100)
    attempts: int = 1
    lease_until: datetime = Field(sa_column=_ts(nullable=False))
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # The delivered message (Slack ts, Discord message id), recorded the moment the post
    # succeeded: a claim that has one is never posted again.
    message_id: str | None = Field(default=None, max_length=100)
    # For a notice claim: recipients already reached, comma-separated, never messaged again.
    reached: str = Field(default="", max_length=2000)
    picture_tries: int = 0
    error: str = Field(default="", max_length=200)


class ParticipationWeek(SQLModel, table=True):
    """Contributors per department in one closed week, so the 8-week trend is not recounted.

    Only counts: no member is named. Written once per (tenant, week) when the week is over.
    """

    __tablename__ = "participation_week"
    tenant_id: str = Field(foreign_key="tenant.id", primary_key=True, max_length=100)
    week_start: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    week_end: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    counts: str = "{}"  # JSON: department ("" for none) -> contributors
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


def _naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


_PW = ParticipationWeek.__table__.c  # type: ignore[attr-defined]
# Built once: this runs in every digest, and building the select cost more than running it.
_WEEKS_KNOWN = select(_PW.week_start, _PW.week_end, _PW.counts).where(
    _PW.tenant_id == bindparam("tid"), _PW.week_start >= bindparam("first"),
    _PW.week_start <= bindparam("last"))


def weeks_known(session: Session, tenant_id: str,
                weeks: list[tuple[datetime, datetime]]) -> dict[tuple[datetime, datetime],
                                                               dict[str, int]]:
    """The stored counts of these weeks, keyed by their (start, end) as naive UTC."""
    if not weeks:
        return {}
    starts = [s for s, _ in weeks]
    rows = session.connection().execute(
        _WEEKS_KNOWN, {"tid": tenant_id, "first": min(starts), "last": max(starts)}).all()
    wanted = {(_naive_utc(s), _naive_utc(e)) for s, e in weeks}
    out = {}
    for start, end, counts in rows:
        key = (_naive_utc(start), _naive_utc(end))
        if key in wanted:
            out[key] = {str(k): int(v) for k, v in json.loads(counts).items()}
    return out


def remember_weeks(session: Session, tenant_id: str,
                   weeks: list[tuple[datetime, datetime, dict[str, int]]], now: datetime) -> None:
    """Store closed weeks' counts; a week another process stored first is left as it is."""
    table = ParticipationWeek.__table__  # type: ignore[attr-defined]
    ins = (postgresql.insert(table) if session.get_bind().dialect.name == "postgresql"
           else sqlite.insert(table))
    for start, end, counts in weeks:
        session.execute(ins.values(tenant_id=tenant_id, week_start=start, week_end=end,
                                   counts=json.dumps(counts, sort_keys=True),
                                   created_at=now).on_conflict_do_nothing())


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    table = JobClaim.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _key(tenant_id: str, job: str, period_key: str) -> list[object]:
    return [
        JobClaim.tenant_id == tenant_id,
        JobClaim.job == job,
        JobClaim.period_key == period_key,
    ]


def claim(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
          now: datetime, lease_until: datetime) -> bool:
    """Take the period for ``owner``: True when it is now ours (new, or an expired lease)."""
    stmt = _insert(session).values(
        tenant_id=tenant_id, job=job, period_key=period_key, status=CLAIMED, owner=owner,
        attempts=1, lease_until=lease_until, claimed_at=now,
    ).on_conflict_do_nothing().returning(JobClaim.id)  # type: ignore[arg-type]
    # RETURNING, not rowcount: PostgreSQL drivers report -1 for INSERT … ON CONFLICT here.
    if session.execute(stmt).first() is not None:
        return True
    takeover = (
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED, JobClaim.lease_until < now)  # type: ignore[arg-type]
        .values(owner=owner, lease_until=lease_until, claimed_at=now,
                attempts=JobClaim.attempts + 1)
        .returning(JobClaim.id)  # type: ignore[arg-type]
    )
    return session.execute(takeover).first() is not None


def claim_many(session: Session, *, job: str, keys: Iterable[tuple[str, str]], owner: str,
               now: datetime, lease_until: datetime) -> set[tuple[str, str]]:
    """``claim`` for many (tenant, period) pairs in two statements; the pairs now ours.

    New claims are inserted together (a pair another process holds is left alone); the rest
    are taken over together where their lease is over. Two round trips for a batch, not two
    per period: a thousand tenants due in one minute are claimed in a few dozen."""
    # In one order in every process: two batches inserting the same keys in different
    # orders wait on each other's unique-index entries (a deadlock on PostgreSQL).
    wanted = sorted(dict.fromkeys(keys))
    if not wanted:
        return set()
    stmt = _insert(session).values([
        {"tenant_id": t, "job": job, "period_key": k, "status": CLAIMED, "owner": owner,
         "attempts": 1, "lease_until": lease_until, "claimed_at": now} for t, k in wanted
    ]).on_conflict_do_nothing().returning(JobClaim.tenant_id, JobClaim.period_key)  # type: ignore[arg-type]
    won = {(str(t), str(k)) for t, k in session.execute(stmt).all()}
    rest = [(t, k) for t, k in wanted if (t, k) not in won]
    if rest:
        takeover = (
            update(JobClaim)
            .where(JobClaim.job == job,  # type: ignore[arg-type]
                   or_(*[and_(JobClaim.tenant_id == t,  # type: ignore[arg-type]
                              JobClaim.period_key == k)  # type: ignore[arg-type]
                         for t, k in rest]),
                   JobClaim.status == CLAIMED, JobClaim.lease_until < now)  # type: ignore[arg-type]
            .values(owner=owner, lease_until=lease_until, claimed_at=now,
                    attempts=JobClaim.attempts + 1)
            .returning(JobClaim.tenant_id, JobClaim.period_key)  # type: ignore[arg-type]
        )
        won |= {(str(t), str(k)) for t, k in session.execute(takeover).all()}
    return won


def finish(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
           now: datetime) -> bool:
    """Mark our claim posted. False when the lease was lost to another process meanwhile."""
    stmt = (
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(status=POSTED, done_at=now)
        .returning(JobClaim.id)  # type: ignore[arg-type]
    )
    return session.execute(stmt).first() is not None


def sent(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
         message_id: str, now: datetime, lease_until: datetime, follow_up: bool) -> bool:
    """Record the delivered message at once: the period is settled and never posted again.

    ``follow_up``: something still goes after the message (the picture); the claim stays ours
    until ``lease_until`` while we send it. Any process's live claim is recorded, so a lease
    lost during a slow post still ends as one recorded message.
    """
    stmt = (
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED)  # type: ignore[arg-type]
        .values(status=PICTURE if follow_up else POSTED, message_id=message_id[:100],
                owner=owner, lease_until=lease_until, done_at=None if follow_up else now,
                error="")
        .returning(JobClaim.id)  # type: ignore[arg-type]
    )
    return session.execute(stmt).first() is not None


def retry_later(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
                now: datetime, until: datetime, error: str, give_up: bool) -> None:
    """A failure before the post: try again after ``until``, or give up (``failed``)."""
    values: dict[str, object] = {"lease_until": until, "error": error[:200]}
    if give_up:
        values.update(status=FAILED, done_at=now)
    session.execute(
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(**values)
    )


def claim_follow_up(session: Session, *, tenant_id: str, job: str, period_key: str,
                    owner: str, now: datetime, lease_until: datetime) -> str | None:
    """Take a posted claim whose picture is still due; its message id, or None when not ours."""
    stmt = (
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == PICTURE, JobClaim.lease_until < now)  # type: ignore[arg-type]
        .values(owner=owner, lease_until=lease_until)
        .returning(JobClaim.message_id)  # type: ignore[arg-type]
    )
    row = session.execute(stmt).first()
    return None if row is None else str(row[0])


def follow_up_done(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
                   now: datetime, error: str = "") -> None:
    """The picture went out (or was given up, with ``error``): the claim is posted."""
    session.execute(
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == PICTURE, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(status=POSTED, done_at=now, error=error[:200])
    )


def follow_up_failed(session: Session, *, tenant_id: str, job: str, period_key: str,
                     owner: str, until: datetime, error: str) -> None:
    """The picture failed: count it and try again after ``until``; the message stays."""
    session.execute(
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == PICTURE, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(picture_tries=JobClaim.picture_tries + 1, lease_until=until,
                error=error[:200])
    )


def follow_ups_due(session: Session, *, job: str, now: datetime,
                   tenant_ids: Iterable[str] | None = None) -> list[JobClaim]:
    """Posted claims whose follow-up (the picture) is due now, oldest first."""
    return _lease_over(session, job=job, status=PICTURE, now=now, tenant_ids=tenant_ids)


def open_claims(session: Session, *, job: str, now: datetime,
                tenant_ids: Iterable[str] | None = None) -> list[JobClaim]:
    """Claims of ``job`` not settled and not held by a live lease (pending or to retry)."""
    return _lease_over(session, job=job, status=CLAIMED, now=now, tenant_ids=tenant_ids)


def _lease_over(session: Session, *, job: str, status: str, now: datetime,
                tenant_ids: Iterable[str] | None) -> list[JobClaim]:
    stmt = select(JobClaim).where(JobClaim.job == job, JobClaim.status == status,
                                  JobClaim.lease_until < now)  # type: ignore[arg-type]
    if tenant_ids is not None:
        stmt = stmt.where(JobClaim.tenant_id.in_(list(tenant_ids)))  # type: ignore[attr-defined]
    # Sorted here, not by ORDER BY id: with the ORDER BY, SQLite's planner (after ANALYZE,
    # which sees one common status) walks the whole table in id order instead of the
    # (status, lease_until) index; the rows wanted are few.
    return sorted(session.execute(stmt).scalars(), key=lambda c: c.id or 0)


def pending(session: Session, *, tenant_id: str, job: str, period_key: str,
            now: datetime, settled: bool = False) -> None:
    """A claim for work still to do (a notice to send), due at once; kept if it exists.
    ``settled``: the caller delivers it itself right now, so nobody else ever sends it."""
    due = now - timedelta(seconds=1)  # claimable by a tick at this same instant
    session.execute(_insert(session).values(
        tenant_id=tenant_id, job=job, period_key=period_key,
        status=POSTED if settled else CLAIMED, owner="", attempts=0, lease_until=due,
        claimed_at=now, done_at=now if settled else None).on_conflict_do_nothing())


def claim_row(session: Session, *, tenant_id: str, job: str, period_key: str) -> JobClaim | None:
    return session.execute(
        select(JobClaim).where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
    ).scalars().first()


def reached_some(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
                 reached: Iterable[str]) -> None:
    """Remember who a notice already reached, so a retry never messages them again."""
    session.execute(
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(reached=",".join(reached)[:2000])
    )


def release(session: Session, *, tenant_id: str, job: str, period_key: str, owner: str,
            now: datetime) -> None:
    """Give a claim back at once (posting failed): the next tick may try again."""
    session.execute(
        update(JobClaim)
        .where(*_key(tenant_id, job, period_key))  # type: ignore[arg-type]
        .where(JobClaim.status == CLAIMED, JobClaim.owner == owner)  # type: ignore[arg-type]
        .values(lease_until=now)
    )


def release_held(session: Session, *, owner: str, now: datetime) -> int:
    """Every live claim of ``owner`` (not yet posted, or its picture owed) expires now."""
    rows = session.execute(
        update(JobClaim)
        .where(JobClaim.owner == owner,  # type: ignore[arg-type]
               JobClaim.status.in_((CLAIMED, PICTURE)),  # type: ignore[attr-defined]
               JobClaim.lease_until > now)  # type: ignore[arg-type]
        .values(lease_until=now)
        .returning(JobClaim.id)  # type: ignore[arg-type]
    ).all()
    return len(rows)


def skip(session: Session, *, tenant_id: str, job: str, period_key: str, now: datetime) -> None:
    """Settle a period without posting it, unless it was already posted."""
    stmt = _insert(session).values(
        tenant_id=tenant_id, job=job, period_key=period_key, status=SKIPPED, owner="",
        attempts=0, lease_until=now, claimed_at=now, done_at=now,
    ).on_conflict_do_update(
        index_elements=["tenant_id", "job", "period_key"],
        set_={"status": SKIPPED, "done_at": now},
        where=JobClaim.status != POSTED,  # type: ignore[arg-type]
    )
    session.execute(stmt)


def claim_states(session: Session, *, job: str, pairs: Iterable[tuple[str, str]],
                 now: datetime) -> dict[tuple[str, str], str]:
    """Of these (tenant, period) pairs, the ones ``SETTLED`` or ``HELD`` by a live lease;
    a pair not in the answer may be claimed now."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = session.execute(
        select(JobClaim.tenant_id, JobClaim.period_key, JobClaim.status).where(
            JobClaim.job == job,
            JobClaim.tenant_id.in_({t for t, _ in wanted}),  # type: ignore[attr-defined]
            JobClaim.period_key.in_({k for _, k in wanted}),  # type: ignore[attr-defined]
            or_(JobClaim.status != CLAIMED, JobClaim.lease_until >= now),  # type: ignore[arg-type]
        )
    ).all()
    return {(t, k): HELD if status == CLAIMED else SETTLED
            for t, k, status in rows if (t, k) in wanted}


def blocked(session: Session, *, job: str, pairs: Iterable[tuple[str, str]],
            now: datetime) -> set[tuple[str, str]]:
    """Of these (tenant, period) pairs, the ones settled or held by a live lease."""
    return set(claim_states(session, job=job, pairs=pairs, now=now))


_TENANT = Tenant.__table__  # type: ignore[attr-defined]
_T = _TENANT.c
# Core statements on the table (executemany), never the ORM's bulk update by primary key.
_MOVE_FROM_NULL = update(_TENANT).where(
    _T.id == bindparam("tid"), _T.digest_due_at.is_(None)).values(
    digest_due_at=bindparam("after", type_=_T.digest_due_at.type))
_MOVE = update(_TENANT).where(
    _T.id == bindparam("tid"),
    _T.digest_due_at == bindparam("before", type_=_T.digest_due_at.type)).values(
    digest_due_at=bindparam("after", type_=_T.digest_due_at.type))


def move_due(session: Session,
             moves: Iterable[tuple[str, datetime | None, datetime]]) -> int:
    """Set tenants' due times, each only where it still holds what was read (``before``): a
    schedule changed in between keeps the time its change stored. Returns the moves tried."""
    moves = list(moves)
    from_null = [{"tid": t, "after": a} for t, b, a in moves if b is None]
    moved = [{"tid": t, "before": b, "after": a} for t, b, a in moves if b is not None]
    conn = session.connection()
    if from_null:
        conn.execute(_MOVE_FROM_NULL, from_null)
    if moved:
        conn.execute(_MOVE, moved)
    return len(from_null) + len(moved)


def claims_of(session: Session, tenant_id: str, job: str) -> list[JobClaim]:
    """Every claim of a tenant's job, oldest first: for tests and ``mydata``-style views."""
    return list(session.execute(
        select(JobClaim).where(JobClaim.tenant_id == tenant_id, JobClaim.job == job)
        .order_by(JobClaim.id)  # type: ignore[arg-type]
    ).scalars())
