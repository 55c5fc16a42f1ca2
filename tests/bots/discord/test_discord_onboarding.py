"""Onboarding on Discord, end to end over the fake gateway: with the members intent a real
GUILD_MEMBER_ADD frame welcomes the newcomer by DM once (a replayed frame starts nothing),
GUILD_MEMBER_REMOVE stops the journey, the day-30 pulse is answered with buttons in the DM;
without the intent (the default) the bot neither asks for member events nor acts on them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bots.onboarding import OnboardingRunner
from core.app import Hromada
from core.clock import ManualClock
from core.config import Settings
from storage import onboarding as store
from tests.bots.discord.harness import DiscordHarness, embed_text

GUILD_MEMBERS = 1 << 1  # the privileged intent bit in IDENTIFY


class MembersHarness(DiscordHarness):
    """The harness with ``DISCORD_MEMBERS_INTENT=1``."""

    def settings(self, shard_count: int | None = None) -> Settings:
        return super().settings(shard_count).model_copy(update={"discord_members_intent": True})


@pytest.fixture
async def members_h(hromada: Hromada) -> AsyncIterator[DiscordHarness]:
    h = MembersHarness(hromada)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


async def member_add(h: DiscordHarness, user: dict[str, Any]) -> int:
    """GUILD_MEMBER_ADD as the gateway sends it: the member object plus ``guild_id``."""
    data = {**h.member(user), "guild_id": str(h.guild.id)}
    seq = await h.fake.dispatch(h.guild.id, "GUILD_MEMBER_ADD", data)
    await h._until_finished(f"member_join:{h.guild.id}:{user['id']}", 1)
    return seq


async def member_remove(h: DiscordHarness, user: dict[str, Any]) -> None:
    await h.fake.dispatch(h.guild.id, "GUILD_MEMBER_REMOVE",
                          {"guild_id": str(h.guild.id), "user": user})
    await h._until_finished(f"member_remove:{h.guild.id}:{user['id']}", 1)


def dm_bodies(h: DiscordHarness, user: dict[str, Any]) -> list[dict[str, Any]]:
    channels = {str(c) for c, u in h.fake.dm_channels.items() if str(u) == user["id"]}
    return [c.body for c in h.fake.rest("POST", "/channels/")
            if c.path.split("/")[2] in channels]


def journeys(hromada: Hromada) -> list[store.OnboardingJourney]:
    with hromada.db.uow() as session:
        return session.query(store.OnboardingJourney).all()


async def test_a_member_join_welcomes_once_even_when_the_frame_is_replayed(
        members_h: DiscordHarness, hromada: Hromada) -> None:
    h = members_h
    assert any(i["intents"] & GUILD_MEMBERS for i in h.fake.identifies)
    ann = h.user("ann")
    await h.command(ann, "kb add", {"title": "VPN setup", "body": "Use the corporate VPN",
                                    "tags": "#onboarding"})
    carol = h.user("carol")
    seq = await member_add(h, carol)
    # The same frame again, as a resumed session (or another process, whose member cache
    # is empty) gets it: discord.py's cache would drop it, so the cache forgets Carol first.
    assert h.client is not None
    guild = h.client.get_guild(h.guild.id)
    assert guild is not None
    cached = guild.get_member(int(carol["id"]))
    if cached is not None:
        guild._remove_member(cached)
    await h.fake.redeliver(h.guild.id, seq)
    await h._until_finished(f"member_join:{h.guild.id}:{carol['id']}", 2)
    [welcome] = h.dms(carol)
    assert "Welcome" in welcome and "VPN setup" in welcome
    assert [(j.tenant_id, j.tz) for j in journeys(hromada)] == [(h.tenant, "")]


async def test_a_member_who_left_gets_nothing_more(members_h: DiscordHarness, hromada: Hromada,
                                                   clock: ManualClock) -> None:
    h = members_h
    carol = h.user("carol")
    await member_add(h, carol)
    await member_remove(h, carol)
    clock.advance(timedelta(days=31))
    assert await OnboardingRunner(hromada, h.deliveries).tick() == 0
    assert len(h.dms(carol)) == 1
    assert journeys(hromada)[0].left_at is not None


async def test_the_day_thirty_pulse_is_answered_with_buttons_in_the_dm(
        members_h: DiscordHarness, hromada: Hromada, clock: ManualClock) -> None:
    h = members_h
    carol = h.user("carol")
    await member_add(h, carol)
    clock.advance(timedelta(days=29))
    runner = OnboardingRunner(hromada, h.deliveries)
    assert await runner.tick() == 2 and await runner.tick() == 0  # day 3 (no buddy), day 30
    pulse = dm_bodies(h, carol)[-1]
    assert "three private questions" in pulse["content"]
    labels = h.buttons(pulse)
    assert len(labels) == 15
    # A click in a DM: no guild in the interaction; the button names its server.
    answer = await dm_click(h, carol, pulse, labels["Q2: 4"])
    assert "your answer to P-2 is 4" in answer, answer


async def dm_click(h: DiscordHarness, user: dict[str, Any], body: dict[str, Any],
                   custom_id: str) -> str:
    dm = next(c for c, u in h.fake.dm_channels.items() if str(u) == user["id"])
    iid = h.fake.snowflake()
    message = h.fake.message_payload(dm, h.fake.bot_user, body)
    payload = {
        "id": str(iid), "application_id": str(h.fake.app_id), "type": 3,
        "token": f"token-{iid}", "version": 1, "attachment_size_limit": 8 * 1024 * 1024,
        "channel_id": str(dm), "channel": {"id": str(dm), "type": 1, "recipients": [user]},
        "user": user, "data": {"custom_id": custom_id, "component_type": 2},
        "message": message, "locale": "en-US", "app_permissions": "0", "entitlements": [],
        "authorizing_integration_owners": {"0": str(h.guild.id)}, "context": 1,
    }
    h.fake.interactions[iid] = payload
    await h.fake.dispatch(h.guild.id, "INTERACTION_CREATE", payload)
    await h._until_finished(str(iid), 1)
    return h.answer(str(iid)).text or embed_text(h.answer(str(iid)).body)


async def test_without_the_members_intent_nothing_happens(discord_h: DiscordHarness,
                                                          hromada: Hromada) -> None:
    """The default: the bot does not ask Discord for member events, and should one arrive
    it starts nothing."""
    h = discord_h
    assert h.fake.identifies and not any(i["intents"] & GUILD_MEMBERS
                                         for i in h.fake.identifies)
    assert h.client is not None and not h.client.intents.members
    carol = h.user("carol")
    await h.fake.dispatch(h.guild.id, "GUILD_MEMBER_ADD",
                          {**h.member(carol), "guild_id": str(h.guild.id)})
    # A command after it on the same socket: handled after the frame before it.
    await h.command(h.user("ann"), "onboarding step list")
    assert h.dms(carol) == [] and journeys(hromada) == []
    assert not any(str(f).startswith("member_join") for f in h.adapter.finished)


async def test_step_text_pings_nobody_and_a_member_cannot_add_steps(
        members_h: DiscordHarness, hromada: Hromada) -> None:
    h = members_h
    refused = await h.command(h.user("bob"), "onboarding step add",
                              {"day": 1, "text": "@everyone free pizza"})
    assert "moderator" in refused.text.lower() and refused.ephemeral
    boss = h.user("boss", admin=True)
    await h.command(boss, "onboarding step add", {"day": 1, "text": "Say hi to @everyone here"})
    with hromada.db.uow() as session:
        assert [s.text for s in store.steps(session, h.tenant)] == ["Say hi to @everyone here"]
    carol = h.user("carol")
    await member_add(h, carol)
    assert await OnboardingRunner(hromada, h.deliveries).tick() == 1
    step = dm_bodies(h, carol)[-1]
    assert "Say hi to" in step["content"]
    assert step["allowed_mentions"] == {"parse": []}, step
