"""Anonymous authors on Discord, end to end (real discord.py, the fake Discord): a small
server's anonymous card goes to the main channel, and an author who opted in hears back by DM
and answers, while nothing a moderator receives names them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.app import Hromada
from tests.bots.discord.harness import DiscordHarness, embed_text
from tests.core.test_anonymous_authors import raw_rows, traces_of


@asynccontextmanager
async def running(hromada: Hromada, *, members: int = 25) -> AsyncIterator[DiscordHarness]:
    h = DiscordHarness(hromada)
    h.guild.member_count = members  # what GUILD_CREATE tells the bot
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def leaks(h: DiscordHarness, user: dict) -> list[str]:
    """REST bodies that name the member, other than opening and writing their own DM."""
    dm_channels = {str(c) for c, u in h.fake.dm_channels.items() if str(u) == user["id"]}
    out = []
    for call in h.fake.calls:
        if call.body is None:
            continue
        if call.path == "/users/@me/channels" or (
                call.path.startswith("/channels/") and call.path.split("/")[2] in dm_channels):
            continue
        text = json.dumps(call.body, ensure_ascii=False)
        if any(n in text for n in (user["id"], user["username"], user["global_name"])):
            out.append(f"{call.method} {call.path} {text}")
    return out


async def test_a_small_servers_anonymous_card_goes_to_the_main_channel(hromada: Hromada):
    async with running(hromada, members=3) as h:
        main = h.fake.add_channel(h.guild, "town-square")
        alice, boss = h.user("alice"), h.user("boss", admin=True)
        await h.command(boss, "digest here", {}, channel=main)
        ans = await h.command(alice, "idea anon", {"text": "Pay transparency bands"})
        assert h.posted_messages() == []
        [card] = h.posted_messages(main)
        assert "I-1" in embed_text(card) and "Pay transparency bands" in embed_text(card)
        assert ans.ephemeral or ans.deferred
        assert f"I-1 is posted anonymously in <#{main}>, the main channel" in ans.text
        assert "Hear back privately" in h.buttons(ans)
        assert leaks(h, alice) == []


async def test_a_big_enough_server_keeps_the_card_where_it_was_asked(hromada: Hromada):
    async with running(hromada, members=5) as h:
        alice = h.user("alice")
        ans = await h.command(alice, "idea anon", {"text": "Pay transparency bands"})
        [card] = h.posted_messages()
        assert "I-1" in embed_text(card)
        assert "I-1 is posted anonymously." in ans.text


async def test_an_anonymous_author_hears_back_and_answers(hromada: Hromada):
    async with running(hromada) as h:
        alice, bob, boss = h.user("alice"), h.user("bob"), h.user("boss", admin=True)
        ans = await h.command(alice, "idea anon", {"text": "Pay transparency bands"})
        assert "only then Hromada keeps a sealed reference" in ans.text
        done = await h.click(alice, ans, "Hear back privately")
        assert "you will hear back about I-1" in done.text
        card = h.last_card()
        await h.react(bob, h.channel, card["id"], "👍")

        await h.command(boss, "idea status", {"ref": "I-1", "status": "planned"})
        assert any("is now planned" in t for t in h.dms(alice))
        assert any("is now planned" in t for t in h.dms(bob))

        sent = await h.command(boss, "idea reply", {"ref": "I-1", "text": "Which teams first?"})
        assert "anonymous author of I-1" in sent.text
        assert "Which teams first?" in h.dms(alice)[-1]

        back = await h.command(alice, "idea reply", {"ref": "I-1", "text": "Support first"})
        assert "without your name" in back.text
        [to_boss] = h.dms(boss)
        assert "The anonymous author of I-1" in to_boss and "Support first" in to_boss

        assert leaks(h, alice) == []
        assert len(raw_rows(hromada.db)["sealed_ref"]) == 1
        assert traces_of(hromada.db, alice["id"], alice["global_name"]) == []


async def test_without_the_opt_in_nothing_reaches_or_names_the_author(hromada: Hromada):
    async with running(hromada) as h:
        alice, boss = h.user("alice"), h.user("boss", admin=True)
        await h.command(alice, "idea anon", {"text": "Pay transparency bands"})
        await h.command(boss, "idea status", {"ref": "I-1", "status": "reviewing"})
        sent = await h.command(boss, "idea reply", {"ref": "I-1", "text": "Tell me more"})
        assert "did not ask to hear back" in sent.text
        assert h.dms(alice) == []
        assert leaks(h, alice) == []
        assert raw_rows(hromada.db)["sealed_ref"] == []
        assert traces_of(hromada.db, alice["id"], alice["global_name"]) == []
