"""When a tenant's weekly digest is due, and who may post it.

A tenant's schedule is a weekday, a wall-clock time and an IANA zone; occurrences are computed
with ``zoneinfo`` from the local date, so 09:00 stays 09:00 across DST changes. A period is the
week that ends at an occurrence; its key is the local date of that occurrence.

Exactly once: before posting, a process claims ``(tenant, job, period)`` in the database under
a unique constraint, with a lease. Only the latest occurrence is ever due, so a period missed
while everything was down goes out once at the next start, not once per missed week.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import or_, select
from sqlmodel import Session

from core.errors import InvalidInput
from core.i18n import N_
from storage import digests
from storage.db import Database
from storage.models import Tenant

DIGEST_JOB = "digest"
LEASE = timedelta(minutes=10)
WEEK = timedelta(days=7)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Ukrainian weekday names are accepted too, since tenants may speak Ukrainian.
WEEKDAYS_UK = ("понеділок", "вівторок", "середа", "четвер", "пʼятниця", "субота", "неділя")
WEEKDAYS_UK_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "нд")
SHOWN_WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                  N_("Saturday"), N_("Sunday"))
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Period:
    """The half-open window ``[start, end)`` in UTC that a digest covers; ``key`` names it."""

    key: str
    start: datetime
    end: datetime
    zone: str = "UTC"

    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.zone))

    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.zone))


# -- parsing ---------------------------------------------------------------------------


def parse_weekday(word: str) -> int:
    w = word.strip().lower().replace("'", "ʼ").replace("’", "ʼ")
    if w in WEEKDAYS_UK_SHORT:
        return WEEKDAYS_UK_SHORT.index(w)
    for names in (WEEKDAYS, WEEKDAYS_UK):
        for i, name in enumerate(names):
            if len(w) >= 2 and name.startswith(w):
                return i
    raise InvalidInput(N_("Name a weekday, like monday."))


def parse_time(text: str) -> str:
    m = _TIME.match(text.strip())
    if not m:
        raise InvalidInput(N_("Give the time as HH:MM, like 09:00."))
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_zone(name: str) -> str:
    clean = name.strip()
    if clean.upper() == "UTC":
        return "UTC"
    if "/" in clean and clean in _zones():
        return clean
    lowered = {z.lower(): z for z in _zones()}
    if clean.lower() in lowered and "/" in clean:
        return lowered[clean.lower()]
    raise InvalidInput(N_("Unknown time zone {zone}; use Area/City, like Europe/Kyiv."),
                       zone=clean[:60])


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


# -- occurrences -----------------------------------------------------------------------


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date.

    A time skipped by a DST jump maps to the instant an hour later on the wall clock
    (``fold=0`` keeps the offset from before the jump); a repeated time means its first pass.
    """
    hh, mm = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=zone).astimezone(UTC)


def latest_occurrence(weekday: int, hhmm: str, zone_name: str, now: datetime) -> datetime:
    """The last scheduled instant at or before ``now``."""
    zone = zone_of(zone_name)
    local_now = now.astimezone(zone)
    day = local_now.date() - timedelta(days=(local_now.weekday() - weekday) % 7)
    occurrence = local_at(day, hhmm, zone)
    if occurrence > now:
        occurrence = local_at(day - WEEK, hhmm, zone)
    return occurrence


def next_occurrence(weekday: int, hhmm: str, zone_name: str, now: datetime) -> datetime:
    """The first scheduled instant strictly after ``now``."""
    zone = zone_of(zone_name)
    last = latest_occurrence(weekday, hhmm, zone_name, now)
    return local_at(last.astimezone(zone).date() + WEEK, hhmm, zone)


def period_ending(end: datetime, zone_name: str, *, key: str | None = None) -> Period:
    """The week that ends at ``end``: same wall-clock time seven local days earlier."""
    zone = zone_of(zone_name)
    local_end = end.astimezone(zone)
    start = datetime.combine(local_end.date() - WEEK, local_end.time().replace(tzinfo=None),
                             tzinfo=zone).astimezone(UTC)
    return Period(key=key or local_end.date().isoformat(), start=start, end=end.astimezone(UTC),
                  zone=zone_name)


def weeks_before(period: Period, n: int) -> list[datetime]:
    """``n + 1`` UTC boundaries, oldest first, of the ``n`` weeks ending at the period's end."""
    zone = zone_of(period.zone)
    local_end = period.end.astimezone(zone)
    wall = local_end.time().replace(tzinfo=None)
    bounds = [datetime.combine(local_end.date() - WEEK * k, wall, tzinfo=zone).astimezone(UTC)
              for k in range(n, 0, -1)]
    return [*bounds, period.end]


def current_period(tenant: Tenant, now: datetime) -> Period:
    """The scheduled period whose end is the latest occurrence at or before ``now``."""
    end = latest_occurrence(tenant.digest_weekday, tenant.digest_time, tenant.digest_tz, now)
    return period_ending(end, tenant.digest_tz)


def period_of_key(tenant: Tenant, key: str) -> Period | None:
    """The scheduled period named ``key`` (its local end date), at the tenant's digest time."""
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return None
    return period_ending(local_at(day, tenant.digest_time, zone_of(tenant.digest_tz)),
                         tenant.digest_tz)


