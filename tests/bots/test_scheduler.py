"""The digest scheduler: exactly once across real OS processes, lease takeover, the console.

The multi-process tests start separate Python processes (multiprocessing, spawn) on the one
store of the test (a SQLite file, or PostgreSQL with HROMADA_TEST_DATABASE_URL). Each runs the
real claim-and-post loop on its own driven clock; a barrier makes them tick together.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing as mp
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bots.console.chat import ConsoleChat
from bots.console.delivery import ConsoleDelivery
from bots.delivery import Deliveries
from bots.scheduler import DigestRunner, batch_notices, send_notices, start_scheduler
from core import schedule
from core.app import Hromada
from core.clock import ManualClock, OffsetClock
from core.replies import Notice, Reply
from core.text import Rich
from storage import digests
from storage.db import Database
from storage.models import Tenant

TENANTS = ("console:north", "console:south")
FIRST = datetime(2026, 1, 5, 12, tzinfo=UTC)  # a Monday, after 09:00 in Kyiv


class RecordingDelivery:
    """Appends one line per posted digest to a file; may die on its first post (SIGKILL)."""

    platform = "console"

    def __init__(self, path: str, *, die: bool = False) -> None:
        self.path, self.die = path, die

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        if self.die:
            os.kill(os.getpid(), signal.SIGKILL)
        title = reply.title.plain() if reply.title else ""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{tenant_id}|{channel_id}|{title}|{os.getpid()}\n")
        return f"m-{os.getpid()}"

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        return None

    async def notify(self, tenant_id: str, notices: list[Notice]) -> None:
        raise AssertionError("no notices here")


def _worker(url: str, instants: list[datetime], barrier: object, out: str, die: bool,
            image_dir: str, concurrency: int = 16) -> None:
    """One scheduler process: tick at each instant of its driven clock."""
    db = Database(url)
    clock = ManualClock(instants[0])
    hromada = Hromada(db, secret=b"test-secret", clock=clock)
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery(out, die=die))
    runner = DigestRunner(hromada, deliveries, owner=f"proc-{os.getpid()}",
                          tenant_ids=TENANTS, image_dir=Path(image_dir),
                          concurrency=concurrency)

    async def main() -> None:
        for instant in instants:
            if barrier is not None:
                barrier.wait(timeout=120)  # type: ignore[attr-defined]
            clock.set(instant)
            await runner.tick()

    asyncio.run(main())
    db.dispose()


def _tenants(db: Database) -> None:
    with db.uow() as session:
        for tid in TENANTS:
            session.add(Tenant(id=tid, name=tid, digest_channel=f"C-{tid[8:]}",
                               digest_tz="Europe/Kyiv", created_at=FIRST - timedelta(days=30)))


def _lines(*paths: Path) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p.exists():
            out += p.read_text(encoding="utf-8").splitlines()
    return out


def _posted_claims(db: Database) -> list[tuple[str, str, str]]:
    with db.uow() as session:
        return [(c.tenant_id, c.period_key, c.status) for t in TENANTS
                for c in digests.claims_of(session, t, schedule.DIGEST_JOB)]


def test_two_processes_fifty_periods_exactly_fifty_digests(db: Database, db_url: str,
                                                           tmp_path: Path) -> None:
    _tenants(db)
    instants = [FIRST + timedelta(weeks=i) for i in range(25)]  # 25 weeks × 2 tenants = 50
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [ctx.Process(target=_worker, args=(db_url, instants, barrier, str(out), False,
                                               str(tmp_path / "img")))
             for out in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0]
    lines = _lines(*outs)
    posts = [(t, title) for t, _, title, _ in (ln.split("|") for ln in lines)]
    assert len(posts) == 50
    assert len(set(posts)) == 50  # no period twice
    assert {t for t, _ in posts} == set(TENANTS)
    pids = {ln.split("|")[3] for ln in lines}
    assert len(pids) == 2, "both processes should have won some claims"
    claims = _posted_claims(db)
    assert len(claims) == 50 and {s for _, _, s in claims} == {"posted"}


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_process_killed_after_claiming_still_gets_its_digest_out_once(
        db: Database, db_url: str, tmp_path: Path, concurrency: int) -> None:
    """A process claims only what it posts at once (``concurrency``): killed on its first
    post, it holds exactly that many claims; the survivor posts the rest at once and the held
    ones when their lease is over, each once."""
    _tenants(db)
    out = tmp_path / "posts.txt"
    ctx = mp.get_context("spawn")
    doomed = ctx.Process(target=_worker, args=(db_url, [FIRST], None, str(out), True,
                                               str(tmp_path / "img"), concurrency))
    doomed.start()
    doomed.join(timeout=120)
    assert doomed.exitcode == -signal.SIGKILL
    assert _lines(out) == []
    held = _posted_claims(db)
    assert len(held) == concurrency and {h[2] for h in held} == {"claimed"}

    clock = ManualClock(FIRST + timedelta(minutes=1))
    hromada = Hromada(db, secret=b"test-secret", clock=clock)
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery(str(out)))
    runner = DigestRunner(hromada, deliveries, owner="survivor", tenant_ids=TENANTS,
                          image_dir=tmp_path / "img")
    posted = asyncio.run(runner.tick())
    held_tenants = {h[0] for h in held}
    assert {t for t, _ in posted} == set(TENANTS) - held_tenants  # never a held one
    clock.set(FIRST + schedule.LEASE + timedelta(seconds=1))
    assert sorted(asyncio.run(runner.tick())) == sorted((h[0], h[1]) for h in held)
    clock.set(FIRST + timedelta(days=2))
    assert asyncio.run(runner.tick()) == []
    lines = _lines(out)
    assert sorted(ln.split("|")[0] for ln in lines) == sorted(TENANTS)
    for tenant_id in held_tenants:
        with db.uow() as session:
            (claim,) = digests.claims_of(session, tenant_id, schedule.DIGEST_JOB)
        assert (claim.status, claim.owner, claim.attempts) == ("posted", "survivor", 2)


class FlakyDelivery(RecordingDelivery):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.failures = 1

    async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform down")
        return await super().post(tenant_id, channel_id, reply)


def test_a_failed_post_is_released_and_retried_on_the_next_tick(db: Database,
                                                                 tmp_path: Path) -> None:
    _tenants(db)
    out = tmp_path / "posts.txt"
    clock = ManualClock(FIRST)
    deliveries = Deliveries()
    deliveries.add(FlakyDelivery(str(out)))
    runner = DigestRunner(Hromada(db, secret=b"s", clock=clock), deliveries,
                          tenant_ids=TENANTS[:1], image_dir=tmp_path)
    assert asyncio.run(runner.tick()) == []
    clock.advance(timedelta(minutes=1))
    assert asyncio.run(runner.tick()) == [(TENANTS[0], "2026-01-05")]
    assert len(_lines(out)) == 1


async def test_scheduler_posts_a_missed_period_at_start(db: Database, tmp_path: Path) -> None:
    _tenants(db)
    posted = asyncio.Event()

    class Signal(RecordingDelivery):
        async def post(self, tenant_id: str, channel_id: str, reply: Reply) -> str:
            message = await super().post(tenant_id, channel_id, reply)
            posted.set()
            return message

    clock = ManualClock(FIRST + timedelta(weeks=6))  # everything was down for six weeks
    deliveries = Deliveries()
    deliveries.add(Signal(str(tmp_path / "posts.txt")))
    runner = DigestRunner(Hromada(db, secret=b"s", clock=clock), deliveries,
                          tenant_ids=TENANTS[:1], image_dir=tmp_path)
    scheduler = start_scheduler(runner)
    try:
        await asyncio.wait_for(posted.wait(), timeout=30)
    finally:
        scheduler.shutdown(wait=False)
    assert await runner.tick() == []
    (line,) = _lines(tmp_path / "posts.txt")
    assert line.startswith(f"{TENANTS[0]}|C-north|Weekly digest: 2026-02-09 – 2026-02-16")


def test_console_clock_makes_the_due_digest_post(db: Database) -> None:
    out = io.StringIO()
    clock = OffsetClock()
    clock.offset = datetime(2027, 3, 3, 12, tzinfo=UTC) - datetime.now(UTC)  # a Wednesday
    hromada = Hromada(db, secret=b"s", clock=clock)
    chat = ConsoleChat(hromada, tenant="demo", name="Olena", admin=True, out=out)
    chat.run(["/idea Dark mode for the wiki", "react +1 I-1", "/digest here", "clock +1h"])
    assert "Weekly digest" not in out.getvalue()  # the period already past was settled
    chat.run(["clock +7d"])  # past Monday 8 March 09:00 UTC, the default schedule
    text = out.getvalue()
    assert text.count("[#console] Weekly digest: 2027-03-01 – 2027-03-08") == 1
    assert "*Top ideas of the week*" in text and "I-1 “Dark mode for the wiki”" in text
    chat.run(["clock +1d", "/digest off", "clock +14d"])
    assert out.getvalue().count("[#console] Weekly digest:") == 1


def test_notices_are_batched_one_message_per_person_per_change() -> None:
    change = Rich(("I-3 is now planned",))
    other = Rich(("I-4 is now done",))
    batch = batch_notices([Notice(("u1", "u2"), change, 3), Notice(("u2", "u3"), change, 3),
                           Notice(("u1",), other, 4), Notice((), other, 5)])
    assert batch == [Notice(("u1", "u2", "u3"), change, 3), Notice(("u1",), other, 4)]
    out = io.StringIO()
    deliveries = Deliveries()
    deliveries.add(ConsoleDelivery(out, names={"u1": "Olena"}))
    sent = asyncio.run(send_notices(deliveries, "console:demo",
                                    [Notice(("u1", "u2"), change, 3), Notice(("u2",), change, 3)]))
    assert sent == 2
    assert out.getvalue().splitlines() == ["→ DM to Olena: I-3 is now planned",
                                           "→ DM to u2: I-3 is now planned"]
    assert asyncio.run(send_notices(deliveries, "slack:T1", [Notice(("u1",), change, 3)])) == 0


def test_status_change_reaches_each_voter_once(hromada: Hromada, actor) -> None:
    boss, author = actor("boss", admin=True), actor("alice")
    from tests.core.support import react, submit

    idea = submit(hromada, author, "idea", "Quiet hours on Wednesday")
    for name in ("bob", "cara"):
        react(hromada, actor(name), idea)
    reply = hromada.run(boss, "idea", "status I-1 planned")
    out = io.StringIO()
    deliveries = Deliveries()
    deliveries.add(ConsoleDelivery(out))
    sent = asyncio.run(send_notices(deliveries, "console:test", reply.notices + reply.notices))
    assert sent == 3
    lines = out.getvalue().splitlines()
    assert sorted(ln.split(":")[0] for ln in lines) == ["→ DM to alice", "→ DM to bob",
                                                       "→ DM to cara"]


@pytest.fixture(autouse=True)
def _no_leftover_children() -> object:
    yield
    for child in mp.active_children():
        child.kill()
