"""Slack end to end with real payload shapes and real refusals (issue 10, section 7).

Payloads are built in tests/fakes/payloads/slack.py after bolt-python's published samples;
Slack's refusals come from the fake Web API (``refuse_next``) as Slack sends them: HTTP 200,
``{"ok": false, "error": ...}``. A refusal is the member's business (told privately, with the
ref) and one warning line in the log, never a traceback.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from core.app import Hromada
from storage.models import Item
from tests.bots.slack.harness import SlackHarness, block_text
from tests.bots.store_checks import score
from tests.fakes.payloads import slack as payloads

REFUSED = {
    "channel_not_found": "I cannot post in this conversation",
    "restricted_action": "does not let me post there",
    "not_in_channel": "/invite @Hromada",
    "is_archived": "This channel is archived",
}


def snippet(hromada: Hromada, number: int = 1) -> Item:
    with hromada.db.uow() as session:
        return session.execute(select(Item).where(Item.kind == "snippet",
                                                  Item.number == number)).scalar_one()


def assert_one_warning_no_traceback(caplog: pytest.LogCaptureFixture, error: str) -> None:
    records = [r for r in caplog.records if r.name.startswith(("bots", "core", "slack"))]
    assert not [r for r in records if r.exc_info], [r.getMessage() for r in records]
    assert "Traceback" not in caplog.text
    warnings = [r for r in records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in warnings] == [logging.WARNING], [r.getMessage() for r in warnings]
    assert error in warnings[0].getMessage()


def private_text(body: dict) -> str:
    return f"{body.get('text', '')}\n{block_text(body.get('blocks') or [])}"


@pytest.mark.parametrize("error", sorted(REFUSED))
async def test_a_refused_post_answers_through_the_response_url(
    hromada: Hromada, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        slack.fake.refuse_next("chat.postMessage", error)
        answer = await slack.command("alice", "/idea", "Quiet hours on Wednesday mornings")
        assert answer.body is not None and answer.body.get("response_type") == "ephemeral"
        said = private_text(answer.body)
        assert "I-1" in said and REFUSED[error] in said
        assert slack.posted("C1") == []
    assert_one_warning_no_traceback(caplog, error)


async def test_a_refused_button_answer_reaches_the_member(
    hromada: Hromada, caplog: pytest.LogCaptureFixture
) -> None:
    """The duplicate prompt's "submit anyway" posts publicly; refused, it comes back privately."""
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Standing desks in room 4")
        prompt = await slack.command("bob", "/idea", "Standing desks in room four")
        from tests.bots.slack.harness import buttons

        anyway = next(b for b in buttons(prompt.body["blocks"]) if "anyway" in
                      b["text"]["text"].lower())
        slack.fake.refuse_next("chat.postMessage", "restricted_action")
        caplog.clear()
        await slack.press("bob", anyway)
        [private] = [c.params for c in slack.calls_of("response_url")
                     if c.params["name"].startswith("btn")]
        assert "I-2" in private_text(private) and REFUSED["restricted_action"] in private_text(
            private)
    assert_one_warning_no_traceback(caplog, "restricted_action")


async def test_shortcut_in_a_dm_the_bot_cannot_see_answers_with_the_ref(
    hromada: Hromada, caplog: pytest.LogCaptureFixture
) -> None:
    """The message shortcut in a DM between two members: Slack lets the bot neither read the
    conversation (no permalink) nor post in it; the ref comes back through the response_url."""
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        dm = "D0CAROLDAN"
        said = slack.say("carol", dm, "The staging VPN profile works on Fridays only")
        slack.fake.refuse_next("chat.getPermalink", "channel_not_found")
        slack.fake.refuse_next("chat.postMessage", "channel_not_found")
        ack = await slack.shortcut("dan", dm, said, channel_name="directmessage")
        assert ack.status == 200
        [private] = [c.params for c in slack.calls_of("response_url")]
        assert "K-1" in private_text(private)
        assert REFUSED["channel_not_found"] in private_text(private)
        assert slack.calls_of("chat.postEphemeral") == []
        saved = snippet(hromada)
        assert "staging VPN profile" in saved.body + saved.title
        assert saved.source_link == f"https://t1.slack.com/archives/{dm}/p{said.replace('.', '')}"
        assert saved.source_author == "Carol"
    assert_one_warning_no_traceback(caplog, "channel_not_found")


@pytest.mark.parametrize("error", ["is_archived", "restricted_action", "not_in_channel"])
async def test_books_whose_thread_answer_is_refused_tells_the_reactor(
    hromada: Hromada, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "Release notes live in the wiki under Ops")
        slack.fake.refuse_next("chat.postMessage", error)
        await slack.react("dan", "C5", said, "books")
        [ephemeral] = slack.calls_of("chat.postEphemeral")
        assert ephemeral.params["user"] == "UDAN"
        assert "K-1" in private_text(ephemeral.params)
        assert REFUSED[error] in private_text(ephemeral.params)
    assert_one_warning_no_traceback(caplog, error)


