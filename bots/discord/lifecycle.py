"""Discord's install lifecycle: the bot leaving a server is an uninstall, joining is an install.

``on_guild_remove`` fires when the bot is kicked, banned, leaves, or the server is deleted; an
outage (``GUILD_DELETE`` with ``unavailable``) is not a removal and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord

from core import lifecycle
from core.app import Hromada


def register_lifecycle(client: discord.Client, hromada: Hromada,
                       finished: Callable[[str], None]) -> None:
    async def on_guild_remove(guild: discord.Guild) -> None:
        await asyncio.to_thread(lifecycle.uninstalled, hromada.db, f"discord:{guild.id}",
                                hromada.clock.now())
        finished(f"guild_remove:{guild.id}")

    async def on_guild_join(guild: discord.Guild) -> None:
        await asyncio.to_thread(lifecycle.installed, hromada.db, f"discord:{guild.id}")
        finished(f"guild_join:{guild.id}")

    client.event(on_guild_remove)
    client.event(on_guild_join)
