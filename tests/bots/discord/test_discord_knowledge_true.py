"""Discord end to end: a snippet follows the message it was saved from. Real discord.py
against the fake gateway: MESSAGE_UPDATE and MESSAGE_DELETE frames as discord-api-docs
lists their fields."""

from __future__ import annotations

from sqlalchemy import func, select

from core.app import Hromada
from storage.models import ProcessedEvent, SnippetRevision
from tests.bots.discord.harness import DiscordHarness


def rows(hromada: Hromada, table: type) -> int:
    with hromada.db.uow() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


async def test_an_edit_moves_the_snippet_and_a_deletion_is_said(discord_h: DiscordHarness,
                                                                ) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.add_message(h.channel, carol, "Deploys freeze on Fridays after 15:00",
                             guild_id=h.guild.id)
    await h.react(alice, h.channel, msg["id"], "📚")
    seq = await h.edit_message(carol, msg, "Deploys freeze on Fridays after 13:00")
    shown = (await h.command(alice, "kb show", {"ref": "K-1"})).text
    assert "after 13:00" in shown and "15:00" not in shown and "/kb history K-1" in shown
    assert "15:00" in (await h.command(alice, "kb history", {"ref": "K-1"})).text
    await h.edit_message(carol, msg, "Deploys freeze on Fridays after 12:00")
    await h.redeliver(seq)  # the first frame again (a resumed session): applied once
    shown = (await h.command(alice, "kb show", {"ref": "K-1"})).text
    assert "after 12:00" in shown and rows(h.hromada, SnippetRevision) == 2

    await h.delete_message(msg)
    shown = (await h.command(alice, "kb show", {"ref": "K-1"})).text
    assert "was deleted on" in shown and "12:00" in shown


async def test_edits_of_other_messages_leave_nothing_behind(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    saved = h.fake.add_message(h.channel, carol, "Lunch is at noon", guild_id=h.guild.id)
    other = h.fake.add_message(h.channel, carol, "my salary is private", guild_id=h.guild.id)
    await h.react(alice, h.channel, saved["id"], "📚")
    events, revisions = rows(h.hromada, ProcessedEvent), rows(h.hromada, SnippetRevision)
    await h.edit_message(carol, other, "my salary is very private")
    await h.delete_message(other)
    assert rows(h.hromada, ProcessedEvent) == events
    assert rows(h.hromada, SnippetRevision) == revisions
    shown = (await h.command(alice, "kb show", {"ref": "K-1"})).text
    assert "salary" not in shown and "deleted" not in shown
