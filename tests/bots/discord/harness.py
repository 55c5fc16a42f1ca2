"""A reusable harness: the fake Discord on loopback plus the real discord.py client and adapter.

API (everything async runs in the test's event loop)::

    h = DiscordHarness(hromada)               # a Hromada facade (the ``hromada`` fixture)
    await h.start(shard_count=None)           # fake server up, client logged in and READY
    alice = h.user("alice")                   # a member (user payload dict)
    boss = h.user("boss", admin=True)         # with Manage Server
    mod = h.user("mo", roles=("Stewards",))   # with a named role (role made on the fly)

    ans = await h.command(alice, "idea submit", {"text": "Dark mode"})
        # INTERACTION_CREATE for /idea submit, waits until the adapter finished it;
        # returns an ``Answer``: the callback ``Call`` (tests/fakes/discord_server.py) and
        # ``body``, what the member finally sees (the callback's message, or the edit that
        # replaced the deferred "thinking" message), ``ephemeral``, ``text``
    posted = h.posted()                       # bot messages posted in channels (REST bodies)
    card = h.last_card()                      # the newest posted message that stands for an item
    await h.react(bob, h.channel, card_id, "👍", added=True)   # returns the gateway sequence
    await h.redeliver(seq)                    # the same frame again, as a resumed session does
    await h.click(alice, ans, "Submit anyway")    # press a button of an answer
    await h.menu(alice, "Save to knowledge", message)           # message context menu
    msg = h.fake.add_message(h.channel, alice, "text")          # a member's plain message
    h.fake.calls / h.fake.message_bodies() / h.dms(user)        # recorded REST traffic
    h.requested_hosts / h.requested_urls      # every request the client's HTTP session made
    await h.stop()

Nothing sleeps: waits are on the adapter's "finished" signal and on recorded requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord

from bots.delivery import Deliveries
from bots.discord.bot import Adapter
from bots.discord.commands import discord_routes
from bots.discord.runner import restore_api, start_discord
from core.app import Hromada
from core.config import Settings
from core.registry import P
from tests.fakes.discord_server import MANAGE_GUILD, Call, FakeDiscord
from tests.fakes.payloads import discord as frames

OPTION_TYPES = {P.INT: 4, P.MEMBER: 6}
STRING = 3
EPHEMERAL = 64


@dataclass
class Answer:
    """How the bot answered one interaction."""

    callback: Call  # POST /interactions/{id}/{token}/callback
    body: dict[str, Any]  # the message the member finally sees (after any deferral)
    ephemeral: bool
    deferred: bool

    @property
    def text(self) -> str:
        return embed_text(self.body)


class DiscordHarness:
    def __init__(self, hromada: Hromada) -> None:
        self.hromada = hromada
        self.fake = FakeDiscord()
        self.guild = self.fake.add_guild("Acme")
        self.channel = self.fake.add_channel(self.guild, "general")
        self.deliveries = Deliveries()
        self.client: discord.Client | None = None
        self.adapter: Adapter | None = None
        self.requested_hosts: list[str] = []
        self.requested_urls: list[str] = []
        self._members: dict[str, list[int]] = {}
        self._announced_roles: set[int] = set(self.guild.roles)
        self._saved_api: tuple[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def tenant(self) -> str:
        return f"discord:{self.guild.id}"

    # -- life ------------------------------------------------------------------------

    def settings(self, shard_count: int | None = None) -> Settings:
        return Settings(discord_token="test-token", discord_api_url=self.fake.url,
                        discord_shard_count=shard_count, database_url="sqlite://")

    def trace(self) -> aiohttp.TraceConfig:
        """Records the host of every HTTP request and WebSocket the client opens."""
        trace = aiohttp.TraceConfig()

        async def on_start(_s: Any, _c: Any, params: aiohttp.TraceRequestStartParams) -> None:
            self.requested_hosts.append(str(params.url.host))
            self.requested_urls.append(str(params.url))

        trace.on_request_start.append(on_start)
        return trace

    async def start(self, *, shard_count: int | None = None, trace: bool = True) -> None:
        import discord.gateway
        import discord.http

        await self.fake.start()
        self._saved_api = (discord.http.Route.BASE,
                           discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        self.client, self.adapter = await start_discord(
            self.hromada, self.settings(shard_count), self.deliveries,
            http_trace=self.trace() if trace else None, guild_ready_timeout=0.1)
        self.adapter.watchers.append(lambda _ident: self.fake._touch())
        self._task = asyncio.create_task(self.client.connect(reconnect=False))
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            raise RuntimeError(f"the client did not become ready: {self._task}")

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except (TimeoutError, asyncio.CancelledError, discord.DiscordException):
                pass
        await self.fake.stop()
        if self._saved_api is not None:
            restore_api(*self._saved_api)

    # -- people ----------------------------------------------------------------------

    def user(self, name: str, *, admin: bool = False, roles: tuple[str, ...] = ()) -> dict:
        user = self.fake.add_user(name)
        role_ids = []
        for role in roles:
            existing = next((rid for rid, (n, _) in self.guild.roles.items() if n == role), None)
            role_ids.append(existing or self.fake.add_role(self.guild, role))
        if admin:
            role_ids.append(self.fake.add_role(self.guild, f"admin-{name}", MANAGE_GUILD))
        self._members[user["id"]] = role_ids
        return user

    async def _announce_roles(self) -> None:
        """GUILD_ROLE_CREATE for roles made since the client connected, as Discord sends it."""
        for rid, (name, perms) in list(self.guild.roles.items()):
            if rid in self._announced_roles or not self.fake.sockets:
                continue
            self._announced_roles.add(rid)
            await self.fake.dispatch(self.guild.id, "GUILD_ROLE_CREATE", {
                "guild_id": str(self.guild.id),
                "role": {"id": str(rid), "name": name, "permissions": str(perms),
                         "position": len(self._announced_roles), "color": 0, "hoist": False,
                         "managed": False, "mentionable": False, "flags": 0}})

    def member(self, user: dict) -> dict:
        return self.fake.member_payload(self.guild, user, self._members.get(user["id"], []))

    # -- waiting ---------------------------------------------------------------------

    async def _until_finished(self, ident: str, count: int) -> None:
        assert self.adapter is not None
        adapter = self.adapter
        await self.fake.wait_for(lambda: list(adapter.finished).count(ident) >= count)

    # -- interactions ----------------------------------------------------------------

    def _base(self, user: dict, kind: int, data: dict, channel: int | None) -> dict:
        iid = self.fake.snowflake()
        cid = channel or self.channel
        payload = {
            "id": str(iid), "application_id": str(self.fake.app_id), "type": kind,
            "token": f"token-{iid}", "version": 1, "attachment_size_limit": 8 * 1024 * 1024,
            "guild_id": str(self.guild.id), "channel_id": str(cid),
            "channel": {"id": str(cid), "type": 0, "guild_id": str(self.guild.id),
                        "name": self.guild.channels.get(cid, "general"), "position": 0,
                        "permission_overwrites": [], "nsfw": False, "parent_id": None},
            "member": self.member(user), "data": data, "locale": "en-US",
            "guild_locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)}, "context": 0,
        }
        self.fake.interactions[iid] = payload
        return payload

    async def _interact(self, payload: dict) -> Answer:
        ident = payload["id"]
        await self._announce_roles()
        await self.fake.dispatch(self.guild.id, "INTERACTION_CREATE", payload)
        await self._until_finished(ident, 1)
        return self.answer(ident)

    def answer(self, interaction_id: str) -> Answer:
        callback = next(c for c in self.fake.calls
                        if c.path.startswith(f"/interactions/{interaction_id}/"))
        data = callback.body.get("data") or {}
        body = data
        deferred = callback.body["type"] in (5, 6)
        # A deferred answer is its edit; a direct one may be edited later too (a card that
        # could not be posted becomes "Post it again").
        token = self.fake.interactions[int(interaction_id)]["token"]
        edits = [c for c in self.fake.calls if c.method == "PATCH"
                 and c.path.endswith(f"/{token}/messages/@original")]
        if edits:
            body = edits[-1].body
        elif deferred:
            body = {}
        return Answer(callback, body, bool(int(data.get("flags") or 0) & EPHEMERAL), deferred)

    async def command(self, user: dict, path: str | tuple[str, ...],
                      options: dict[str, Any] | None = None, *,
                      channel: int | None = None) -> Answer:
        """Run an application command by its Discord names, e.g. ``"idea submit"``."""
        names = tuple(path.split()) if isinstance(path, str) else tuple(path)
        route = next(r for r in discord_routes(self.hromada.registry) if r.names == names)
        kinds = {p.name: p.kind for p in route.command.options}
        opts: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, value in (options or {}).items():
            kind = kinds[name]
            if kind is P.MEMBER:
                resolved.setdefault("users", {})[value["id"]] = value
                member = self.member(value)
                member.pop("user")
                resolved.setdefault("members", {})[value["id"]] = member
                value = value["id"]
            opts.append({"type": OPTION_TYPES.get(kind, STRING), "name": name, "value": value})
        for depth in range(len(names) - 1, 0, -1):
            opts = [{"type": 1 if depth == len(names) - 1 else 2, "name": names[depth],
                     "options": opts}]
        data: dict[str, Any] = {"id": str(self.fake.snowflake()), "name": names[0], "type": 1,
                                "options": opts, "guild_id": str(self.guild.id)}
        if resolved:
            data["resolved"] = resolved
        return await self._interact(self._base(user, 2, data, channel))

    async def autocomplete(self, user: dict, path: str, option: str, current: str,
                           others: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Type into ``option`` of a command; returns the choices the bot offered."""
        names = tuple(path.split())
        opts: list[dict[str, Any]] = [{"type": STRING, "name": k, "value": v}
                                      for k, v in (others or {}).items()]
        opts.append({"type": STRING, "name": option, "value": current, "focused": True})
        for depth in range(len(names) - 1, 0, -1):
            opts = [{"type": 1 if depth == len(names) - 1 else 2, "name": names[depth],
                     "options": opts}]
        data = {"id": str(self.fake.snowflake()), "name": names[0], "type": 1,
                "options": opts, "guild_id": str(self.guild.id)}
        payload = self._base(user, 4, data, None)
        ident = payload["id"]
        await self._announce_roles()
        await self.fake.dispatch(self.guild.id, "INTERACTION_CREATE", payload)
        call = await self.fake.wait_for(
            lambda: next((c for c in self.fake.calls
                          if c.path.startswith(f"/interactions/{ident}/")), None))
        return call.body["data"]["choices"]

    async def menu(self, user: dict, name: str, message: dict) -> Answer:
        """A message context menu ("Save to knowledge", "Register as risk") on a message."""
        data = {"id": str(self.fake.snowflake()), "name": name, "type": 3,
                "target_id": message["id"], "guild_id": str(self.guild.id),
                "resolved": {"messages": {message["id"]: message}}}
        return await self._interact(self._base(user, 2, data, int(message["channel_id"])))

    @staticmethod
    def buttons(answer: Answer | dict[str, Any]) -> dict[str, str]:
        """label -> custom_id of the buttons of an answer or of a message body."""
        body = answer.body if isinstance(answer, Answer) else answer
        out = {}
        for row in body.get("components") or []:
            for comp in row.get("components", []):
                if comp.get("type") == 2 and comp.get("custom_id"):
                    out[comp["label"]] = comp["custom_id"]
        return out

    async def click(self, user: dict, answer: Answer | dict[str, Any], label: str) -> Answer:
        """Press the button labelled ``label`` on an answer (or a message body)."""
        custom_id = self.buttons(answer)[label]
        body = answer.body if isinstance(answer, Answer) else answer
        message = self.fake.message_payload(self.channel, self.fake.bot_user, body,
                                            guild_id=self.guild.id)
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._base(user, 3, data, None)
        payload["message"] = message
        return await self._interact(payload)

    # -- gateway events --------------------------------------------------------------

    def _reaction(self, user: dict, channel: int, message_id: str | int, emoji: str,
                  added: bool, burst: bool = False) -> tuple[str, dict]:
        """A frame as discord-api-docs lists its fields (tests/fakes/payloads/discord.py)."""
        where = {"user_id": user["id"], "channel_id": str(channel),
                 "message_id": str(message_id), "guild_id": str(self.guild.id),
                 "emoji": frames.emoji(emoji), "burst": burst}
        if added:
            return "MESSAGE_REACTION_ADD", frames.reaction_add(
                member=self.member(user), message_author_id=self.fake.bot_user["id"], **where)
        return "MESSAGE_REACTION_REMOVE", frames.reaction_remove(**where)

    def _key(self, seq: int) -> str:
        shard = self.fake.shard_for(self.guild.id)
        return f"{self.fake.session_ids[shard]}:{seq}"

    async def react(self, user: dict, channel: int, message_id: str | int, emoji: str,
                    added: bool = True, *, burst: bool = False) -> int:
        """A reaction added or removed (``burst``: a super-reaction); waits until the adapter
        handled it. Returns its seq."""
        await self._announce_roles()
        event, data = self._reaction(user, channel, message_id, emoji, added, burst)
        seq = await self.fake.dispatch(self.guild.id, event, data)
        await self._until_finished(self._key(seq), 1)
        return seq

    async def clear_reactions(self, channel: int, message_id: str | int,
                              emoji: str | None = None) -> int:
        """MESSAGE_REACTION_REMOVE_ALL, or _REMOVE_EMOJI with ``emoji``; waits until handled."""
        where = {"channel_id": str(channel), "message_id": str(message_id),
                 "guild_id": str(self.guild.id)}
        if emoji is None:
            event, data = "MESSAGE_REACTION_REMOVE_ALL", frames.reaction_remove_all(**where)
        else:
            event = "MESSAGE_REACTION_REMOVE_EMOJI"
            data = frames.reaction_remove_emoji(emoji=frames.emoji(emoji), **where)
        seq = await self.fake.dispatch(self.guild.id, event, data)
        await self._until_finished(self._key(seq), 1)
        return seq

    async def edit_message(self, author: dict, message: dict, content: str) -> int:
        """MESSAGE_UPDATE of a stored message with new words; waits until handled."""
        await self._announce_roles()
        data = frames.message_update(message, content=content, guild_id=str(self.guild.id),
                                     member=self.member(author))
        seq = await self.fake.dispatch(self.guild.id, "MESSAGE_UPDATE", data)
        await self._until_finished(self._key(seq), 1)
        return seq

    async def delete_message(self, message: dict) -> int:
        """MESSAGE_DELETE of a stored message; waits until handled."""
        data = frames.message_delete(message_id=message["id"], channel_id=message["channel_id"],
                                     guild_id=str(self.guild.id))
        seq = await self.fake.dispatch(self.guild.id, "MESSAGE_DELETE", data)
        await self._until_finished(self._key(seq), 1)
        return seq

    async def redeliver(self, seq: int) -> None:
        """The same gateway frame again; waits until the adapter handled it a second time."""
        key = self._key(seq)
        before = list(self.adapter.finished).count(key) if self.adapter else 0
        await self.fake.redeliver(self.guild.id, seq)
        await self._until_finished(key, before + 1)

    # -- what the bot sent -----------------------------------------------------------

    def posted(self, channel: int | None = None) -> list[Call]:
        cid = channel or self.channel
        return self.fake.rest("POST", f"/channels/{cid}/messages")

    def posted_messages(self, channel: int | None = None) -> list[dict]:
        """The stored messages the bot posted in a channel, oldest first."""
        cid = str(channel or self.channel)
        return [m for m in self.fake.messages.values()
                if m["channel_id"] == cid and m["author"]["id"] == self.fake.bot_user["id"]
                and "interaction_metadata" not in m]

    def last_card(self) -> dict:
        return self.posted_messages()[-1]

    def dms(self, user: dict) -> list[str]:
        """Texts of the direct messages a member received."""
        channels = {str(c) for c, u in self.fake.dm_channels.items() if str(u) == user["id"]}
        return [c.body.get("content") or "" for c in self.fake.rest("POST", "/channels/")
                if c.path.split("/")[2] in channels]


def embed_text(body: dict) -> str:
    """Every visible word of a message body: content, embed title/description/fields/footer."""
    parts = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in e.get("fields") or []]
        parts.append((e.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)