def preview_period(tenant: Tenant, now: datetime) -> Period:
    """The seven days up to now, for ``/digest preview``."""
    return period_ending(now, tenant.digest_tz, key="preview")


def next_run(tenant: Tenant, now: datetime) -> datetime:
    return next_occurrence(tenant.digest_weekday, tenant.digest_time, tenant.digest_tz, now)


# -- due periods and claims ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """A tenant whose stored due time moves on: from ``before`` (as read) to ``after``."""

    tenant_id: str
    before: datetime | None
    after: datetime


def due(session: Session, now: datetime, *, platforms: Iterable[str] | None = None,
        tenant_ids: Iterable[str] | None = None) -> list[tuple[str, Period]]:
    """Tenants whose latest period has not gone out and is not held by a live claim.

    A period that ended before the tenant existed is never due; an uninstalled tenant has none.
    """
    return due_and_moves(session, now, platforms=platforms, tenant_ids=tenant_ids)[0]


def due_and_moves(session: Session, now: datetime, *, platforms: Iterable[str] | None = None,
                  tenant_ids: Iterable[str] | None = None
                  ) -> tuple[list[tuple[str, Period]], list[Move]]:
    """The due periods, and the stored due times to move on (``advance`` writes them).

    One indexed query (``ix_tenant_digest_due``) reads only the tenants whose stored due time
    has come, or was never worked out (NULL); a quiet minute reads no tenant at all. Of those,
    a tenant whose current period is settled (posted, skipped, given up) or ended before it
    existed moves on to its next occurrence; a period held by a live claim (being posted, or
    waiting for a retry) keeps the tenant where it is, so it is looked at again.
    """
    t = Tenant.__table__.c  # type: ignore[attr-defined]
    stmt = select(t.id, t.digest_weekday, t.digest_time, t.digest_tz, t.created_at,
                  t.digest_due_at).where(
        t.digest_enabled.is_(True), t.digest_channel.is_not(None), t.uninstalled_at.is_(None),
        or_(t.digest_due_at.is_(None), t.digest_due_at <= now))
    if tenant_ids is not None:
        stmt = stmt.where(t.id.in_(list(tenant_ids)))
    wanted = tuple(f"{p}:" for p in platforms) if platforms is not None else None
    candidates: list[tuple[str, Period, datetime | None, datetime]] = []
    moves: list[Move] = []
    for tid, weekday, hhmm, tz, created, stored in session.execute(stmt).all():
        if wanted is not None and not tid.startswith(wanted):
            continue
        end = latest_occurrence(weekday, hhmm, tz, now)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        if end < created:
            moves.append(Move(tid, stored, next_occurrence(weekday, hhmm, tz, now)))
            continue
        candidates.append((tid, period_ending(end, tz), stored,
                           next_occurrence(weekday, hhmm, tz, now)))
    state = digests.claim_states(session, job=DIGEST_JOB,
                                 pairs=[(c[0], c[1].key) for c in candidates], now=now)
    found: list[tuple[str, Period]] = []
    for tid, period, stored, following in candidates:
        held = state.get((tid, period.key))
        if held is None:
            found.append((tid, period))
        elif held == digests.SETTLED:
            moves.append(Move(tid, stored, following))
    return found, moves


def advance(db: Database, moves: Iterable[Move]) -> int:
    """Store the moved due times, each only if nobody changed it since it was read (the
    schedule set meanwhile wins); returns how many moved."""
    moves = list(moves)
    if not moves:
        return 0
    with db.uow() as session:
        return digests.move_due(session, [(m.tenant_id, m.before, m.after) for m in moves])


def claim(db: Database, tenant_id: str, period: Period, *, owner: str, now: datetime,
          lease: timedelta = LEASE, job: str = DIGEST_JOB) -> bool:
    """Claim a period in its own transaction; True when this owner may post it."""
    with db.uow() as session:
        return digests.claim(session, tenant_id=tenant_id, job=job, period_key=period.key,
                             owner=owner, now=now, lease_until=now + lease)


def finish(db: Database, tenant_id: str, period: Period, *, owner: str, now: datetime,
           job: str = DIGEST_JOB) -> bool:
    with db.uow() as session:
        return digests.finish(session, tenant_id=tenant_id, job=job, period_key=period.key,
                              owner=owner, now=now)


def release(db: Database, tenant_id: str, period: Period, *, owner: str, now: datetime,
            job: str = DIGEST_JOB) -> None:
    with db.uow() as session:
        digests.release(session, tenant_id=tenant_id, job=job, period_key=period.key,
                        owner=owner, now=now)


def settle_current(session: Session, tenant: Tenant, now: datetime) -> None:
    """After the schedule or channel changes: the period already past must not go out now,
    and the tenant's stored due time is its next occurrence on the new schedule."""
    period = current_period(tenant, now)
    digests.skip(session, tenant_id=tenant.id, job=DIGEST_JOB, period_key=period.key, now=now)
    tenant.digest_due_at = next_run(tenant, now)
