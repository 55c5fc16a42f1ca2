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

from sqlalchemy import select
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


def due(session: Session, now: datetime, *, platforms: Iterable[str] | None = None,
        tenant_ids: Iterable[str] | None = None) -> list[tuple[str, Period]]:
    """Tenants whose latest period has not gone out and is not held by a live claim.

    A period that ended before the tenant existed is never due; an uninstalled tenant has none.
    """
    stmt = select(Tenant).where(Tenant.digest_enabled.is_(True),  # type: ignore[attr-defined]
                                Tenant.digest_channel.is_not(None),  # type: ignore[union-attr]
                                Tenant.uninstalled_at.is_(None))  # type: ignore[union-attr]
    if tenant_ids is not None:
        stmt = stmt.where(Tenant.id.in_(list(tenant_ids)))  # type: ignore[attr-defined]
    wanted = {f"{p}:" for p in platforms} if platforms is not None else None
    candidates: list[tuple[str, Period]] = []
    for tenant in session.execute(stmt).scalars():
        if wanted is not None and not any(tenant.id.startswith(p) for p in wanted):
            continue
        period = current_period(tenant, now)
        created = tenant.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        if period.end < created:
            continue
        candidates.append((tenant.id, period))
    held = digests.blocked(session, job=DIGEST_JOB, pairs=[(t, p.key) for t, p in candidates],
                           now=now)
    return [(t, p) for t, p in candidates if (t, p.key) not in held]


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
    """After the schedule or channel changes: the period already past must not go out now."""
    period = current_period(tenant, now)
    digests.skip(session, tenant_id=tenant.id, job=DIGEST_JOB, period_key=period.key, now=now)
