"""Side effects exactly once: scheduled posts and notices through claims in the store.

A digest (or a coffee introduction) is a claim row (``storage.digests``). The process that
holds it posts, then records the delivered message in the same row before anything else can
fail, so a later failure (the picture, the marking) never leads to a second post. A failure
before the post is retried with an exponential backoff across scheduler ticks, at most
``MAX_ATTEMPTS`` times, each one logged, then marked ``failed`` with a logged error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import digests
from storage.db import Database

MAX_ATTEMPTS = 7  # tries before the post: 30 s, 1, 2, 4, 8, 16 min apart (~31 min in all)
PICTURE_TRIES = 5  # tries of the picture that follows a posted digest
BACKOFF = timedelta(seconds=30)
LEASE = timedelta(minutes=10)


def backoff(attempt: int) -> timedelta:
    """How long to wait after the ``attempt``-th failure (1-based): doubling from 30 s."""
    return BACKOFF * 2 ** max(0, min(attempt, 12) - 1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a failed try: given up, or the next try's time."""

    attempt: int
    gave_up: bool
    next_try: datetime | None


def claim(db: Database, tenant_id: str, job: str, key: str, *, owner: str, now: datetime,
          lease: timedelta = LEASE) -> bool:
    with db.uow() as session:
        return digests.claim(session, tenant_id=tenant_id, job=job, period_key=key, owner=owner,
                             now=now, lease_until=now + lease)


def claim_many(db: Database, job: str, keys: list[tuple[str, str]], *, owner: str,
               now: datetime, lease: timedelta = LEASE) -> set[tuple[str, str]]:
    """Claim a batch of (tenant, key)s in one transaction; the ones now ours."""
    with db.uow() as session:
        return digests.claim_many(session, job=job, keys=keys, owner=owner, now=now,
                                  lease_until=now + lease)


def sent(db: Database, tenant_id: str, job: str, key: str, *, owner: str, message_id: str,
         now: datetime, follow_up: bool, lease: timedelta = LEASE) -> bool:
    """Record the delivered message: from now on the claim is never posted again."""
    with db.uow() as session:
        return digests.sent(session, tenant_id=tenant_id, job=job, period_key=key, owner=owner,
                            message_id=message_id, now=now, lease_until=now + lease,
                            follow_up=follow_up)


def failed(db: Database, tenant_id: str, job: str, key: str, *, owner: str, now: datetime,
           error: str, max_attempts: int = MAX_ATTEMPTS) -> Outcome:
    """A try before the post failed: back off, or give up after ``max_attempts``."""
    with db.uow() as session:
        row = digests.claim_row(session, tenant_id=tenant_id, job=job, period_key=key)
        attempt = row.attempts if row is not None else max_attempts
        gave_up = attempt >= max_attempts
        until = now + backoff(attempt)
        digests.retry_later(session, tenant_id=tenant_id, job=job, period_key=key, owner=owner,
                            now=now, until=until, error=error, give_up=gave_up)
    return Outcome(attempt, gave_up, None if gave_up else until)


def follow_ups_due(db: Database, job: str, *, now: datetime,
                   tenant_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """(tenant, key) of posted claims whose picture is still to send."""
    with db.uow() as session:
        return [(c.tenant_id, c.period_key)
                for c in digests.follow_ups_due(session, job=job, now=now,
                                                tenant_ids=tenant_ids)]


def claim_follow_up(db: Database, tenant_id: str, job: str, key: str, *, owner: str,
                    now: datetime, lease: timedelta = LEASE) -> str | None:
    with db.uow() as session:
        return digests.claim_follow_up(session, tenant_id=tenant_id, job=job, period_key=key,
                                       owner=owner, now=now, lease_until=now + lease)


def follow_up_done(db: Database, tenant_id: str, job: str, key: str, *, owner: str,
                   now: datetime) -> None:
    with db.uow() as session:
        digests.follow_up_done(session, tenant_id=tenant_id, job=job, period_key=key,
                               owner=owner, now=now)


def follow_up_failed(db: Database, tenant_id: str, job: str, key: str, *, owner: str,
                     now: datetime, error: str, max_tries: int = PICTURE_TRIES) -> Outcome:
    """The picture failed: retry later, or give it up (the message stays, posted once)."""
    with db.uow() as session:
        row = digests.claim_row(session, tenant_id=tenant_id, job=job, period_key=key)
        attempt = (row.picture_tries if row is not None else max_tries) + 1
        if attempt >= max_tries:
            digests.follow_up_done(session, tenant_id=tenant_id, job=job, period_key=key,
                                   owner=owner, now=now, error=f"picture given up: {error}")
            return Outcome(attempt, True, None)
        until = now + backoff(attempt)
        digests.follow_up_failed(session, tenant_id=tenant_id, job=job, period_key=key,
                                 owner=owner, until=until, error=error)
    return Outcome(attempt, False, until)


def status_of(db: Database, tenant_id: str, job: str, key: str) -> digests.JobClaim | None:
    with db.uow() as session:
        return digests.claim_row(session, tenant_id=tenant_id, job=job, period_key=key)


def open_claims(db: Database, job: str, *, now: datetime,
                platforms: list[str] | None = None) -> list[tuple[str, str]]:
    """(tenant, key) of owed work of ``job`` that nobody holds: new, or due for a retry."""
    with db.uow() as session:
        rows = digests.open_claims(session, job=job, now=now)
    wanted = tuple(f"{p}:" for p in platforms) if platforms is not None else None
    return [(c.tenant_id, c.period_key) for c in rows
            if wanted is None or c.tenant_id.startswith(wanted)]


def reached(db: Database, tenant_id: str, job: str, key: str, *, owner: str,
            recipients: list[str]) -> None:
    """Add ``recipients`` to those this claim's notice already reached (never told again)."""
    with db.uow() as session:
        row = digests.claim_row(session, tenant_id=tenant_id, job=job, period_key=key)
        before = [r for r in (row.reached if row is not None else "").split(",") if r]
        digests.reached_some(session, tenant_id=tenant_id, job=job, period_key=key, owner=owner,
                             reached=list(dict.fromkeys(before + recipients)))


def release_held(db: Database, *, owner: str, now: datetime) -> int:
    """Every claim ``owner`` still holds (unposted, or its picture owed) becomes takeable now:
    a stopping process hands its work on instead of making others wait out its lease."""
    with db.uow() as session:
        return digests.release_held(session, owner=owner, now=now)
