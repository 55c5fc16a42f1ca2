"""Discord end to end: a question in a watched channel gets its offer as a reply under it that
pings nobody, real MESSAGE_CREATE gateway frames in, the reply observed on the fake REST;
button clicks count once; a resent frame answers once; an unwatched channel leaves no trace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.app import Hromada
from storage.models import SnippetFeedback
from tests.bots.discord.harness import DiscordHarness, embed_text
from tests.core.support import snapshot
from tests.fakes.payloads import discord as frames


async def say(h: DiscordHarness, author: dict[str, Any], content: str, *,
              channel: int | None = None, **fields: Any) -> tuple[dict[str, Any], int]:
    """A member writes a message: MESSAGE_CREATE, waited on until the adapter handled it."""
    msg = h.fake.add_message(channel or h.channel, author, content, guild_id=h.guild.id)
    msg.update(fields)
    data = frames.message_create(msg, guild_id=str(h.guild.id), member=h.member(author))
    seq = await h.fake.dispatch(h.guild.id, "MESSAGE_CREATE", data)
    await h._until_finished(h._key(seq), 1)
    return msg, seq


def offers(h: DiscordHarness, channel: int | None = None) -> list[dict[str, Any]]:
    """What the bot posted in the channel as replies to a member's message."""
    return [c.body for c in h.posted(channel) if c.body.get("message_reference")]


async def watching(h: DiscordHarness) -> dict[str, Any]:
    boss = h.user("boss", admin=True)
    await h.command(boss, "kb add", {"title": "VPN for contractors",
                                     "body": "Contractors get VPN access from the IT portal"})
    said = await h.command(boss, "kb watch here")
    assert "up to three" in said.text and said.ephemeral
    return boss


def helpful(hromada: Hromada) -> list[int]:
    with hromada.db.uow() as session:
        return [r.helpful for r in session.execute(select(SnippetFeedback)).scalars()]


async def test_a_question_gets_a_reply_that_pings_nobody(discord_h: DiscordHarness,
                                                         hromada: Hromada) -> None:
    h = discord_h
    await watching(h)
    bob = h.user("bob")
    msg, seq = await say(h, bob, "@everyone how do contractors get VPN access? <@&1> <@1>")
    [offer] = offers(h)
    assert str(offer["message_reference"]["message_id"]) == msg["id"]
    allowed = offer["allowed_mentions"]
    assert allowed["parse"] == [] and allowed["replied_user"] is False
    assert not allowed.get("users") and not allowed.get("roles")
    shown = embed_text(offer)
    assert "K-1" in shown and "VPN for contractors" in shown
    assert "@everyone" not in shown and "<@" not in shown and not offer.get("content")
    assert list(h.buttons(offer)) == ["This answered it", "Not it"]

    # the gateway resends the frame (a resumed session): answered once
    await h.redeliver(seq)
    assert len(offers(h)) == 1

    # another member cannot answer for the asker; the asker's click counts once
    eve = h.user("eve")
    refused = await h.click(eve, offer, "This answered it")
    assert "Only the member who asked" in refused.text and refused.ephemeral
    first = await h.click(bob, offer, "This answered it")
    again = await h.click(bob, offer, "This answered it")
    assert "Glad it helped" in first.text and first.ephemeral
    assert "counted already" in again.text
    assert helpful(hromada) == [1]

    # an unrelated question: no reply at all
    await say(h, bob, "Where is the coffee machine?")
    assert len(offers(h)) == 1


async def test_not_it_offers_colleagues(discord_h: DiscordHarness) -> None:
    h = discord_h
    await watching(h)
    ann, bob = h.user("ann"), h.user("bob")
    await h.command(ann, "people me skills", {"skills": "vpn, contractors"})
    await say(h, bob, "how do contractors get vpn?")
    [offer] = offers(h)
    answer = await h.click(bob, offer, "Not it")
    assert "ann" in answer.text.lower() and "📚" in answer.text and answer.ephemeral


async def test_an_unwatched_channel_leaves_no_trace(discord_h: DiscordHarness,
                                                    hromada: Hromada) -> None:
    h = discord_h
    await watching(h)
    other = h.fake.add_channel(h.guild, "random")
    before = snapshot(hromada.db)
    posted = len(h.fake.calls)
    await say(h, h.user("newcomer"), "How do contractors get VPN access?", channel=other)
    assert snapshot(hromada.db) == before
    assert len(h.fake.calls) == posted  # not a single REST call


async def test_bots_and_system_messages_are_not_questions(discord_h: DiscordHarness) -> None:
    h = discord_h
    await watching(h)
    robot = h.fake.add_user("robot")
    robot["bot"] = True
    question = "How do contractors get VPN access?"
    await say(h, robot, question)
    await say(h, h.fake.bot_user, question)
    await say(h, h.user("carol"), question, type=7)  # a member joined (a system message)
    await say(h, h.user("dan"), question, webhook_id="12345")
    erin = h.user("erin")
    await say(h, erin, question, type=19,  # a reply to someone: a conversation under way
              message_reference={"message_id": "1", "channel_id": str(h.channel)})
    written, _ = await say(h, erin, "Release notes are out")
    await h.edit_message(erin, written, question)  # an edit is never a question
    assert offers(h) == []


async def test_plain_members_cannot_watch(discord_h: DiscordHarness) -> None:
    h = discord_h
    await watching(h)
    bob = h.user("bob")
    other = h.fake.add_channel(h.guild, "random")
    refused = await h.command(bob, "kb watch here", channel=other)
    assert "Only moderators" in refused.text
    assert "Only moderators" in (await h.command(bob, "kb gaps")).text
    listed = await h.command(bob, "kb watch show")
    assert f"<#{h.channel}>" in listed.text and str(other) not in listed.text
    await say(h, bob, "How do contractors get VPN access?", channel=other)
    assert offers(h, other) == []
