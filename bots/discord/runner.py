"""Running the Discord adapter: the API base, the client, the delivery, the command sync."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from bots.delivery import Deliveries
from bots.discord.bot import Adapter, make_client
from bots.discord.render import NO_MENTIONS, notice_text, render, view
from bots.ops import Ops
from bots.runtime import core_workers
from core.app import Hromada
from core.config import Settings
from core.replies import Notice, Reply
from storage.db import Database
from storage.gateway import reserve_identify

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


def configure_api(url: str | None) -> tuple[str, yarl.URL]:
    """Point REST and the gateway at ``url`` together; returns the previous pair.

    Moving only one would let the bot log in to the real gateway with its token, so both
    class attributes change in this one place, or neither does.
    """
    previous = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    if url:
        base = yarl.URL(url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"DISCORD_API_URL must be an http(s) URL, not {url!r}")
        ws = base.with_scheme("wss" if base.scheme == "https" else "ws").with_path("/")
        restore_api(str(base.with_path("/api/v10")), ws)
    return previous


def restore_api(rest: str, gateway: yarl.URL) -> None:
    discord.http.Route.BASE = rest
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


class DiscordDelivery:
    """Posts replies in channels and notices as direct messages, pinging no one."""

    platform = "discord"

    def __init__(self, client: discord.Client, hromada: Hromada, *,
                 run: Callable[..., Awaitable[Any]] | None = None) -> None:
        self.client = client
        self.hromada = hromada
        # Where store work runs: the adapter's core pool (a thread of its own without one).
        self.run: Callable[..., Awaitable[Any]] = run or asyncio.to_thread

    async def post(self, tenant_id: str, channel_id: str, reply: Reply, *,
                   reference: discord.Message | None = None) -> str:
        """Post publicly; an item card is attached to its item so reactions on it count."""
        channel = self.client.get_partial_messageable(int(channel_id))
        kwargs: dict[str, Any] = render(reply).send_kwargs()
        if reply.image is not None:
            kwargs["file"] = discord.File(reply.image, filename=reply.image.name)
            kwargs["embed"].set_image(url=f"attachment://{reply.image.name}")
        if reference is not None:
            kwargs["reference"] = reference.to_reference(fail_if_not_exists=False)
            kwargs["mention_author"] = False
        message = await channel.send(**kwargs)
        if reply.item_id is not None:
            await self.run(self.hromada.attach_message, tenant_id, reply.item_id,
                           channel_id, str(message.id))
        return str(message.id)

    async def post_picture(self, tenant_id: str, channel_id: str, message_id: str,
                           reply: Reply) -> None:
        """The picture as its own message, replying to the posted one (the digest)."""
        if reply.image is None:
            return
        channel = self.client.get_partial_messageable(int(channel_id))
        reference = discord.MessageReference(message_id=int(message_id),
                                             channel_id=int(channel_id),
                                             fail_if_not_exists=False)
        await channel.send(file=discord.File(reply.image, filename=reply.image.name),
                           reference=reference, mention_author=False,
                           allowed_mentions=NO_MENTIONS)

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        """One direct message per recipient per notice; one failure does not stop the rest.
        Returns the recipients not reached.

        A group notice (a coffee introduction) goes the same way: Discord bots cannot open group
        DMs, and the text already names everyone in the group."""
        missed: list[str] = []
        for notice in notices:
            text = notice_text(notice)
            for user_id in notice.recipients:
                if not user_id.isdigit():
                    continue
                try:
                    dm = await self.client.create_dm(discord.Object(int(user_id)))
                    buttons = view(list(notice.actions))
                    if buttons is not None:
                        await dm.send(text, allowed_mentions=NO_MENTIONS, view=buttons)
                    else:
                        await dm.send(text, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as exc:
                    # An anonymous author's id never reaches a log line.
                    log.warning("direct message to %s failed: %s",
                                "an anonymous author" if notice.sealed else user_id, exc,
                                extra={"tenant": tenant_id})
                    missed.append(user_id)
        return missed


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    return settings.discord_token.get_secret_value()


class IdentifyTurns:
    """The identify gate over the store: every process of the bot shares each bucket's turns.

    The bucket is ``shard_id % max_concurrency`` (Discord's rate-limit key); max_concurrency
    comes from ``DISCORD_MAX_CONCURRENCY`` or, once, from ``GET /gateway/bot``."""

    def __init__(self, db: Database, *, window: float, max_concurrency: int | None = None) -> None:
        self.db = db
        self.window = window
        self.max_concurrency = max_concurrency

    async def _concurrency(self, client: discord.AutoShardedClient) -> int:
        if self.max_concurrency is None:
            try:
                limits = await client.fetch_session_start_limits()
                self.max_concurrency = max(1, int(limits.max_concurrency))
            except (discord.DiscordException, OSError, KeyError, TypeError, ValueError) as exc:
                log.warning("session start limits unknown (%s); one IDENTIFY per window", exc)
                return 1
        return self.max_concurrency

    async def __call__(self, client: discord.AutoShardedClient, shard_id: int) -> None:
        bucket = shard_id % await self._concurrency(client)
        wait = await asyncio.to_thread(reserve_identify, self.db, bucket, self.window)
        log.info("shard %d identifies in %.1f s (bucket %d)", shard_id, wait, bucket)
        if wait > 0:
            await asyncio.sleep(wait)  # the reserved turn: Discord's limit, not a sync guess


async def start_discord(hromada: Hromada, settings: Settings, deliveries: Deliveries, *,
                        http_trace: Any = None,
                        guild_ready_timeout: float = 2.0) -> tuple[discord.Client, Adapter]:
    """Log in and build the adapter; the caller runs ``client.connect()``."""
    configure_api(settings.discord_api_url)
    gate = IdentifyTurns(hromada.db, window=settings.discord_identify_window,
                         max_concurrency=settings.discord_max_concurrency)
    client = make_client(shard_count=settings.discord_shard_count,
                         shard_ids=settings.discord_shard_ids, identify_gate=gate,
                         http_trace=http_trace, guild_ready_timeout=guild_ready_timeout,
                         members=settings.discord_members_intent)
    adapter = Adapter(hromada, client,
                      workers=core_workers(settings.discord_core_workers, hromada))
    await adapter.set_translator()
    deliveries.add(adapter.delivery)
    await client.login(_token(settings))
    return client, adapter


async def run_discord(hromada: Hromada, settings: Settings, deliveries: Deliveries,
                      ops: Ops | None = None) -> None:
    """Serve Discord until the process stops (called by ``hromada serve``)."""
    client, adapter = await start_discord(hromada, settings, deliveries)
    if ops is not None:
        async def connected() -> bool:
            return client.is_ready() and not client.is_closed()

        ops.add_platform("discord", connected)
    try:
        await client.connect(reconnect=True)
    finally:
        await client.close()
        adapter.close()


async def sync_commands(hromada: Hromada, settings: Settings, *, guild_id: int | None = None,
                        http_trace: Any = None) -> list[str]:
    """Register the command tree: globally, or in one guild (instant, for trying it out)."""
    client, adapter = await start_discord(hromada, settings, Deliveries(), http_trace=http_trace)
    try:
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            adapter.tree.copy_global_to(guild=guild)
        synced = await adapter.tree.sync(guild=guild)
        return [c.name for c in synced]
    finally:
        await client.close()
