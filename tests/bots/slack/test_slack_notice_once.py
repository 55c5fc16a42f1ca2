"""Status notices on Slack: a passing failure of a direct message is tried again, so each
person is told once; a lasting one is tried a bounded number of times and logged."""

from __future__ import annotations

import bots.slack.app as slack_app
from core.app import Hromada
from tests.bots.slack.harness import SlackHarness

HTTP_TRIES = 1 + slack_app.SERVER_ERROR_RETRIES  # one call and slack_sdk's retries of a 5xx



async def _voted_idea(slack: SlackHarness) -> None:
    slack.add_user("boss", admin=True)
    await slack.command("alice", "/idea", "Bike racks at the back entrance")
    ts = slack.posted("C1")[-1].ts
    await slack.react("bob", "C1", ts, "+1")


async def test_a_passing_failure_still_tells_each_person_once(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await _voted_idea(slack)
        slack.fake.fail_next("conversations.open", status=503, error="service_unavailable")
        await slack.command("boss", "/idea", "status I-1 planned")
        await slack.settle()
        assert len(slack.dms("alice")) == 1 and len(slack.dms("bob")) == 1


async def test_a_lasting_failure_is_bounded_and_logged(hromada: Hromada, caplog) -> None:
    async with SlackHarness.running(hromada) as slack:
        await _voted_idea(slack)
        for _ in range(20):
            slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        await slack.command("boss", "/idea", "status I-1 planned")
        await slack.settle()
        # Two people, each tried HTTP_TRIES times; nothing delivered, nothing endless.
        dms = [c for c in slack.calls_of("chat.postMessage")
               if str(c.params.get("channel", "")).startswith("D")]
        assert len(dms) == 2 * HTTP_TRIES
        assert caplog.text.count("direct message failed") == 2
