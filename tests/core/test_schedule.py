"""Digest schedules on a controlled clock: DST, missed periods, `off`, claims and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import schedule
from core.app import Hromada
from core.clock import ManualClock
from core.errors import Forbidden, InvalidInput
from storage import digests
from storage.db import Database
from storage.models import Tenant
from tests.core.support import snapshot

KYIV = "Europe/Kyiv"
T = "console:test"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_0900_kyiv_keeps_wall_clock_across_both_dst_changes() -> None:
    # Kyiv moves to summer time on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    def at(now: datetime) -> datetime:
        return schedule.latest_occurrence(0, "09:00", KYIV, now)

    assert at(utc(2026, 3, 29, 12)) == utc(2026, 3, 23, 7)  # EET, UTC+2
    assert at(utc(2026, 3, 30, 6)) == utc(2026, 3, 30, 6)  # EEST, UTC+3: an hour earlier in UTC
    assert at(utc(2026, 3, 30, 5, 59)) == utc(2026, 3, 23, 7)
    assert at(utc(2026, 10, 26, 7)) == utc(2026, 10, 26, 7)  # back to EET
    assert at(utc(2026, 10, 26, 6, 30)) == utc(2026, 10, 19, 6)
    assert schedule.next_occurrence(0, "09:00", KYIV, utc(2026, 3, 24)) == utc(2026, 3, 30, 6)
    period = schedule.period_ending(utc(2026, 3, 30, 6), KYIV)
    assert period.key == "2026-03-30"
    assert period.start == utc(2026, 3, 23, 7)
    assert period.end - period.start == timedelta(hours=167)  # the short week
    autumn = schedule.period_ending(utc(2026, 10, 26, 7), KYIV)
    assert autumn.end - autumn.start == timedelta(hours=169)


def test_skipped_and_repeated_wall_clock_times_give_one_occurrence() -> None:
    # 03:30 does not exist on 29 March in Kyiv and happens twice on 25 October.
    spring = schedule.latest_occurrence(6, "03:30", KYIV, utc(2026, 3, 29, 12))
    assert spring == utc(2026, 3, 29, 1, 30)  # 04:30 summer time, an hour later on the wall
    autumn = schedule.latest_occurrence(6, "03:30", KYIV, utc(2026, 10, 25, 12))
    assert autumn == utc(2026, 10, 25, 0, 30)  # the first pass, in summer time
    assert schedule.latest_occurrence(6, "03:30", KYIV, utc(2026, 10, 25, 1)) == autumn


def test_weeks_before_follow_local_midnights_across_dst() -> None:
    period = schedule.period_ending(utc(2026, 4, 6, 6), KYIV)
    bounds = schedule.weeks_before(period, 8)
    assert len(bounds) == 9 and bounds[-1] == period.end and bounds[-2] == period.start
    local_times = {b.astimezone(schedule.zone_of(KYIV)).strftime("%a %H:%M") for b in bounds}
    assert local_times == {"Mon 09:00"}


def test_parsers_accept_what_people_type_and_refuse_the_rest() -> None:
    assert schedule.parse_weekday("Mon") == 0
    assert schedule.parse_weekday("friday") == 4
    assert schedule.parse_weekday("неділя") == 6
    assert schedule.parse_weekday("пн") == 0 and schedule.parse_weekday("пʼят") == 4
    assert schedule.parse_weekday("п'ятниця") == 4
    assert schedule.parse_time("9:05") == "09:05"
    assert schedule.parse_zone("europe/kyiv") == KYIV
    assert schedule.parse_zone("UTC") == "UTC"
    for bad in ("x", "m", ""):
        with pytest.raises(InvalidInput):
            schedule.parse_weekday(bad)
    for bad in ("25:00", "9", "09:60", "nine"):
        with pytest.raises(InvalidInput):
            schedule.parse_time(bad)
    for bad in ("Mars/Olympus", "Kyiv", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            schedule.parse_zone(bad)


def _tenant(db: Database, *, created: datetime, channel: str | None = "C1",
            weekday: int = 0, at: str = "09:00", tz: str = KYIV) -> None:
    with db.uow() as session:
        session.add(Tenant(id=T, name="test", digest_channel=channel, digest_weekday=weekday,
                           digest_time=at, digest_tz=tz, created_at=created))


def _due(db: Database, now: datetime) -> list[str]:
    with db.uow() as session:
        return [p.key for _, p in schedule.due(session, now, tenant_ids=[T])]


def _post(db: Database, now: datetime, owner: str = "a") -> list[str]:
    """One pass of the claim loop without a platform: claim, then mark posted."""
    out = []
    with db.uow() as session:
        found = schedule.due(session, now, tenant_ids=[T])
    for tenant_id, period in found:
        if schedule.claim(db, tenant_id, period, owner=owner, now=now):
            assert schedule.finish(db, tenant_id, period, owner=owner, now=now)
            out.append(period.key)
    return out


def test_driven_hourly_clock_posts_once_a_week_at_0900_local_across_dst(db: Database) -> None:
    _tenant(db, created=utc(2026, 3, 15))
    now, end = utc(2026, 3, 16), utc(2026, 4, 14)
    posted: list[tuple[datetime, str]] = []
    while now < end:
        posted += [(now, key) for key in _post(db, now)]
        now += timedelta(minutes=30)
    assert [k for _, k in posted] == ["2026-03-16", "2026-03-23", "2026-03-30", "2026-04-06",
                                      "2026-04-13"]
    # Every post happens at the first tick at or after 09:00 Kyiv: 07:00 UTC in winter time,
    # 06:00 UTC from the week DST began.
    assert [t for t, _ in posted] == [utc(2026, 3, 16, 7), utc(2026, 3, 23, 7),
                                      utc(2026, 3, 30, 6), utc(2026, 4, 6, 6),
                                      utc(2026, 4, 13, 6)]


def test_missed_weeks_post_once_at_the_next_start(db: Database) -> None:
    _tenant(db, created=utc(2026, 3, 1))
    assert _post(db, utc(2026, 3, 2, 8)) == ["2026-03-02"]
    # Everything was down for five weeks: one digest at start, for the latest period only.
    assert _post(db, utc(2026, 4, 8, 12)) == ["2026-04-06"]
    assert _post(db, utc(2026, 4, 8, 12, 1)) == []
    assert _post(db, utc(2026, 4, 12)) == []
    assert _post(db, utc(2026, 4, 13, 6)) == ["2026-04-13"]
    with db.uow() as session:
        keys = [c.period_key for c in digests.claims_of(session, T, schedule.DIGEST_JOB)]
    assert keys == ["2026-03-02", "2026-04-06", "2026-04-13"]


def test_periods_before_the_tenant_existed_or_without_channel_are_never_due(db: Database) -> None:
    _tenant(db, created=utc(2026, 3, 4), channel=None)
    assert _due(db, utc(2026, 3, 5)) == []
    with db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        tenant.digest_channel = "C1"
        session.add(tenant)
    assert _due(db, utc(2026, 3, 5)) == []  # the 2 March period ended before the tenant began
    assert _due(db, utc(2026, 3, 9, 7)) == ["2026-03-09"]


def test_lease_lets_another_process_take_over_a_dead_claim(db: Database) -> None:
    _tenant(db, created=utc(2026, 3, 1))
    now = utc(2026, 3, 2, 8)
    period = schedule.current_period(_get(db), now)
    assert schedule.claim(db, T, period, owner="a", now=now)
    assert not schedule.claim(db, T, period, owner="b", now=now)
    assert _due(db, now + timedelta(minutes=5)) == []  # held by a live lease
    later = now + schedule.LEASE + timedelta(seconds=1)
    assert _due(db, later) == ["2026-03-02"]
    assert schedule.claim(db, T, period, owner="b", now=later)
    assert not schedule.claim(db, T, period, owner="c", now=later)
    assert not schedule.finish(db, T, period, owner="a", now=later)  # "a" lost it
    assert schedule.finish(db, T, period, owner="b", now=later)
    assert _due(db, later + timedelta(days=1)) == []
    with db.uow() as session:
        (claim,) = digests.claims_of(session, T, schedule.DIGEST_JOB)
    assert (claim.status, claim.owner, claim.attempts) == ("posted", "b", 2)


def _get(db: Database) -> Tenant:
    with db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        return tenant


def test_digest_commands_set_the_schedule_and_off_stops_it(hromada: Hromada, actor,
                                                           clock: ManualClock) -> None:
    boss = actor("boss", admin=True)
    boss_here = type(boss)(**{**boss.__dict__, "channel_id": "C-digest"})
    reply = hromada.run(boss_here, "digest", "here")
    assert "C-digest" in reply.footer
    reply = hromada.run(boss, "digest", "schedule fri 17:30 Europe/Kyiv")
    assert "Friday" in reply.text.plain() and "17:30" in reply.text.plain()
    tenant = _get(hromada.db)
    assert (tenant.digest_weekday, tenant.digest_time, tenant.digest_tz) == (4, "17:30", KYIV)
    # The schedule is set on Monday 2 March: the Friday 27 February period is settled, not sent.
    with hromada.db.uow() as session:
        session.get(Tenant, T).created_at = utc(2026, 1, 1)  # type: ignore[union-attr]
    assert _due(hromada.db, clock.now()) == []
    assert _due(hromada.db, utc(2026, 3, 6, 15, 30)) == ["2026-03-06"]
    hromada.run(boss, "digest", "off")
    assert _due(hromada.db, utc(2026, 3, 6, 15, 30)) == []
    assert _due(hromada.db, utc(2026, 5, 1, 15, 30)) == []
    assert "off" in hromada.run(boss, "digest", "preview").footer


def test_bad_digest_commands_answer_usage_and_write_nothing(hromada: Hromada, actor) -> None:
    boss, member = actor("boss", admin=True), actor("mia")
    hromada.run(boss, "hromada", "help")
    hromada.run(member, "hromada", "help")
    before = snapshot(hromada.db)
    for text in ("schedule someday 09:00 UTC", "schedule mon 9am UTC",
                 "schedule mon 09:00 Atlantis", "schedule mon 09:00"):
        with pytest.raises(InvalidInput):
            hromada.run(boss, "digest", text)
    with pytest.raises(InvalidInput):
        hromada.run(boss, "digest", "here")  # the platform did not say which channel
    with pytest.raises(Forbidden):
        hromada.run(member, "digest", "off")
    assert snapshot(hromada.db) == before
