"""The Discord adapter end to end: real discord.py against the loopback fake Discord."""

from __future__ import annotations

import json

import pytest

from bots.discord.runner import sync_commands
from core.app import Hromada
from storage import repos
from tests.bots.discord.harness import Answer, DiscordHarness, embed_text


def tally(h: DiscordHarness, ref: str) -> tuple[int, int]:
    kind = {"I": "idea", "R": "risk", "K": "snippet"}[ref[0]]
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, kind, int(ref.split("-")[1]))
        assert item is not None
        return repos.tally(session, h.tenant, item.id or 0)


def status_of(h: DiscordHarness, ref: str) -> str:
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, "idea", int(ref.split("-")[1]))
        assert item is not None
        return item.status


def callback_text(answer: Answer) -> str:
    return answer.text


async def submit(h: DiscordHarness, user: dict, text: str) -> dict:
    """/idea submit; returns the card the bot posted."""
    before = len(h.posted_messages())
    await h.command(user, "idea submit", {"text": text})
    posted = h.posted_messages()
    assert len(posted) == before + 1
    return posted[-1]


# -- sync -------------------------------------------------------------------------------


async def test_sync_payload_has_groups_options_and_ukrainian(hromada: Hromada) -> None:
    h = DiscordHarness(hromada)
    await h.fake.start()
    try:
        names = await sync_commands(hromada, h.settings(), guild_id=h.guild.id,
                                    http_trace=h.trace())
    finally:
        await h.fake.stop()
    put = [c for c in h.fake.calls if c.method == "PUT"]
    assert [c.path for c in put] == [
        f"/applications/{h.fake.app_id}/guilds/{h.guild.id}/commands"]
    payload = {c["name"]: c for c in put[0].body}
    assert set(names) == set(payload)
    assert {"idea", "risk", "kb", "hromada", "Save to knowledge", "Register as risk"} <= set(
        payload)

    idea = payload["idea"]
    assert idea["name_localizations"] == {"uk": "ідея"}
    assert idea["description_localizations"]["uk"]
    subs = {o["name"]: o for o in idea["options"]}
    assert subs["submit"]["type"] == 1  # the text default is an explicit subcommand
    assert subs["submit"]["name_localizations"] == {"uk": "подати"}
    text = subs["submit"]["options"][0]
    assert (text["name"], text["type"], text["required"]) == ("text", 3, True)
    assert text["name_localizations"] == {"uk": "текст"}
    status = {o["name"]: o for o in subs["status"]["options"]}
    assert status["ref"]["autocomplete"] is True
    assert [c["value"] for c in status["status"]["choices"]] == [
        "new", "reviewing", "planned", "in-progress", "done", "declined"]
    assert status["status"]["choices"][2]["name_localizations"]["uk"]
    assert status["note"]["required"] is False
    merge = {o["name"] for o in subs["merge"]["options"]}
    assert merge == {"ref", "target"}  # the grammar word "into" is no option

    risk = {o["name"]: o for o in payload["risk"]["options"]}
    rate = {o["name"]: o for o in risk["rate"]["options"]}
    assert (rate["likelihood"]["type"], rate["likelihood"]["min_value"],
            rate["likelihood"]["max_value"]) == (4, 1, 5)
    assert {o["name"]: o["type"] for o in risk["owner"]["options"]}["member"] == 6

    hromada_cmd = {o["name"]: o for o in payload["hromada"]["options"]}
    settings = hromada_cmd["settings"]
    assert settings["type"] == 2  # a subcommand group for three-word paths
    assert {o["name"] for o in settings["options"]} >= {"show", "language", "roles"}

    kb_search = {o["name"]: o for o in payload["kb"]["options"]}["search"]
    assert kb_search["options"][0]["autocomplete"] is True

    def check_level(options: list[dict]) -> None:
        """Discord refuses a sync whose localised names collide or break its name rules."""
        names = [o.get("name_localizations", {}).get("uk", o["name"]) for o in options]
        assert len(names) == len(set(names)), names
        for o in options:
            assert 1 <= len(o["description"]) <= 100
            uk = o.get("description_localizations", {}).get("uk")
            assert uk is None or 1 <= len(uk) <= 100
            if o.get("type") in (1, 2):
                check_level(o.get("options", []))

    check_level([c for c in payload.values() if c["type"] == 1])

    menu = payload["Save to knowledge"]
    assert menu["type"] == 3 and menu["name_localizations"] == {"uk": "Зберегти в знання"}
    assert set(h.requested_hosts) == {"127.0.0.1"}


