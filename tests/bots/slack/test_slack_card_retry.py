"""An item card Slack did not take is retried, then its author gets "Post it again": the item
never stays where no reaction can reach it, and it is never posted twice."""

from __future__ import annotations

from typing import Any

import bots.slack.app as slack_app
from core.app import Hromada
from tests.bots.slack.harness import SlackHarness, block_text, buttons
from tests.bots.store_checks import score

HTTP_TRIES = 1 + slack_app.SERVER_ERROR_RETRIES  # one call and slack_sdk's retries of a 5xx



def _post_again(call: Any) -> dict[str, Any]:
    [button] = [b for b in buttons(call.params["blocks"]) if b["text"]["text"] == "Post it again"]
    return button


async def test_a_card_that_keeps_failing_offers_post_it_again(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        for _ in range(HTTP_TRIES):
            slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        await slack.command("alice", "/idea", "Standing desks for support")
        await slack.settle()
        assert len(slack.calls_of("chat.postMessage")) == HTTP_TRIES  # bounded
        assert slack.posted("C1") == []
        [private] = slack.calls_of("response_url")
        assert private.params.get("response_type") == "ephemeral"
        assert "I could not post I-1" in block_text(private.params["blocks"])
        button = _post_again(private)

        await slack.press("alice", button)
        await slack.settle()
        [card] = slack.posted("C1")
        assert "I-1" in card.text
        await slack.react("bob", "C1", card.ts, "+1")
        assert score(hromada, "idea", 1) == 1  # reactions reach the item now

        await slack.press("alice", button)  # a second press never posts it twice
        await slack.settle()
        assert len(slack.posted("C1")) == 1
        assert "already posted" in str(slack.calls_of("response_url")[-1].params)


async def test_a_passing_failure_is_retried_and_posts_once(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        await slack.command("alice", "/idea", "Standing desks for support")
        await slack.settle()
        [card] = slack.posted("C1")
        assert len(slack.calls_of("chat.postMessage")) == 2
        assert not any("Post it again" in str(c.params) for c in slack.calls_of("response_url"))
        await slack.react("bob", "C1", card.ts, "+1")
        assert score(hromada, "idea", 1) == 1


async def test_not_in_channel_is_not_retried_and_offers_post_it_again(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Posting where I am not", channel="CNOTHERE")
        await slack.settle()
        assert len(slack.calls_of("chat.postMessage")) == 1  # a refusal: no retry
        [private] = slack.calls_of("response_url")
        assert "/invite" in block_text(private.params["blocks"])
        button = _post_again(private)
        # Somebody else may not post Alice's card.
        await slack.press("bob", button, channel="CNOTHERE")
        await slack.settle()
        assert "Only who submitted I-1" in str(slack.calls_of("response_url")[-1].params)
        await slack.press("alice", button, channel="C1")  # e.g. after moving the conversation
        await slack.settle()
        [card] = slack.posted("C1")
        assert "I-1" in card.text


async def test_a_risk_saved_by_reaction_whose_answer_fails_offers_post_it_again(
        hromada: Hromada) -> None:
    """⚠️ registers a risk; its answer in the thread is what people react to. When Slack stays
    down through every retry, the reactor gets it privately with "Post it again"."""
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "Only one person can renew the TLS certificates")
        for _ in range(HTTP_TRIES):
            slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
        await slack.react("dan", "C5", said, "warning")
        await slack.settle()
        [private] = slack.calls_of("chat.postEphemeral")
        assert private.params["user"] == "UDAN"
        assert "R-1" in block_text(private.params["blocks"])
        button = _post_again(private)
        await slack.press("dan", button, channel="C5")
        await slack.settle()
        [card] = [m for m in slack.posted("C5") if "R-1" in m.text]
        await slack.react("erin", "C5", card.ts, "+1")
        assert score(hromada, "risk", 1) == 1  # the risk is reachable by reactions now
