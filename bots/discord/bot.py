"""The Discord adapter: translate interactions and gateway events into facade calls, render back.

Nothing here decides anything about ideas, votes or permissions; it builds an ``Actor``
(tenant ``discord:<guild>``, admin = Manage Server, the member's role names), calls
``Hromada`` and renders the ``Reply``. Core errors become words in exactly one place
(``Adapter.core``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

import discord
from discord import app_commands

from bots import metrics
from bots.discord.commands import CatalogTranslator, build_tree
from bots.discord.lifecycle import register_lifecycle
from bots.discord.onboarding import dm_guild, register_onboarding
from bots.discord.render import NO_MENTIONS, parse_custom_id, render
from bots.words import discord_words
from core import cards, freshness
from core.app import Hromada
from core.context import Actor
from core.errors import HromadaError, InvalidInput
from core.i18n import N_, gettext_for
from core.registry import Command, MemberArg
from core.replies import Notice, Reply, Visibility
from core.text import Rich
from core.votes import emoji_meaning

log = logging.getLogger(__name__)

T = TypeVar("T")

# An interaction is answered in its first callback when the answer is ready within
# ``ACK_AFTER`` (the member sees it one round trip sooner, and the public card is posted as
# soon as the core is done); only slower work is deferred ("thinking…"), then edited in.
# ``ACK_FIRST`` defers every interaction before the core runs (the old behaviour; see
# bench/bench_discord.py for what it costs).
ACK_FIRST = False
ACK_AFTER = 1.0  # seconds of core work before deferring: Discord allows 3 s for the callback
# Core calls run in a small pool of their own (as in the Slack adapter): the core is
# synchronous SQL and Python, and more threads than cores only fight the event loop for the GIL.
CORE_WORKERS = 2  # the default of HROMADA_DISCORD_CORE_WORKERS; 0 runs core calls on the loop
REACTION_EVENTS = ("raw_reaction_add", "raw_reaction_remove", "raw_reaction_clear",
                   "raw_reaction_clear_emoji")
# Edits and deletions of a message a snippet was saved from (raw MESSAGE_UPDATE/DELETE).
SOURCE_EVENTS = ("raw_message_edit", "raw_message_delete")
# A new message (MESSAGE_CREATE): a question in a watched channel gets an offer (core.watch).
MESSAGE_EVENTS = ("message",)
# ``message_content``: an edited message's new words (📚 and the menus read them by REST).
INTENTS = discord.Intents(guilds=True, guild_reactions=True, guild_messages=True,
                          message_content=True)


def intents(*, members: bool = False) -> discord.Intents:
    """``members``: the privileged server members intent (joins and leaves, for onboarding)."""
    out = discord.Intents(INTENTS.value)
    out.members = members
    return out


def make_client(*, shard_count: int | None = None, shard_ids: tuple[int, ...] | None = None,
                identify_gate: IdentifyGate | None = None, http_trace: Any = None,
                guild_ready_timeout: float = 2.0, members: bool = False) -> discord.Client:
    """The gateway client: auto-sharded when a shard count is configured (0: Discord's advice).

    ``shard_ids``: the shards this process runs (the rest run in other processes);
    ``identify_gate``: waits for this shard's IDENTIFY turn, shared with those processes.
    Every message it sends defaults to ``AllowedMentions.none()`` as well; renderers pass it
    explicitly too."""
    # ``chunk_guilds_at_startup`` off: onboarding needs member events, never the member list
    # (asking for every member of every server at start costs minutes on large servers).
    kwargs: dict[str, Any] = {"intents": intents(members=members),
                              "chunk_guilds_at_startup": False,
                              "allowed_mentions": NO_MENTIONS,
                              "guild_ready_timeout": guild_ready_timeout}
    if http_trace is not None:
        kwargs["http_trace"] = http_trace
    if shard_count is not None:
        if shard_ids is not None:
            kwargs["shard_ids"] = list(shard_ids)
        return ShardedHromadaClient(shard_count=shard_count or None,
                                    identify_gate=identify_gate, **kwargs)
    return HromadaClient(**kwargs)


class _Sequenced:
    """Remembers the gateway session and sequence of each raw reaction event.

    discord.py dispatches an event synchronously while parsing its frame, after the socket
    has stored the frame's ``s``; a resumed session replays frames with their original
    sequence, so ``session:sequence`` names one delivery of one event, and a legit
    add/remove/add by the same member still yields three different keys.
    """

    event_keys: dict[int, str]
    # Button clicks go straight to this handler: no task per command interaction for an
    # ``on_interaction`` listener that would only ignore it.
    component_handler: Callable[[discord.Interaction], Awaitable[None]] | None = None
    _running: set[asyncio.Task[None]]

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        if (event == "interaction" and self.component_handler is not None
                and args[0].type is discord.InteractionType.component):
            task = asyncio.get_running_loop().create_task(self.component_handler(args[0]))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        if (event in REACTION_EVENTS or event in SOURCE_EVENTS or event in MESSAGE_EVENTS) \
                and args:
            ws = self._socket_for(getattr(args[0], "guild_id", None))
            if ws is not None and ws.session_id and ws.sequence is not None:
                self.event_keys[id(args[0])] = f"{ws.session_id}:{ws.sequence}"
        super().dispatch(event, *args, **kwargs)  # type: ignore[misc]

    def _socket_for(self, guild_id: int | None) -> Any:
        return getattr(self, "ws", None)

    def event_key(self, payload: object) -> str | None:
        return self.event_keys.pop(id(payload), None)


class HromadaClient(_Sequenced, discord.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_keys = {}
        self._running = set()


# Waits until the shard may IDENTIFY: (client, shard id) -> returns when its turn came.
IdentifyGate = Callable[[discord.AutoShardedClient, int], Awaitable[None]]


class ShardedHromadaClient(_Sequenced, discord.AutoShardedClient):
    def __init__(self, *, identify_gate: IdentifyGate | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_keys = {}
        self._running = set()
        self.identify_gate = identify_gate

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Take this shard's IDENTIFY turn from the gate shared by every process of the bot.

        discord.py's own hook only spaces this process's shards (5 s, none before the first),
        so two processes would start their first shards at once; without a gate it stays."""
        if self.identify_gate is None or shard_id is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        await self.identify_gate(self, shard_id)

    def _socket_for(self, guild_id: int | None) -> Any:
        if guild_id is None or not self.shard_count:
            return None
        shard = self.get_shard((guild_id >> 22) % self.shard_count)
        parent = getattr(shard, "_parent", None)
        return getattr(parent, "ws", None)


def actor_of(guild_id: int | None, guild: discord.Guild | None,
             user: discord.abc.User | discord.Object,
             permissions: discord.Permissions | None = None) -> Actor:
    """The member as the core sees them; refuses outside a server (there is no tenant).

    Role names come from the guild cache (GUILD_CREATE and role events); before a guild is
    cached the member has no named roles, and only Manage Server makes a moderator.
    """
    if guild_id is None:
        raise InvalidInput(N_("Hromada works inside a server; use it in one of its channels."))
    member = user if isinstance(user, discord.Member) else (
        guild.get_member(user.id) if guild is not None else None)
    if permissions is None and member is not None and guild is not None:
        permissions = member.guild_permissions
    is_admin = bool(permissions and (permissions.manage_guild or permissions.administrator))
    roles: tuple[str, ...] = ()
    if member is not None and guild is not None:
        roles = tuple(r.name for r in member.roles if not r.is_default())
    name = getattr(user, "display_name", "") or ""
    return Actor(f"discord:{guild_id}", str(user.id), name, is_admin=is_admin, roles=roles)


class Adapter:
    """One Discord connection serving every guild it is in."""

    def __init__(self, hromada: Hromada, client: discord.Client, *,
                 workers: int = CORE_WORKERS) -> None:
        from bots.discord.runner import DiscordDelivery

        self.hromada = hromada
        self.client = client
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=max(workers, 1),
                                        thread_name_prefix="hromada-discord-core")
        self.delivery = DiscordDelivery(client, hromada, run=self.in_pool)
        self.tree = build_tree(client, hromada.registry, handler=self.on_command,
                               suggest=self.suggest, menu=self.on_menu)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        # Ids of finished interactions and gateway events, newest last; watchers are called
        # after each one (metrics, and tests that wait without sleeping).
        self.finished: deque[str] = deque(maxlen=10_000)
        self.watchers: list[Callable[[str], None]] = []
        client.event(self.on_raw_reaction_add)
        client.event(self.on_raw_reaction_remove)
        register_lifecycle(client, hromada, self._finish)
        register_onboarding(client, hromada, self.delivery, self._finish)
        client.event(self.on_raw_reaction_clear)
        client.event(self.on_raw_reaction_clear_emoji)
        client.event(self.on_raw_message_edit)
        client.event(self.on_raw_message_delete)
        client.event(self.on_message)
        if isinstance(client, _Sequenced):
            client.component_handler = self.on_interaction
        else:
            client.event(self.on_interaction)

    def _finish(self, ident: str) -> None:
        self.finished.append(ident)
        for watch in self.watchers:
            watch(ident)

    async def set_translator(self) -> None:
        await self.tree.set_translator(CatalogTranslator())

    async def in_pool(self, fn: Callable[..., T], *args: Any) -> T:
        """Run synchronous core or store work in the adapter's pool (inline with 0 workers)."""
        if not self._workers:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args))

    def close(self) -> None:
        """Let the pool's threads go once the client is closed."""
        self._pool.shutdown(wait=False)

    # -- the one place core errors become replies -----------------------------------

    async def core(self, tenant_id: str, request_id: str, call: Callable[[], Reply]) -> Reply:
        """Run a core call in the pool; every error ends as a reply, never a trace."""
        try:
            return await self.in_pool(call)
        except HromadaError as exc:
            metrics.ERRORS.labels("discord", metrics.error_name(exc)).inc()
            log.info("refused: %s", exc.message,
                     extra={"request_id": request_id, "tenant": tenant_id})
            return await self.in_pool(self.hromada.error_reply, tenant_id, exc)
        except Exception as exc:
            metrics.ERRORS.labels("discord", metrics.error_name(exc)).inc()
            log.exception("discord request failed",
                          extra={"request_id": request_id, "tenant": tenant_id})
            return await self.in_pool(self.hromada.apology, tenant_id, request_id)

    # -- interactions ----------------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction, command: Command,
                         options: dict[str, Any]) -> None:
        values = {k: _option(v) for k, v in options.items() if v is not None}
        await self.answer(interaction, lambda actor: self.hromada.invoke(actor, command.path,
                                                                         values),
                          label=f"/{command.path[0]}")

    async def on_menu(self, interaction: discord.Interaction, message: discord.Message,
                      as_risk: bool) -> None:
        text, link, author = _message_parts(message)

        def call(actor: Actor) -> Reply:
            reply = self.hromada.save_message(
                actor, text=text, link=link, source_author=author, as_risk=as_risk,
                source_message=freshness.source_key(str(message.channel.id), str(message.id)))
            assert reply is not None  # no event key: never a repeat
            return reply

        await self.answer(interaction, call, label="menu")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Button clicks: our custom ids carry the core action and its value."""
        if interaction.type is not discord.InteractionType.component:
            return
        parsed = parse_custom_id(str((interaction.data or {}).get("custom_id", "")))
        if parsed is None:
            return
        action_id, value = parsed
        await self.answer(interaction, lambda actor: self.hromada.press(actor, action_id, value),
                          label="button", guild_id=None if interaction.guild_id else dm_guild(
                              action_id, value))

    async def answer(self, interaction: discord.Interaction,
                     call: Callable[[Actor], Reply], *, label: str = "other",
                     guild_id: int | None = None) -> None:
        """Run the core, answer; never later than Discord's 3 s.

        The answer is the first callback when the core is done within ``ACK_AFTER`` (the
        usual case: one round trip, and a public card goes out at once); slower work is
        deferred first, and the answer then replaces the "thinking" message. ``ACK_FIRST``
        defers before any core work. With ``CORE_WORKERS`` 0 the core runs on the loop, so
        the answer is always ready and never deferred.
        """
        seen = metrics.Seen("discord", label)
        request_id = str(interaction.id)
        # ``guild_id``: a button in a direct message names its server (``dm_guild``).
        in_dm = guild_id is not None and interaction.guild_id is None
        guild_id = guild_id if in_dm else interaction.guild_id
        tenant_id = f"discord:{guild_id}" if guild_id else ""
        acks: list[str] = []

        def run() -> Reply:
            actor = actor_of(guild_id, interaction.guild, interaction.user,
                             None if in_dm else interaction.permissions)
            # The server's member count stands for the channel's audience: who may read a
            # channel is not visible to a bot without the members intent.
            guild = interaction.guild
            actor = replace(actor, channel_id=str(interaction.channel_id)
                            if interaction.channel_id else None,
                            channel_size=guild.member_count if guild is not None else None)
            reply = call(actor)
            if reply.visibility is Visibility.PUBLIC and reply.private is None:
                # The private acknowledgement's words: made in the command's unit of work,
                # else (a button's public answer) read in the same worker hop.
                acks.append(reply.posted_note
                            or self.hromada.posted_note(actor.tenant_id, reply.item_id))
            return reply

        try:
            deferred = False
            if ACK_FIRST:
                await interaction.response.defer(ephemeral=True, thinking=True)
                deferred = True
                seen.acked()
            if deferred or not self._workers:  # nothing to wait for beside the core
                reply = await self.core(tenant_id, request_id, run)
            else:
                task = asyncio.ensure_future(self.core(tenant_id, request_id, run))
                done, _ = await asyncio.wait({task}, timeout=ACK_AFTER)
                if not done:
                    await interaction.response.defer(ephemeral=True, thinking=True)
                    deferred = True
                    seen.acked()
                reply = await task
            await self.respond(interaction, reply, deferred=deferred,
                               ack=acks[0] if acks else "")
            if not deferred:
                seen.acked()  # the answer was the acknowledgement
            seen.answered(tenant_id, request_id)
            if reply.notices and tenant_id:
                await self.delivery.notify(tenant_id, reply.notices)
        except discord.DiscordException:
            # Discord refused or failed a call (the core's work is already committed).
            log.exception("discord answer failed",
                          extra={"request_id": request_id, "tenant": tenant_id})
        finally:
            self._finish(request_id)

    async def respond(self, interaction: discord.Interaction, reply: Reply, *,
                      deferred: bool, ack: str = "") -> None:
        """Private replies are ephemeral; public ones are posted in the channel as bot messages.

        Not as the interaction's own answer, which Discord labels with the invoking member:
        that would unmask an anonymous idea. The member gets a private acknowledgement
        (naming the ref for an item card), and a card is attached to its item so that
        reactions on it count.
        """
        if reply.visibility is Visibility.PUBLIC and interaction.channel_id is not None:
            # Both at once: on a real network each is a round trip to Discord.
            tenant_id = f"discord:{interaction.guild_id}"
            private = render(reply.private).send_kwargs() if reply.private is not None else {
                "content": ack}
            results = await asyncio.gather(
                self._send_private(interaction, private, deferred),
                self.delivery.post(tenant_id, reply.channel or str(interaction.channel_id),
                                   reply),
                return_exceptions=True)
            posted = results[1]
            if isinstance(posted, discord.HTTPException) and reply.item_id is not None:
                # The card did not reach the channel (discord.py already retried 5xx): its
                # author gets it privately with "Post it again", never an unreachable item.
                log.warning("item card not posted: %s", posted,
                            extra={"request_id": str(interaction.id), "tenant": tenant_id})
                private = await self.in_pool(self._not_posted, tenant_id, reply)
                await interaction.edit_original_response(**render(private).send_kwargs())
                results[1] = None
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            return
        out = render(reply)
        if deferred:
            await interaction.edit_original_response(**out.send_kwargs())
            return
        await interaction.response.send_message(ephemeral=True, **out.send_kwargs())

    def _not_posted(self, tenant_id: str, reply: Reply) -> Reply:
        assert reply.item_id is not None
        tr = gettext_for(self.hromada.language(tenant_id))
        return cards.not_posted(tr, reply, self.hromada.item_ref(tenant_id, reply.item_id))

    async def _send_private(self, interaction: discord.Interaction, kwargs: dict[str, Any],
                            deferred: bool) -> None:
        """The private words beside a public post: an acknowledgement, or a core reply."""
        kwargs = {"allowed_mentions": NO_MENTIONS, **kwargs}
        if deferred:
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)

    async def suggest(self, interaction: discord.Interaction, kind: str,
                      spec: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: refs (value ``I-3``) or titles (value: the title) by fuzzy match."""
        if interaction.guild_id is None:
            return []
        mode, _, current = spec.partition(":")
        try:
            pairs = await self.in_pool(self.hromada.suggest, f"discord:{interaction.guild_id}",
                                            kind, current)
        except Exception:  # suggestions are a nicety: log, offer none
            log.exception("discord autocomplete failed",
                          extra={"request_id": str(interaction.id),
                                 "tenant": f"discord:{interaction.guild_id}"})
            return []
        out = []
        for ref, title in pairs[:25]:
            label = f"{ref} · {title}"
            label = label if len(label) <= 100 else label[:99] + "…"
            out.append(app_commands.Choice(name=label,
                                           value=ref if mode == "ref" else title[:100]))
        return out

    async def on_tree_error(self, interaction: discord.Interaction,
                            error: app_commands.AppCommandError) -> None:
        """discord.py's own refusals (bad option values, signature drift): apologise."""
        request_id = str(interaction.id)
        tenant_id = f"discord:{interaction.guild_id}" if interaction.guild_id else ""
        log.error("discord command error %s", error,
                  extra={"request_id": request_id, "tenant": tenant_id}, exc_info=error)
        try:
            reply = await self.in_pool(self.hromada.apology, tenant_id, request_id)
            kwargs = render(reply).send_kwargs()
            if interaction.response.is_done():
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.response.send_message(ephemeral=True, **kwargs)
        except discord.DiscordException:
            log.exception("discord apology failed",
                          extra={"request_id": request_id, "tenant": tenant_id})
        finally:
            self._finish(request_id)

    # -- reactions -------------------------------------------------------------------

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.on_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.on_reaction(payload, added=False)

    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        await self.on_clear(payload, None)

    async def on_raw_reaction_clear_emoji(self,
                                          payload: discord.RawReactionClearEmojiEvent) -> None:
        await self.on_clear(payload, str(payload.emoji))

    async def on_clear(self, payload: discord.RawReactionClearEvent
                       | discord.RawReactionClearEmojiEvent, emoji: str | None) -> None:
        """MESSAGE_REACTION_REMOVE_ALL / _EMOJI: the votes those reactions carried go."""
        key = self.client.event_key(payload) if isinstance(self.client, _Sequenced) else None
        try:
            if payload.guild_id is None:
                return
            tenant_id = f"discord:{payload.guild_id}"
            request_id = key or uuid.uuid4().hex[:12]

            def clear() -> Reply:
                self.hromada.clear_reactions(tenant_id, channel_id=str(payload.channel_id),
                                             message_id=str(payload.message_id), emoji=emoji,
                                             event_key=f"discord:{key}" if key else None)
                return Reply(text=Rich())

            await self.core(tenant_id, request_id, clear)
        finally:
            self._finish(key or f"{payload.message_id}:clear:{emoji or ''}")

    async def on_message(self, message: discord.Message) -> None:
        """MESSAGE_CREATE: a question in a watched channel gets an offer, as a reply under it
        that pings nobody (no mention of the author, ``AllowedMentions.none()``): Discord lets
        a bot answer one member privately only inside an interaction."""
        key = self.client.event_key(message) if isinstance(self.client, _Sequenced) else None
        try:
            if (message.guild is None or message.author.bot or message.webhook_id is not None
                    or message.type is not discord.MessageType.default):
                return  # the bot's own, other bots', system messages, replies: not questions
            tenant_id = f"discord:{message.guild.id}"
            actor = Actor(tenant_id, str(message.author.id))
            text = message.clean_content  # mentions as names: words to match, nothing more

            def call() -> Reply:
                reply = self.hromada.question(actor, channel_id=str(message.channel.id),
                                              message_id=str(message.id), text=text)
                return reply if reply is not None else Reply(text=Rich())

            reply = await self.core(tenant_id, key or str(message.id), call)
            if reply.error or (not reply.text and not reply.lines):
                return  # nothing to offer (or a failure, logged): no word in the channel
            try:
                await self.delivery.post(tenant_id, str(message.channel.id), reply,
                                         reference=message)
            except discord.HTTPException as exc:
                log.warning("offer not posted: %s", exc,
                            extra={"request_id": key or str(message.id), "tenant": tenant_id})
        finally:
            self._finish(key or f"{message.id}:message")

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """MESSAGE_UPDATE: a snippet saved from this message takes its new words."""
        key = self.client.event_key(payload) if isinstance(self.client, _Sequenced) else None
        try:
            if payload.guild_id is None or "content" not in payload.data:
                return  # not a guild message, or an update that does not touch its words
            text, _link, _author = _message_parts(payload.message)
            await self._source_changed(payload.guild_id, payload.channel_id, payload.message_id,
                                       text, key)
        finally:
            self._finish(key or f"{payload.message_id}:edit")

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """MESSAGE_DELETE: a snippet saved from this message says it was deleted."""
        key = self.client.event_key(payload) if isinstance(self.client, _Sequenced) else None
        try:
            if payload.guild_id is None:
                return
            await self._source_changed(payload.guild_id, payload.channel_id, payload.message_id,
                                       None, key)
        finally:
            self._finish(key or f"{payload.message_id}:delete")

    async def _source_changed(self, guild_id: int, channel_id: int, message_id: int,
                              text: str | None, key: str | None) -> None:
        tenant_id = f"discord:{guild_id}"
        event_key = f"discord:{key}" if key else None

        def follow() -> Reply:
            if text is None:
                self.hromada.source_deleted(tenant_id, channel_id=str(channel_id),
                                            message_id=str(message_id), event_key=event_key)
            elif text.strip():
                self.hromada.source_edited(tenant_id, channel_id=str(channel_id),
                                           message_id=str(message_id), text=text,
                                           event_key=event_key)
            return Reply(text=Rich())

        await self.core(tenant_id, key or uuid.uuid4().hex[:12], follow)

    async def on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        key = self.client.event_key(payload) if isinstance(self.client, _Sequenced) else None
        try:
            await self._reaction(payload, added, key)
        finally:
            self._finish(key or f"{payload.message_id}:{payload.user_id}:{payload.emoji}")

    async def _reaction(self, payload: discord.RawReactionActionEvent, added: bool,
                        key: str | None) -> None:
        user = self.client.user
        if payload.guild_id is None or (user is not None and payload.user_id == user.id):
            return
        guild = self.client.get_guild(payload.guild_id)
        who: discord.abc.User | discord.Object = payload.member or discord.Object(payload.user_id)
        actor = actor_of(payload.guild_id, guild, who)
        emoji = str(payload.emoji)
        meaning = emoji_meaning(emoji)
        event_key = f"discord:{key}" if key else None
        request_id = key or uuid.uuid4().hex[:12]
        if meaning in ("up", "down"):
            # A vote: the core decides by the message. Never a pulse answer: reactions are
            # public, and 1️⃣–5️⃣ on a pulse card count for nothing.

            def vote() -> Reply:
                # A super-reaction is a reaction of its own on Discord (``burst``).
                self.hromada.react(actor, channel_id=str(payload.channel_id),
                                   message_id=str(payload.message_id), emoji=emoji,
                                   added=added, event_key=event_key,
                                   burst=bool(getattr(payload, "burst", False)))
                return Reply(text=Rich())

            # A refused vote has no one to be shown to: the reply is only logged (by core).
            await self.core(actor.tenant_id, request_id, vote)
            return
        if meaning in ("save", "risk") and added:
            await self.save_reacted(payload, actor, event_key, request_id,
                                    as_risk=meaning == "risk")

    async def save_reacted(self, payload: discord.RawReactionActionEvent, actor: Actor,
                           event_key: str | None, request_id: str, *, as_risk: bool) -> None:
        """📚 / ⚠️ on any message: fetch it, save it with its jump link, answer under it."""
        channel = self.client.get_partial_messageable(payload.channel_id,
                                                      guild_id=payload.guild_id)
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.HTTPException as exc:
            log.warning("cannot read the reacted message: %s", exc,
                        extra={"request_id": request_id, "tenant": actor.tenant_id})
            return
        text, link, author = _message_parts(message)

        def call() -> Reply:
            reply = self.hromada.save_message(
                actor, text=text, link=link, source_author=author, event_key=event_key,
                as_risk=as_risk,
                source_message=freshness.source_key(str(payload.channel_id),
                                                    str(payload.message_id)))
            return reply if reply is not None else Reply(text=Rich())

        reply = await self.core(actor.tenant_id, request_id, call)
        if reply.error:  # e.g. nothing to save: tell the member who reacted, not the channel
            notice = Notice((actor.user_id,), reply.text + Rich((f" {reply.footer}",))
                            if reply.footer else reply.text)
            await self.delivery.notify(actor.tenant_id, [notice])
            return
        if not reply.text and not reply.title:
            return  # a re-delivered event: already answered
        await self.delivery.post(actor.tenant_id, str(payload.channel_id), reply,
                                 reference=message)


def _option(value: Any) -> Any:
    if isinstance(value, discord.abc.User):
        return MemberArg(str(value.id), value.display_name)
    return value


def _message_parts(message: discord.Message) -> tuple[str, str, str]:
    text = discord_words(message.content, [e.to_dict() for e in message.embeds])
    return text, message.jump_url, message.author.display_name

