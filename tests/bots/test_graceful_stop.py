"""SIGTERM: a `hromada serve` process finishes what it holds (a digest being posted), gives
its claims back, exits 0, and a restart posts nothing twice and loses nothing."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta
from pathlib import Path

from bots.serve import GRACE_SECONDS
from storage import digests
from storage.db import Database
from storage.models import Tenant, utcnow
from tests.bots.processes import base_env, logs, serving
from tests.bots.slack.harness import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlack

DIGEST = "CDIGEST"


def due_tenant(db: Database) -> None:
    with db.uow() as session:
        session.add(Tenant(id="slack:T1", name="T1", digest_channel=DIGEST,
                           created_at=utcnow() - timedelta(days=30)))


def digest_posts(fake: FakeSlack) -> list:
    return [c for c in fake.calls_of("chat.postMessage") if c.params.get("channel") == DIGEST]


async def test_sigterm_finishes_the_digest_in_flight_and_a_restart_posts_nothing_twice(
        db: Database, db_url: str, tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    fake.add_workspace("T1")
    fake.slow["chat.postMessage"] = 2.0  # the digest is in flight when SIGTERM comes
    due_tenant(db)
    env = base_env(db_url, tmp_path / "data")
    env.update({"SLACK_BOT_TOKEN": fake.workspaces["T1"].bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url})
    try:
        with serving([env], tmp_path / "first") as served:
            await fake.wait_for(lambda _c: bool(digest_posts(fake)), timeout=60)
            started = time.monotonic()
            served[0].process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(served[0].process.wait, GRACE_SECONDS + 20)
            took = time.monotonic() - started
            first_log = logs(served)
        assert code == 0, first_log
        assert "stopping: finishing the work in flight" in first_log and "stopped" in first_log
        assert took < GRACE_SECONDS + 15, first_log  # bounded: a hung stop is a bug
        with db.uow() as session:
            claims = [c for c in digests.claims_of(session, "slack:T1", "digest")
                      if c.status != digests.SKIPPED]
        # The post the process was making when told to stop was finished and recorded.
        assert [c.status for c in claims] in (["posted"], ["picture"]), first_log
        assert claims[0].message_id

        fake.slow.clear()
        with serving([env], tmp_path / "second") as served:
            await asyncio.sleep(0)  # let it start; then watch it tick for a while
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "Running job" not in served[0].text():
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)  # a few more ticks of the restarted scheduler
            second_log = logs(served)
        assert len(digest_posts(fake)) == 1, second_log
    finally:
        await fake.stop()


def test_a_claim_held_at_stop_is_given_back(db: Database, hromada) -> None:
    """What SIGTERM does with a claim it could not finish: it expires now, not after the
    lease, so another process takes it on its next tick."""
    from bots.delivery import Deliveries
    from bots.scheduler import DigestRunner
    from core import outbox, schedule

    due_tenant(db)
    now = hromada.clock.now()
    runner = DigestRunner(hromada, Deliveries(), owner="stopping-process")
    assert outbox.claim(db, "slack:T1", schedule.DIGEST_JOB, "2026-W09", owner=runner.owner,
                        now=now, lease=timedelta(minutes=10))
    assert not outbox.claim(db, "slack:T1", schedule.DIGEST_JOB, "2026-W09", owner="other",
                            now=now + timedelta(seconds=1), lease=timedelta(minutes=10))
    assert runner.release_held() == 1
    assert outbox.claim(db, "slack:T1", schedule.DIGEST_JOB, "2026-W09", owner="other",
                        now=now + timedelta(seconds=1), lease=timedelta(minutes=10))
    assert runner.release_held() == 0  # not ours any more