# -- ideas and votes --------------------------------------------------------------------


async def test_idea_submit_acks_and_posts_a_card(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice = h.user("alice")
    call = await h.command(alice, "idea submit", {"text": "Quiet hours on Wednesdays"})
    assert call.callback.body["type"] == 4  # the answer is the first callback (no defer)
    assert call.ephemeral
    assert "I-1" in call.text
    card = h.posted()[-1].body
    assert "I-1" in embed_text(card) and "Quiet hours on Wednesdays" in embed_text(card)
    assert "Alice" in embed_text(card)


async def test_thumbs_by_two_removal_and_redelivery_tally(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob, carol = h.user("alice"), h.user("bob"), h.user("carol")
    card = await submit(h, alice, "A second coffee machine")
    await h.react(bob, h.channel, card["id"], "👍")
    seq_carol = await h.react(carol, h.channel, card["id"], "👍")
    assert tally(h, "I-1") == (2, 0)
    await h.redeliver(seq_carol)  # a resumed session replays the frame
    assert tally(h, "I-1") == (2, 0)
    seq_remove = await h.react(carol, h.channel, card["id"], "👍", added=False)
    assert tally(h, "I-1") == (1, 0)
    # A legit add after the removal counts again; a replay of the removal does not undo it.
    await h.react(carol, h.channel, card["id"], "👍")
    assert tally(h, "I-1") == (2, 0)
    await h.redeliver(seq_remove)
    assert tally(h, "I-1") == (2, 0)
    # Skin tones and 👎 are understood; reactions on other messages change nothing.
    await h.react(bob, h.channel, card["id"], "👎🏽")
    assert tally(h, "I-1") == (1, 1)
    other = h.fake.add_message(h.channel, alice, "lunch?", guild_id=h.guild.id)
    await h.react(bob, h.channel, other["id"], "👍")
    assert tally(h, "I-1") == (1, 1)


async def test_duplicate_prompt_buttons(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    await submit(h, alice, "Dark mode for the dashboard")
    prompt = await h.command(bob, "idea submit", {"text": "Dark mode for the dashboard!"})
    assert prompt.ephemeral
    buttons = h.buttons(prompt)
    assert "Submit anyway" in buttons and "Vote for I-1 instead" in buttons
    assert len(h.posted_messages()) == 1  # nothing posted yet
    voted = await h.click(bob, prompt, "Vote for I-1 instead")
    assert "I-1" in callback_text(voted)
    assert tally(h, "I-1") == (1, 0)

    again = await h.command(alice, "idea submit", {"text": "Dark mode for the dashboard"})
    posted = len(h.posted_messages())
    await h.click(alice, again, "Submit anyway")
    assert len(h.posted_messages()) == posted + 1
    assert "I-2" in embed_text(h.posted()[-1].body)
    # The prompt was used: its buttons now explain instead of acting twice.
    stale = await h.click(alice, again, "Submit anyway")
    assert stale.ephemeral and "expired" in stale.text
    assert "I-3" not in json.dumps([c.body for c in h.fake.calls])


async def test_status_change_tells_author_and_voters(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    boss = h.user("boss", admin=True)
    steward = h.user("sam", roles=("Stewards",))
    card = await submit(h, alice, "Standing desks for everyone")
    await h.react(bob, h.channel, card["id"], "👍")

    # A moderator by role: named in settings by a Manage Server member.
    roles = await h.command(boss, "hromada settings roles", {"roles": "Stewards"})
    assert roles.body["embeds"][0]["color"] != 0xD9534F
    call = await h.command(steward, "idea status", {"ref": "I-1", "status": "planned",
                                                    "note": "Budget approved"})
    assert "planned" in callback_text(call)
    assert status_of(h, "I-1") == "planned"
    for member in (alice, bob):
        assert any("I-1" in dm and "planned" in dm for dm in h.dms(member)), member
    assert h.dms(steward) == []

    # The moderator's status buttons on /idea show do the same through a click.
    shown = await h.command(boss, "idea show", {"ref": "I-1"})
    clicked = await h.click(boss, shown, "done")
    assert "done" in callback_text(clicked)
    assert status_of(h, "I-1") == "done"
    assert sum("done" in dm for dm in h.dms(alice)) == 1


async def test_member_without_rights_is_refused_and_nothing_changes(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob", roles=("Visitors",))
    await submit(h, alice, "Fewer meetings")
    calls_before = len(h.posted())
    call = await h.command(bob, "idea status", {"ref": "I-1", "status": "declined"})
    assert call.ephemeral
    assert "Only moderators" in callback_text(call)
    assert call.body["embeds"][0]["color"] == 0xD9534F
    assert status_of(h, "I-1") == "new"
    assert len(h.posted()) == calls_before and h.dms(alice) == []
    settings = await h.command(bob, "hromada settings roles", {"roles": "Visitors"})
    assert "Only workspace or server admins" in callback_text(settings)


async def test_bad_input_gets_a_usage_line(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice = h.user("alice")
    call = await h.command(alice, "idea show", {"ref": "banana"})
    text = callback_text(call)
    assert "Usage: /idea show <ref>" in text
    assert call.ephemeral


async def test_anonymous_idea_shows_no_author_in_any_rest_call(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    boss = h.user("boss", admin=True)
    await h.command(alice, "idea anon", {"text": "Pay transparency"})
    card = h.last_card()
    assert "I-1" in embed_text(card)
    await h.react(bob, h.channel, card["id"], "👍")
    await h.command(boss, "idea status", {"ref": "I-1", "status": "reviewing"})
    await h.command(boss, "idea show", {"ref": "I-1"})
    await h.command(bob, "idea list", {})
    sent = json.dumps([c.body for c in h.fake.calls if c.body is not None], ensure_ascii=False)
    for needle in (alice["id"], alice["username"], alice["global_name"]):
        assert needle not in sent
    assert "Pay transparency" in sent and bob["global_name"] not in embed_text(card)


async def test_every_message_carries_allowed_mentions_none(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, bob = h.user("alice"), h.user("bob")
    boss = h.user("boss", admin=True)
    card = await submit(h, alice, "Ping @everyone and <@123456789012345678> about @here")
    await h.react(bob, h.channel, card["id"], "👍")
    await h.command(boss, "idea status", {"ref": "I-1", "status": "planned"})
    msg = h.fake.add_message(h.channel, bob, "Use @everyone sparingly", guild_id=h.guild.id)
    await h.react(alice, h.channel, msg["id"], "📚")
    await h.command(alice, "kb search", {"query": "sparingly"})
    bodies = h.fake.message_bodies()
    assert len(bodies) >= 6
    for body in bodies:
        allowed = body.get("allowed_mentions")
        assert allowed is not None and allowed["parse"] == [], body
        assert not allowed.get("users") and not allowed.get("roles")
        assert not allowed.get("replied_user")
    text = json.dumps(bodies, ensure_ascii=False)
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in text
    assert "@here" not in text.replace("@\u200bhere", "")


# -- messages as knowledge and risks -----------------------------------------------------


async def test_books_on_a_plain_message_saves_a_snippet_with_jump_link(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.add_message(h.channel, carol, "VPN: use the staging profile on Fridays",
                             guild_id=h.guild.id)
    seq = await h.react(alice, h.channel, msg["id"], "📚")
    assert h.fake.rest("GET", f"/channels/{h.channel}/messages/{msg['id']}")
    reply = h.posted()[-1].body
    assert "K-1" in embed_text(reply)
    assert str(reply["message_reference"]["message_id"]) == msg["id"]
    link = f"https://discord.com/channels/{h.guild.id}/{h.channel}/{msg['id']}"
    with h.hromada.db.uow() as session:
        item = repos.item_by_ref(session, h.tenant, "snippet", 1)
        assert item is not None and item.source_link == link
    posts = len(h.posted())
    await h.redeliver(seq)
    assert len(h.posted()) == posts
    found = await h.command(alice, "kb search", {"query": "staging profile"})
    assert "K-1" in callback_text(found)


async def test_warning_reaction_registers_a_risk(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.add_message(h.channel, carol, "The cert on billing expires Sunday",
                             guild_id=h.guild.id)
    await h.react(alice, h.channel, msg["id"], "⚠️")
    assert "R-1" in embed_text(h.posted()[-1].body)
    await h.react(alice, h.channel, msg["id"], "⚠️", added=False)  # removal saves nothing
    assert len([c for c in h.posted() if "R-2" in json.dumps(c.body)]) == 0


async def test_message_context_menus(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.add_message(h.channel, carol, "Payroll questions go to #finance-help",
                             guild_id=h.guild.id)
    call = await h.menu(alice, "Save to knowledge", msg)
    assert call.ephemeral and call.text == "Posted in this channel."
    saved = embed_text(h.posted()[-1].body)
    assert "K-1" in saved and f"/channels/{h.guild.id}/{h.channel}/{msg['id']}" in saved
    await h.menu(alice, "Save to knowledge", msg)
    again = embed_text(h.posted()[-1].body)
    assert "K-1" in again and "K-2" not in again  # already saved
    risk = await h.menu(alice, "Register as risk", msg)
    assert "R-1" in risk.text and "R-1" in embed_text(h.posted()[-1].body)
    with h.hromada.db.uow() as session:
        assert repos.item_by_ref(session, h.tenant, "risk", 1) is not None


async def test_autocomplete_refs_and_kb_titles(discord_h: DiscordHarness) -> None:
    h = discord_h
    alice = h.user("alice")
    await submit(h, alice, "Bike parking")
    await submit(h, alice, "Shower in the office")
    refs = await h.autocomplete(alice, "idea show", "ref", "bike parkng")
    assert refs[0]["value"] == "I-1"
    newest = await h.autocomplete(alice, "idea show", "ref", "")
    assert {c["value"] for c in newest} == {"I-1", "I-2"}
    await h.command(alice, "kb add", {"title": "Expense policy", "body": "Receipts within 30d"})
    titles = await h.autocomplete(alice, "kb search", "query", "expnse")
    assert titles[0]["value"] == "Expense policy"


async def test_only_loopback_is_contacted(discord_h: DiscordHarness) -> None:
    import discord.gateway
    import discord.http

    h = discord_h
    await h.command(h.user("alice"), "idea submit", {"text": "Loopback only"})
    assert discord.http.Route.BASE == f"{h.fake.url}/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == (
        f"ws://127.0.0.1:{h.fake.port}/")
    assert h.fake.identifies  # the gateway it logged in to is the fake one
    assert h.requested_hosts and set(h.requested_hosts) == {"127.0.0.1"}
    gateway = [u for u in h.requested_urls if "encoding=json" in u]
    assert gateway and all(u.startswith(f"ws://127.0.0.1:{h.fake.port}/") for u in gateway)
    assert any("/api/v10/interactions/" in u for u in h.requested_urls)


@pytest.mark.parametrize("configured", [2, 0])
async def test_auto_sharded_client(hromada: Hromada, configured: int) -> None:
    """DISCORD_SHARD_COUNT=2 runs two shards; 0 lets Discord recommend (GET /gateway/bot).

    GET /gateway/bot is asked either way: its max_concurrency sets the identify buckets."""
    h = DiscordHarness(hromada)
    h.fake.shard_count = 2  # what the fake recommends
    await h.start(shard_count=configured)
    try:
        assert h.fake.rest("GET", "/gateway/bot")
        assert sorted(tuple(i["shard"]) for i in h.fake.identifies) == [(0, 2), (1, 2)]
        alice, bob = h.user("alice"), h.user("bob")
        card = await submit(h, alice, "Sharded hello")
        seq = await h.react(bob, h.channel, card["id"], "👍")
        await h.redeliver(seq)
        assert tally(h, "I-1") == (1, 0)
    finally:
        await h.stop()
    assert set(h.requested_hosts) == {"127.0.0.1"}


async def test_books_on_a_message_without_text_tells_only_the_reactor(
    discord_h: DiscordHarness,
) -> None:
    h = discord_h
    alice, carol = h.user("alice"), h.user("carol")
    msg = h.fake.add_message(h.channel, carol, "", guild_id=h.guild.id)  # an image, say
    posts = len(h.posted())
    await h.react(alice, h.channel, msg["id"], "📚")
    assert len(h.posted()) == posts
    assert any("no text" in dm for dm in h.dms(alice)) and h.dms(carol) == []
