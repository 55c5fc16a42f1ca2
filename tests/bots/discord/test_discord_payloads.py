"""Discord end to end with frames shaped as discord-api-docs publishes them (issue 10, §7):
skin tones and super-reactions are reactions of their own, as Discord keeps them; removing
one of several keeps the vote; MESSAGE_REACTION_REMOVE_EMOJI / _ALL on a card clear the votes
those reactions carried; 📚 on a message whose words are only in embeds saves those words."""

from __future__ import annotations

from storage import repos
from storage.models import VoteReaction
from tests.bots.discord.harness import DiscordHarness, embed_text
from tests.bots.store_checks import count
from tests.fakes.payloads import discord as frames


def tally(h: DiscordHarness, number: int = 1) -> tuple[int, int]:
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, "idea", number)
        assert item is not None
        return repos.tally(session, h.tenant, item.id or 0)


async def card_for(h: DiscordHarness, user: dict, text: str) -> str:
    await h.command(user, "idea submit", {"text": text})
    return str(h.last_card()["id"])


async def test_a_skin_tone_removed_while_plain_thumbs_stay_keeps_the_vote(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    card = await card_for(h, alice, "A second coffee machine")
    await h.react(bob, h.channel, card, "👍")
    await h.react(bob, h.channel, card, "👍🏽")
    assert tally(h) == (1, 0)
    await h.react(bob, h.channel, card, "👍🏽", added=False)
    assert tally(h) == (1, 0)
    await h.react(bob, h.channel, card, "👍", added=False)
    assert tally(h) == (0, 0)


async def test_a_super_reaction_is_kept_apart_from_the_normal_one(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    card = await card_for(h, alice, "A second coffee machine")
    seq = await h.react(carol, h.channel, card, "👍", burst=True)  # a super-reaction votes
    await h.redeliver(seq)
    assert tally(h) == (1, 0)
    await h.react(bob, h.channel, card, "👍")
    await h.react(bob, h.channel, card, "👍", burst=True)
    assert tally(h) == (2, 0)
    await h.react(bob, h.channel, card, "👍", added=False, burst=True)
    assert tally(h) == (2, 0)  # bob's normal 👍 remains
    await h.react(bob, h.channel, card, "👍", added=False)
    assert tally(h) == (1, 0)
    await h.react(carol, h.channel, card, "👍", added=False)  # not the super one: kept
    assert tally(h) == (1, 0)


async def test_remove_emoji_on_a_card_clears_that_emojis_votes(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob, carol, dan, erin = (h.user(n) for n in ("alice", "bob", "carol", "dan", "erin"))
    card = await card_for(h, alice, "A second coffee machine")
    await h.react(bob, h.channel, card, "👍")
    await h.react(carol, h.channel, card, "👍", burst=True)
    await h.react(dan, h.channel, card, "👍")
    await h.react(dan, h.channel, card, "👍🏿")  # another emoji on Discord: not cleared
    await h.react(erin, h.channel, card, "👎")
    assert tally(h) == (3, 1)
    seq = await h.clear_reactions(h.channel, card, "👍")
    assert tally(h) == (1, 1)
    # bob reacts again; a replay of the clear frame must not take the new reaction
    await h.react(bob, h.channel, card, "👍")
    await h.redeliver(seq)
    assert tally(h) == (2, 1)
    # and then the reactions can be removed as usual
    await h.react(bob, h.channel, card, "👍", added=False)
    assert tally(h) == (1, 1)


async def test_remove_all_on_a_card_clears_every_vote(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    card = await card_for(h, alice, "A second coffee machine")
    other = await card_for(h, alice, "Bike racks by the door")
    await h.react(bob, h.channel, card, "👍🏽")
    await h.react(carol, h.channel, card, "👎", burst=True)
    await h.react(carol, h.channel, other, "👍")
    await h.clear_reactions(h.channel, card)
    assert tally(h, 1) == (0, 0)
    assert tally(h, 2) == (1, 0)  # another card keeps its votes
    assert count(h.hromada, VoteReaction) == 1
    # clears on a message that is no card change nothing and fail nothing
    plain = h.fake.add_message(h.channel, alice, "lunch?", guild_id=h.guild.id)
    await h.clear_reactions(h.channel, plain["id"])
    await h.clear_reactions(h.channel, plain["id"], "👍")
    assert tally(h, 2) == (1, 0)


async def test_custom_emoji_frames_are_not_votes(discord_h: DiscordHarness) -> None:
    """A custom emoji as the docs show it ({"id", "name", "animated"}) is no 👍."""
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    card = await card_for(h, alice, "A second coffee machine")
    data = frames.reaction_add(
        user_id=bob["id"], channel_id=str(h.channel), message_id=card,
        guild_id=str(h.guild.id), member=h.member(bob),
        emoji=frames.emoji("thumbsup", emoji_id="41771983429993937", animated=True),
        message_author_id=h.fake.bot_user["id"])
    seq = await h.fake.dispatch(h.guild.id, "MESSAGE_REACTION_ADD", data)
    await h._until_finished(h._key(seq), 1)
    assert tally(h) == (0, 0)


async def test_books_on_a_message_with_only_embeds_saves_their_words(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.message_payload(h.channel, carol, {"content": "",
                                                    "embeds": [frames.rich_embed()]},
                                 guild_id=h.guild.id)
    h.fake.messages[int(msg["id"])] = msg
    await h.react(alice, h.channel, msg["id"], "📚")
    assert "K-1" in embed_text(h.posted()[-1].body)
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, "snippet", 1)
        assert item is not None
        words = f"{item.title}\n{item.body}"
    for part in ("Incident review: payments outage", "expired TLS certificate",
                 "Action: Automate certificate renewal", "Owner: Platform team"):
        assert part in words
