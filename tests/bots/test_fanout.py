"""Many digests due at once: each tenant's stored due time follows its schedule, two processes
post every digest once, and a platform's 429 is waited out (``Retry-After``) and never turns
into a second post, on Slack and on Discord."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr

from bots.delivery import Deliveries
from bots.scheduler import DigestRunner, aligned_start
from bots.slack.app import build_app
from core import schedule
from core.app import Hromada
from core.clock import ManualClock
from core.config import Settings
from storage import digests
from storage.db import Database
from storage.models import Tenant
from tests.bots.discord.harness import DiscordHarness
from tests.bots.test_scheduler import RecordingDelivery, _lines
from tests.fakes.rate_limits import RateLimitedDiscord, RateLimitedSlack
from tests.fakes.slack_api import FakeSlack


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _due_at(db: Database, tenant_id: str) -> datetime | None:
    with db.uow() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        found = tenant.digest_due_at
    return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)


def test_a_schedule_change_stores_the_next_due_time(hromada: Hromada, actor, clock) -> None:
    boss = replace(actor("boss", admin=True), channel_id="CDIGEST")
    hromada.run(boss, "digest", "here")
    # Set on Monday 2 March 2026, 09:00 UTC: Friday 16:00 in Kyiv is 14:00 UTC (winter time).
    hromada.run(boss, "digest", "schedule friday 16:00 Europe/Kyiv")
    assert _due_at(hromada.db, boss.tenant_id) == utc(2026, 3, 6, 14)
    # Moved on Tuesday 24 March to Monday 09:00 Kyiv: the next Monday is in summer time.
    clock.set(utc(2026, 3, 24, 12))
    hromada.run(boss, "digest", "schedule monday 09:00 Europe/Kyiv")
    assert _due_at(hromada.db, boss.tenant_id) == utc(2026, 3, 30, 6)


async def test_after_a_run_the_due_time_moves_a_week_on_and_quiet_ticks_read_nobody(
        hromada: Hromada, actor, clock, tmp_path: Path) -> None:
    boss = replace(actor("boss", admin=True), channel_id="CDIGEST")
    hromada.run(boss, "digest", "here")
    hromada.run(boss, "digest", "schedule friday 16:00 Europe/Kyiv")
    out = tmp_path / "posts.txt"
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery(str(out)))
    runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
    assert await runner.tick() == []
    clock.set(utc(2026, 3, 6, 14, 1))
    assert await runner.tick() == [(boss.tenant_id, "2026-03-06")]
    assert _due_at(hromada.db, boss.tenant_id) == utc(2026, 3, 6, 14)  # moved on next tick
    clock.set(utc(2026, 3, 6, 14, 2))
    assert await runner.tick() == []
    assert _due_at(hromada.db, boss.tenant_id) == utc(2026, 3, 13, 14)
    # Until then the due query finds nothing to read, let alone to move.
    with hromada.db.uow() as session:
        assert schedule.due_and_moves(session, utc(2026, 3, 13, 13, 59)) == ([], [])
    clock.set(utc(2026, 3, 13, 14))
    assert await runner.tick() == [(boss.tenant_id, "2026-03-13")]
    assert len(_lines(out)) == 2


def test_a_schedule_set_while_a_tick_read_the_old_one_keeps_its_due_time(
        hromada: Hromada, actor, clock) -> None:
    boss = replace(actor("boss", admin=True), channel_id="CDIGEST")
    hromada.run(boss, "digest", "here")
    with hromada.db.uow() as session:  # a tick reads: the current period already went out
        tenant = session.get(Tenant, boss.tenant_id)
        assert tenant is not None
        tenant.digest_due_at = None
    clock.set(utc(2026, 3, 2, 9, 30))
    with hromada.db.uow() as session:
        _, moves = schedule.due_and_moves(session, clock.now())
    assert [m.tenant_id for m in moves] == [boss.tenant_id]
    hromada.run(boss, "digest", "schedule wednesday 10:00 UTC")  # meanwhile, a new schedule
    schedule.advance(hromada.db, moves)  # the tick's stale move comes late
    assert _due_at(hromada.db, boss.tenant_id) == utc(2026, 3, 4, 10)


MANY = tuple(f"console:t{i:02d}" for i in range(30))
FIRST = utc(2026, 1, 5, 12)


def _many_worker(url: str, instants: list[datetime], barrier: object, out: str) -> None:
    """One scheduler process over MANY tenants: tick at each instant of its driven clock."""
    db = Database(url)
    clock = ManualClock(instants[0])
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery(out))
    runner = DigestRunner(Hromada(db, secret=b"test-secret", clock=clock), deliveries,
                          tenant_ids=MANY, concurrency=4)

    async def main() -> None:
        for instant in instants:
            barrier.wait(timeout=120)  # type: ignore[attr-defined]
            clock.set(instant)
            await runner.tick()

    asyncio.run(main())
    db.dispose()


def test_two_processes_many_tenants_due_together_each_digest_once(db: Database, db_url: str,
                                                                  tmp_path: Path) -> None:
    with db.uow() as session:
        for tid in MANY:
            session.add(Tenant(id=tid, name=tid, digest_channel=f"C-{tid[8:]}",
                               digest_tz="Europe/Kyiv", created_at=FIRST - timedelta(days=30)))
    # Three Mondays, each ticked twice (the second tick moves the due times on).
    instants = [FIRST + timedelta(weeks=w, minutes=m) for w in range(3) for m in (0, 1)]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [ctx.Process(target=_many_worker, args=(db_url, instants, barrier, str(out)))
             for out in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0]
    lines = _lines(*outs)
    posts = [(t, title) for t, _, title, _ in (ln.split("|") for ln in lines)]
    assert len(posts) == len(MANY) * 3 and len(set(posts)) == len(posts)
    assert len({ln.split("|")[3] for ln in lines}) == 2, "both processes posted some"
    with db.uow() as session:
        claims = [c for t in MANY for c in digests.claims_of(session, t, schedule.DIGEST_JOB)]
    assert len(claims) == len(MANY) * 3 and {c.status for c in claims} == {"posted"}
    next_monday = utc(2026, 1, 26, 7)  # 09:00 in Kyiv
    assert {_due_at(db, t) for t in MANY} == {next_monday}


async def test_slack_429_waits_for_retry_after_and_posts_once(hromada: Hromada, clock,
                                                              tmp_path: Path) -> None:
    fake = RateLimitedSlack()
    await fake.start()
    ws = fake.add_workspace("T1")
    try:
        with hromada.db.uow() as session:
            session.add(Tenant(id="slack:T1", name="T1", digest_channel="CDIGEST",
                               created_at=clock.now() - timedelta(days=30)))
        deliveries = Deliveries()
        settings = Settings(_env_file=None, slack_bot_token=SecretStr(ws.bot_token),  # type: ignore[call-arg]
                            slack_signing_secret=SecretStr("s"), slack_api_url=fake.api_url)
        build_app(hromada, settings, deliveries)
        channel = f"{ws.bot_token}/CDIGEST"
        assert fake.limit.wait(channel) == 0  # someone just posted there: the next one waits
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        assert await runner.tick() == [("slack:T1", "2026-03-02")]
        assert await runner.tick() == []
        posts = fake.calls_of("chat.postMessage")
        assert len(posts) == 2 and fake.limit.refused == 1, "refused once, then accepted"
        assert fake.limit.early == 0, "the retry waited for Retry-After"
        assert len(fake.messages("T1", "CDIGEST")) == 1, "posted once"
        with hromada.db.uow() as session:
            (claim,) = digests.claims_of(session, "slack:T1", schedule.DIGEST_JOB)
        assert claim.status == "posted"
    finally:
        await fake.stop()


async def test_slack_429_beyond_the_clients_retries_backs_off_and_posts_once(
        hromada: Hromada, clock, tmp_path: Path) -> None:
    fake = FakeSlack()  # 429s from its own queue, no channel limit on top
    await fake.start()
    ws = fake.add_workspace("T1")
    try:
        with hromada.db.uow() as session:
            session.add(Tenant(id="slack:T1", name="T1", digest_channel="CDIGEST",
                               created_at=clock.now() - timedelta(days=30)))
        deliveries = Deliveries()
        settings = Settings(_env_file=None, slack_bot_token=SecretStr(ws.bot_token),  # type: ignore[call-arg]
                            slack_signing_secret=SecretStr("s"), slack_api_url=fake.api_url)
        build_app(hromada, settings, deliveries)
        for _ in range(4):  # one call and slack_sdk's three retries, all refused
            fake.fail_next("chat.postMessage", status=429, retry_after=0)
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        assert await runner.tick() == []
        assert fake.messages("T1", "CDIGEST") == []
        assert await runner.tick() == [], "backing off: not retried at once"
        clock.advance(timedelta(minutes=1))
        assert await runner.tick() == [("slack:T1", "2026-03-02")]
        clock.advance(timedelta(minutes=1))
        assert await runner.tick() == []
        assert len(fake.messages("T1", "CDIGEST")) == 1
        assert len(fake.calls_of("chat.postMessage")) == 5
    finally:
        await fake.stop()


async def test_discord_429_waits_for_retry_after_and_posts_once(hromada: Hromada, clock,
                                                                tmp_path: Path) -> None:
    h = DiscordHarness(hromada)
    limited = RateLimitedDiscord()
    limited.guilds, limited.users = h.fake.guilds, h.fake.users
    limited._ids = h.fake._ids
    limited.app_id, limited.bot_user = h.fake.app_id, h.fake.bot_user
    h.fake = limited  # the harness's guild and channel, served with the channel limit
    await h.start()
    try:
        with hromada.db.uow() as session:
            session.add(Tenant(id=h.tenant, name="Acme", digest_channel=str(h.channel),
                               created_at=clock.now() - timedelta(days=30)))
        assert limited.limit.wait(str(h.channel)) == 0  # a message just went there
        runner = DigestRunner(hromada, h.deliveries, image_dir=tmp_path)
        assert await runner.tick() == [(h.tenant, "2026-03-02")]
        assert await runner.tick() == []
        posts = [c for c in limited.calls if c.method == "POST"
                 and c.path == f"/channels/{h.channel}/messages"]
        assert limited.limit.refused >= 1 and limited.limit.early == 0
        assert len(posts) == 1 + limited.limit.refused, "every refused post was retried once"
        assert limited.limit.accepted[str(h.channel)] == 2, "the marker and the digest, once"
    finally:
        await h.stop()


def test_the_digest_tick_runs_just_after_each_whole_minute() -> None:
    """Digests fall due at whole minutes: every process's tick comes right after one, not up
    to a minute later depending on when the process started."""
    started = utc(2026, 3, 2, 8, 59, 37)
    start = aligned_start(60, started)
    assert start == utc(2026, 3, 2, 8, 59, 1)
    trigger = IntervalTrigger(seconds=60, start_date=start)
    assert trigger.get_next_fire_time(None, started) == utc(2026, 3, 2, 9, 0, 1)
