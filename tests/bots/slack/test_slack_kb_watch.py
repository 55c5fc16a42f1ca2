"""Slack end to end: questions in watched channels get snippets privately
(``chat.postEphemeral``), "This answered it" counts once, retried events answer once, and an
unwatched channel leaves no trace. Real Bolt, signed ``message`` events and ``block_actions``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.app import Hromada
from storage.models import KnowledgeGap, SnippetFeedback
from tests.bots.slack.harness import SlackHarness, block_text, buttons, user_id
from tests.core.support import snapshot

VPN = "add VPN for contractors | Contractors get VPN access from the IT portal"


def message_event(slack: SlackHarness, name: str, channel: str, text: str,
                  **fields: Any) -> dict[str, Any]:
    """A member's new message as the Events API sends it (``message.channels``)."""
    ts = slack.say(name, channel, text, **fields)
    event = {"type": "message", "channel": channel, "user": user_id(name), "text": text,
             "ts": ts, "event_ts": ts, "channel_type": "channel",
             "client_msg_id": "8c5ee8e4-ffc7-4dc6-9f7a-3c2c9a4e8a11", "team": slack.team}
    event.update(fields)
    return event


def helpful(hromada: Hromada) -> list[int]:
    with hromada.db.uow() as session:
        return [r.helpful for r in session.execute(select(SnippetFeedback)).scalars()]


async def watching(slack: SlackHarness, channel: str = "C1") -> None:
    slack.add_user("boss", admin=True)
    await slack.command("boss", "/kb", VPN, channel=channel)
    said = (await slack.command("boss", "/kb", "watch here", channel=channel)).body["text"]
    assert "up to three" in said


async def test_a_question_gets_snippets_only_the_asker_sees(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        public = len(slack.calls_of("chat.postMessage"))
        event = message_event(slack, "bob", "C1", "How do contractors get VPN access?")
        assert (await slack.event(event, event_id="EvQ1")).status == 200
        [offer] = slack.calls_of("chat.postEphemeral")
        assert offer.params["channel"] == "C1" and offer.params["user"] == user_id("bob")
        assert "K-1" in block_text(offer.params["blocks"])
        assert "VPN for contractors" in block_text(offer.params["blocks"])
        assert len(slack.calls_of("chat.postMessage")) == public  # nothing in the channel
        labels = [b["text"]["text"] for b in buttons(offer.params["blocks"])]
        assert labels == ["This answered it", "Not it"]

        # Slack retries the event (same event_id, X-Slack-Retry-Num): answered once
        await slack.event(event, event_id="EvQ1", retry_num=1)
        await slack.event(event, event_id="EvQ1", retry_num=2)
        assert len(slack.calls_of("chat.postEphemeral")) == 1

        yes = buttons(offer.params["blocks"])[0]
        await slack.press("bob", yes)
        await slack.press("bob", yes)  # a double click
        assert helpful(hromada) == [1]
        answers = [c.params for c in slack.calls_of("response_url")]
        assert "Glad it helped" in block_text(answers[0]["blocks"])
        assert "counted already" in block_text(answers[1]["blocks"])

        # an unrelated question gets nothing at all
        await slack.event(message_event(slack, "bob", "C1", "Where is the coffee machine?"))
        assert len(slack.calls_of("chat.postEphemeral")) == 1


async def test_not_it_offers_colleagues_and_the_save_reminder(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        await slack.command("ann", "/people", "me skills vpn, contractors")
        await slack.event(message_event(slack, "bob", "C1", "how do contractors get vpn?"))
        [offer] = slack.calls_of("chat.postEphemeral")
        no = buttons(offer.params["blocks"])[1]
        await slack.press("eve", no)  # not her question
        refused = block_text(slack.calls_of("response_url")[-1].params["blocks"])
        assert "Only the member who asked" in refused
        await slack.press("bob", no)
        shown = block_text(slack.calls_of("response_url")[-1].params["blocks"])
        assert "Ann" in shown and "📚" in shown


async def test_an_unwatched_channel_leaves_no_trace(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        before = snapshot(hromada.db)
        for n, line in enumerate(["How do contractors get VPN access?",
                                  "my salary question: why so low?"]):
            await slack.event(message_event(slack, f"newcomer{n}", "C9", line),
                              event_id=f"EvU{n}")
        assert snapshot(hromada.db) == before
        assert slack.calls_of("chat.postEphemeral") == []
        strangers = {user_id("newcomer0"), user_id("newcomer1")}
        assert not [c for c in slack.calls_of("users.info") if c.params.get("user") in strangers]
        assert slack.calls_of("conversations.history") == []


async def test_bots_edits_subtypes_and_thread_replies_are_not_questions(
        hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        bot_user = slack.fake.workspaces["T1"].bot_user_id
        question = "How do contractors get VPN access?"
        root = slack.say("carol", "C1", "Release notes")
        for extra in ({"bot_id": "B999", "bot_profile": {"id": "B999", "name": "other"}},
                      {"subtype": "bot_message", "bot_id": "B888"},
                      {"subtype": "channel_join"},
                      {"subtype": "thread_broadcast", "thread_ts": root},
                      {"thread_ts": root}):
            await slack.event(message_event(slack, "carol", "C1", question, **extra))
        own = message_event(slack, "carol", "C1", question)
        own["user"] = bot_user
        await slack.event(own)
        edited = {"type": "message", "subtype": "message_changed", "channel": "C1",
                  "hidden": True, "ts": "1700000099.000100", "event_ts": "1700000099.000100",
                  "message": {"type": "message", "user": user_id("carol"), "text": question,
                              "ts": root, "edited": {"user": user_id("carol"),
                                                     "ts": "1700000099.000000"}},
                  "previous_message": {"type": "message", "user": user_id("carol"),
                                       "text": "Release notes", "ts": root}}
        await slack.event(edited)
        assert slack.calls_of("chat.postEphemeral") == []


async def test_a_question_that_pings_everyone_pings_nobody(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        await slack.command("boss", "/hromada", "settings threshold 3")
        await slack.event(message_event(slack, "bob", "C1",
                                        "<!channel> how do contractors get VPN? <!everyone>"))
        for n, name in enumerate(("ann", "bob", "cat")):
            await slack.event(message_event(
                slack, name, "C1", f"<!here> <!channel> where is the zebra room? {n}"))
        sent = [c for c in slack.calls if c.method.startswith("chat.")
                or c.method == "response_url"]
        assert len(slack.calls_of("chat.postEphemeral")) == 1
        for call in sent:
            assert "<!channel>" not in call.dump() and "<!everyone>" not in call.dump()
            assert "<!here>" not in call.dump()
        gaps = (await slack.command("boss", "/kb", "gaps")).body["text"]
        assert "zebra room" in gaps and "channel" not in gaps.split("zebra")[0][-30:]
        with hromada.db.uow() as session:
            words = session.execute(select(KnowledgeGap.words)).scalars().all()
        assert all("channel" not in w and "here" not in w for w in words)


async def test_plain_members_cannot_watch_or_see_gaps(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await watching(slack)
        refused = (await slack.command("bob", "/kb", "watch here", channel="C2")).body["text"]
        assert "Only moderators" in refused
        assert "Only moderators" in (await slack.command("bob", "/kb", "gaps")).body["text"]
        listed = (await slack.command("bob", "/kb", "watch")).body["text"]
        assert "<#C1>" in listed and "C2" not in listed
        await slack.event(message_event(slack, "bob", "C2", "How do contractors get VPN?"))
        assert slack.calls_of("chat.postEphemeral") == []
