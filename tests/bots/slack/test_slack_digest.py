"""The weekly digest on Slack: `/digest here` names the channel, the scheduler posts there once,
as Block Kit with the heat map uploaded, and submitted text stays inert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bots.delivery import Deliveries
from bots.scheduler import DigestRunner
from bots.slack.app import SERVER_ERROR_RETRIES
from core import outbox
from storage import digests
from tests.bots.slack.harness import SlackHarness, block_text


async def test_digest_here_then_scheduled_post(hromada, clock, tmp_path: Path) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("alice", "/idea", "Quiet hours <!channel> on Wednesdays")
        card = slack.posted("C1")[-1]
        await slack.react("bob", "C1", card.ts, "+1", event_id="Ev-d1")
        await slack.command("alice", "/risk", "Only one person can renew TLS")
        await slack.command("alice", "/risk", "rate R-1 4 5")
        here = await slack.command("boss", "/digest", "here", channel="CDIGEST")
        assert "CDIGEST" in str(here.body) or here.status == 200

        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        first = await runner.tick()
        again = await runner.tick()
        await slack.settle()

        assert len(first) == 1 and again == []
        posts = [c for c in slack.calls_of("chat.postMessage")
                 if c.params.get("channel") == "CDIGEST"]
        assert len(posts) == 1
        text = block_text(posts[0].params.get("blocks") or []) + str(posts[0].params.get("text"))
        assert "Quiet hours" in text and "I-1" in text and "R-1" in text
        assert "<!channel>" not in text
        assert slack.calls_of("files.completeUploadExternal"), "the heat map is uploaded"


async def _seed(slack: SlackHarness) -> None:
    slack.add_user("boss", admin=True)
    await slack.command("alice", "/idea", "Quiet hours on Wednesdays")
    card = slack.posted("C1")[-1]
    await slack.react("bob", "C1", card.ts, "+1", event_id="Ev-d1")
    await slack.command("alice", "/risk", "Only one person can renew TLS")
    await slack.command("alice", "/risk", "rate R-1 4 5")
    await slack.command("boss", "/digest", "here", channel="CDIGEST")


HTTP_TRIES = 1 + SERVER_ERROR_RETRIES  # one call, and slack_sdk's retries of a 5xx


def _digest_posts(slack: SlackHarness) -> list:
    return [c for c in slack.calls_of("chat.postMessage") if c.params.get("channel") == "CDIGEST"]


async def test_a_failing_upload_never_posts_the_digest_again(hromada, clock, tmp_path: Path,
                                                             caplog) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _seed(slack)
        for _ in range(100):  # the upload is refused every time
            slack.fake.fail_next("files.completeUploadExternal", status=500,
                                 error="internal_error")
        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        ticks = []
        for _ in range(60):  # an hour of scheduler ticks
            ticks.append(await runner.tick())
            clock.advance(timedelta(minutes=1))
        await slack.settle()

        assert len(_digest_posts(slack)) == 1, "posted once, however often the upload fails"
        assert sum(len(t) for t in ticks) == 1
        tries = slack.calls_of("files.completeUploadExternal")
        # bounded: each try is one call and slack_sdk's retries of its 5xx answers
        assert len(tries) == outbox.PICTURE_TRIES * HTTP_TRIES
        ts = slack.posted("CDIGEST")[0].ts
        assert all(c.params.get("thread_ts") == ts for c in tries), "a reply to the digest"
        assert "digest picture not posted (try 1 of" in caplog.text
        assert "given up (the digest is posted)" in caplog.text
        with hromada.db.uow() as session:
            (claim,) = [c for c in digests.claims_of(session, "slack:T1", "digest")
                        if c.status != "skipped"]
        assert claim.status == "posted" and claim.message_id == f"CDIGEST:{ts}"
        assert "picture given up" in claim.error


async def test_a_failure_before_the_post_is_retried_and_posts_once(hromada, clock,
                                                                   tmp_path: Path,
                                                                   caplog) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _seed(slack)
        for _ in range(HTTP_TRIES):  # a 5xx through every one of slack_sdk's retries
            slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        slack.fake.fail_next("chat.postMessage", status=200, error="fatal_error")
        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        posted = []
        for _ in range(10):
            posted += await runner.tick()
            clock.advance(timedelta(minutes=1))
        await slack.settle()

        attempts = _digest_posts(slack)
        assert len(attempts) == HTTP_TRIES + 2  # two tries refused, then the one that went out
        assert len(slack.posted("CDIGEST")) == 1 and len(posted) == 1
        assert len(slack.calls_of("files.completeUploadExternal")) == 1
        assert "digest not posted (try 1 of" in caplog.text
        assert "digest not posted (try 2 of" in caplog.text


async def test_a_platform_that_stays_down_is_given_up_and_logged(hromada, clock,
                                                                 tmp_path: Path,
                                                                 caplog) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _seed(slack)
        for _ in range(100):
            slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        clock.advance(timedelta(days=7))
        runner = DigestRunner(hromada, deliveries, image_dir=tmp_path)
        for _ in range(24 * 60 // 5):  # a day of ticks, five minutes apart
            await runner.tick()
            clock.advance(timedelta(minutes=5))
        await slack.settle()

        assert len(_digest_posts(slack)) == outbox.MAX_ATTEMPTS * HTTP_TRIES
        assert slack.posted("CDIGEST") == []
        assert "digest not posted after 7 tries, given up" in caplog.text
        with hromada.db.uow() as session:
            (claim,) = [c for c in digests.claims_of(session, "slack:T1", "digest")
                        if c.status != "skipped"]
        assert claim.status == "failed" and "internal_error" in claim.error
