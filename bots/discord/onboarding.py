"""Discord's side of onboarding: a member joining a server (GUILD_MEMBER_ADD) starts their
journey and gets the welcome; a member leaving (GUILD_MEMBER_REMOVE) stops it.

Both events need the privileged server members intent, which the bot must be granted in the
Developer Portal; it is off unless ``DISCORD_MEMBERS_INTENT=1``, and then nothing here is
registered. Discord tells no time zone: steps follow the server's digest zone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord

from bots.delivery import Delivery
from bots.onboarding import OnboardingRunner, one
from core import onboarding
from core.app import Hromada


def register_onboarding(client: discord.Client, hromada: Hromada, delivery: Delivery,
                        finished: Callable[[str], None]) -> None:
    """Listen for members joining and leaving, when the members intent is on."""
    if not client.intents.members:
        return

    async def on_member_join(member: discord.Member) -> None:
        try:
            if not member.bot:
                runner = OnboardingRunner(hromada, one(delivery))
                await runner.welcome(f"discord:{member.guild.id}", str(member.id),
                                     member.display_name)
        finally:
            finished(f"member_join:{member.guild.id}:{member.id}")

    async def on_raw_member_remove(payload: discord.RawMemberRemoveEvent) -> None:
        try:
            await asyncio.to_thread(onboarding.leave, hromada.db, f"discord:{payload.guild_id}",
                                    str(payload.user.id), now=hromada.clock.now())
        finally:
            finished(f"member_remove:{payload.guild_id}:{payload.user.id}")

    client.event(on_member_join)
    client.event(on_raw_member_remove)


def dm_guild(action_id: str, value: str) -> int | None:
    """The server a button in a direct message belongs to (a DM has none): an onboarding
    pulse button carries its tenant; the core checks the member is a newcomer there."""
    if action_id not in onboarding.ACTIONS:
        return None
    tenant, _, _ = value.partition("|")
    platform, _, guild = tenant.partition(":")
    return int(guild) if platform == "discord" and guild.isdigit() else None