async def test_when_even_the_ephemeral_is_refused_the_member_gets_a_dm(
    hromada: Hromada, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "Release notes live in the wiki under Ops")
        slack.fake.refuse_next("chat.postMessage", "is_archived")
        slack.fake.refuse_next("chat.postEphemeral", "is_archived")
        await slack.react("dan", "C5", said, "books")
        [dm] = slack.dms("dan")
        assert "K-1" in private_text(dm.params)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_refused_home_is_one_warning(hromada: Hromada,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with SlackHarness.running(hromada) as slack:
        slack.fake.refuse_next("views.publish", "restricted_action")
        await slack.open_home("alice")
    assert_one_warning_no_traceback(caplog, "restricted_action")


# -- words only in attachments or blocks ---------------------------------------------------


async def test_books_on_a_bot_message_with_only_attachments_saves_their_words(
    hromada: Hromada,
) -> None:
    async with SlackHarness.running(hromada) as slack:
        msg = payloads.classic_bot_message(attachments=[payloads.attachment(
            pretext="Weekly on-call handover", title="Pager rotation",
            text="Escalate to the platform lead after 15 minutes",
            field=("Priority", "High"), fallback="Pager rotation summary")])
        ts = slack.fake.add_message("T1", "C6", msg.pop("text"), user=None, **msg)
        await slack.react("dan", "C6", ts, "books")
        [answer] = [m for m in slack.posted("C6") if m.thread_ts == ts]
        assert "K-1" in answer.text
        saved = snippet(hromada)
        words = saved.title + "\n" + saved.body
        for part in ("Weekly on-call handover", "Pager rotation",
                     "Escalate to the platform lead after 15 minutes", "Priority: High"):
            assert part in words
        found = await slack.command("erin", "/kb", "on-call handover")
        assert "K-1" in block_text(found.body["blocks"])


async def test_books_on_an_app_message_with_only_blocks_saves_their_words(
    hromada: Hromada,
) -> None:
    async with SlackHarness.running(hromada) as slack:
        msg = payloads.app_message(team="T1", blocks=[
            payloads.section("*Deploy freeze* from Friday 18:00", "Owner: <@UCAROL>",
                             "Until: Monday"),
            payloads.rich_text(" asks for a rollback plan", mention="UERIN"),
        ])
        ts = slack.fake.add_message("T1", "C6", msg.pop("text"), user=msg.pop("user"), **msg)
        slack.add_user("carol")
        slack.add_user("erin")
        await slack.react("dan", "C6", ts, "books")
        saved = snippet(hromada)
        words = saved.title + "\n" + saved.body
        for part in ("Deploy freeze", "Friday 18:00", "Owner: @Carol", "Until: Monday",
                     "@Erin asks for a rollback plan"):
            assert part in words


async def test_shortcut_on_a_message_with_blocks_and_attachments(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "", attachments=[payloads.attachment(
            pretext="", title="Runbook: database failover", text="", field=("Step 1", "Freeze"),
            fallback="Runbook")], blocks=[])
        await slack.shortcut("dan", "C5", said)
        saved = snippet(hromada)
        assert "Runbook: database failover" in saved.title + saved.body
        assert "Step 1: Freeze" in saved.body + saved.title


async def test_books_on_a_message_with_no_words_anywhere_says_so(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C5", "", blocks=[{"type": "divider", "block_id": "d"}],
                         attachments=[{"image_url": "https://x.example/cat.png", "id": 1}])
        await slack.react("dan", "C5", said, "books")
        [ephemeral] = slack.calls_of("chat.postEphemeral")
        assert "could not read" in ephemeral.params["text"]
        assert [m for m in slack.posted("C5") if m.thread_ts] == []


# -- skin tones on Slack -------------------------------------------------------------------


async def test_removing_a_skin_tone_while_plain_thumbs_remain_keeps_the_vote(
    hromada: Hromada,
) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Standing desks in room 4")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1")
        await slack.react("bob", "C1", ts, "+1::skin-tone-2")
        assert score(hromada, "idea", 1) == 1
        await slack.react("bob", "C1", ts, "+1::skin-tone-2", added=False)
        assert score(hromada, "idea", 1) == 1  # 👍 still there
        await slack.react("bob", "C1", ts, "+1", added=False)
        assert score(hromada, "idea", 1) == 0
        # 👍 then 👎: 👎 decides; taking 👎 back leaves 👍 standing
        await slack.react("bob", "C1", ts, "+1::skin-tone-5")
        await slack.react("bob", "C1", ts, "-1")
        assert score(hromada, "idea", 1) == -1
        await slack.react("bob", "C1", ts, "-1", added=False)
        assert score(hromada, "idea", 1) == 1
