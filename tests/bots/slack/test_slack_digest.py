"""The weekly digest on Slack: `/digest here` names the channel, the scheduler posts there once,
as Block Kit with the heat map uploaded, and submitted text stays inert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bots.delivery import Deliveries
from bots.scheduler import DigestRunner
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
