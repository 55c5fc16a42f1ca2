"""Slack end to end: a snippet follows the message it was saved from. Real Bolt, signed
``message_changed`` / ``message_deleted`` events in Slack's published shape."""

from __future__ import annotations

from sqlalchemy import func, select

from core.app import Hromada
from storage.models import ProcessedEvent, SnippetRevision
from tests.bots.slack.harness import SlackHarness, user_id
from tests.fakes.payloads import slack as payloads


def rows(hromada: Hromada, table: type) -> int:
    with hromada.db.uow() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


async def test_an_edit_moves_the_snippet_and_a_deletion_is_said(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        before = "Deploys freeze on Fridays after 15:00"
        said = slack.say("carol", "C7", before)
        await slack.react("dan", "C7", said, "books")
        after = "Deploys freeze on Fridays after 13:00, ask <@" + user_id("erin") + ">"
        slack.add_user("erin")
        edit = payloads.message_changed(channel="C7", user=user_id("carol"), team="T1",
                                        ts=said, text=after, previous_text=before)
        response = await slack.event(edit, event_id="EvEDIT1")
        assert response.status == 200
        shown = (await slack.command("erin", "/kb", "show K-1")).body["text"]
        assert "after 13:00, ask @Erin" in shown and "15:00" not in shown
        assert "/kb history K-1" in shown
        history = (await slack.command("erin", "/kb", "history K-1")).body["text"]
        assert "15:00" in history
        later = payloads.message_changed(channel="C7", user=user_id("carol"), team="T1",
                                         ts=said, text="Deploys freeze at 12:00",
                                         previous_text=after)
        await slack.event(later, event_id="EvEDIT2")
        # Slack retries the first event after the second: applied once, nothing goes back
        await slack.event(edit, event_id="EvEDIT1", retry_num=1)
        shown = (await slack.command("erin", "/kb", "show K-1")).body["text"]
        assert "at 12:00" in shown and rows(hromada, SnippetRevision) == 2

        gone = payloads.message_deleted(channel="C7", user=user_id("carol"), team="T1",
                                        ts=said, previous_text="Deploys freeze at 12:00")
        assert (await slack.event(gone, event_id="EvGONE1")).status == 200
        shown = (await slack.command("erin", "/kb", "show K-1")).body["text"]
        assert "was deleted on" in shown and "12:00" in shown


async def test_edits_of_other_messages_leave_nothing_behind(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        said = slack.say("carol", "C7", "Lunch is at noon")
        other = slack.say("carol", "C7", "my salary is private")
        await slack.react("dan", "C7", said, "books")
        events, revisions = rows(hromada, ProcessedEvent), rows(hromada, SnippetRevision)
        edit = payloads.message_changed(channel="C7", user=user_id("carol"), team="T1",
                                        ts=other, text="my salary is very private",
                                        previous_text="my salary is private")
        await slack.event(edit, event_id="EvEDIT9")
        await slack.event(payloads.message_deleted(
            channel="C7", user=user_id("carol"), team="T1", ts=other,
            previous_text="my salary is very private"), event_id="EvGONE2")
        # a plain new message in a channel is read by nobody
        await slack.event({"type": "message", "channel": "C7", "user": user_id("carol"),
                           "text": "hello", "ts": "1700000000.000100",
                           "event_ts": "1700000000.000100", "channel_type": "channel"},
                          event_id="EvNEW1")
        assert rows(hromada, ProcessedEvent) == events
        assert rows(hromada, SnippetRevision) == revisions
        shown = (await slack.command("erin", "/kb", "show K-1")).body["text"]
        assert "salary" not in shown and "deleted" not in shown
