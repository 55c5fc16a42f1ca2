"""A loopback Discord: the gateway WebSocket and the REST calls Hromada's bot makes.

It speaks just enough of the real protocol for the unmodified discord.py client to log in,
receive GUILD_CREATE, take interactions and reactions, and answer through REST. Every REST
request is recorded (method, path, query, JSON body) so tests can assert on what the bot sent.

Answers carry ``Content-Type: application/json`` exactly: with a charset discord.py reads the
body as text and login fails (see FIELD-NOTES).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API = "/api/v10"
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
EVERYONE_PERMS = 0x0000_0000_0006_4C40  # view, send, read history, add reactions, use commands


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any  # parsed JSON (``payload_json`` for multipart), or None
    files: list[str] = field(default_factory=list)  # names of uploaded files
    at: float = field(default_factory=time.perf_counter)  # when it arrived (benchmarks)


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, tuple[str, int]]  # role id -> (name, permissions)
    channels: dict[int, str]  # channel id -> name
    member_count: int = 25  # what GUILD_CREATE says: the audience an anonymous card hides in


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json"})


class FakeDiscord:
    """The fake server. ``start()`` binds 127.0.0.1 on a free port; ``url`` is its base."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.app_id = self.snowflake()
        self.bot_user = self.user_payload(self.snowflake(), "hromada", bot=True)
        self.guilds: dict[int, FakeGuild] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.messages: dict[int, dict[str, Any]] = {}  # message id -> message payload
        self.dm_channels: dict[int, int] = {}  # DM channel id -> recipient user id
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> payload
        self.sockets: dict[int, web.WebSocketResponse] = {}  # shard id -> socket
        self.identifies: list[dict[str, Any]] = []
        self.interactions: dict[int, dict[str, Any]] = {}  # id -> the INTERACTION_CREATE sent
        self.callbacks: dict[str, Call] = {}  # interaction id -> its callback request
        self.failures: list[tuple[str, str, int, dict[str, Any]]] = []  # see ``fail_next``
        self.failing_uploads = 0  # requests carrying files that still fail (413) before one works
        self.shard_count = 1
        # Discord's session start limit: one IDENTIFY per bucket (shard % max_concurrency) per
        # window. Every IDENTIFY is logged with its arrival time; ``identify_violations`` lists
        # those that came too soon after the previous one of their bucket.
        self.max_concurrency = 1
        self.identify_window = 5.0
        self.identify_log: list[tuple[float, int]] = []  # (monotonic arrival, shard id)
        # HELLO waits until this many gateway sockets are open, so their IDENTIFYs race.
        self.hello_after = 0
        self._opened = 0
        self._all_open = asyncio.Event()
        self._seq: dict[int, int] = {}
        self._frames: dict[tuple[int, int], str] = {}  # (shard, seq) -> sent frame
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.session_ids: dict[int, str] = {}

    # -- ids and payloads ------------------------------------------------------------

    def snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    @staticmethod
    def user_payload(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {"id": str(uid), "username": name, "global_name": name.capitalize(),
                "discriminator": "0", "avatar": None, "bot": bot, "public_flags": 0}

    def add_guild(self, name: str = "Acme", *, owner_id: int | None = None,
                  guild_id: int | None = None) -> FakeGuild:
        gid = guild_id or self.snowflake()
        guild = FakeGuild(gid, name, owner_id or self.snowflake(), {gid: ("@everyone",
                                                                        EVERYONE_PERMS)},
                          {})
        self.guilds[gid] = guild
        return guild

    def add_role(self, guild: FakeGuild, name: str, permissions: int = 0) -> int:
        rid = self.snowflake()
        guild.roles[rid] = (name, permissions)
        return rid

    def add_channel(self, guild: FakeGuild, name: str = "general") -> int:
        cid = self.snowflake()
        guild.channels[cid] = name
        return cid

    def add_user(self, name: str) -> dict[str, Any]:
        user = self.user_payload(self.snowflake(), name)
        self.users[int(user["id"])] = user
        return user

    def add_message(self, channel_id: int, author: dict[str, Any], content: str,
                    guild_id: int | None = None) -> dict[str, Any]:
        """A message someone wrote in a channel (for 📚 and ⚠️ to find)."""
        msg = self.message_payload(channel_id, author, {"content": content}, guild_id=guild_id)
        self.messages[int(msg["id"])] = msg
        return msg

    def message_payload(self, channel_id: int, author: dict[str, Any], body: dict[str, Any],
                        *, guild_id: int | None = None, flags: int = 0) -> dict[str, Any]:
        msg = {
            "id": str(self.snowflake()), "channel_id": str(channel_id), "author": author,
            "content": body.get("content") or "", "timestamp": "2026-03-02T09:00:00+00:00",
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [],
            "pinned": False, "type": 0, "flags": flags | int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if guild_id is not None:
            msg["guild_id"] = str(guild_id)
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        return msg

    def fail_next(self, method: str, prefix: str, status: int = 403,
                  error: dict[str, Any] | None = None) -> None:
        """The next matching REST request gets this error (e.g. 403 Missing Access)."""
        self.failures.append((method, prefix, status,
                              error or {"message": "Missing Access", "code": 50001}))

    def guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds.values() if channel_id in g.channels), None)

    def member_payload(self, guild: FakeGuild, user: dict[str, Any],
                       roles: list[int] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        perms = guild.roles[guild.id][1]
        for rid in roles:
            perms |= guild.roles[rid][1]
        if int(user["id"]) == guild.owner_id:
            perms |= ADMINISTRATOR | MANAGE_GUILD
        return {"user": user, "roles": [str(r) for r in roles], "flags": 0,
                "permissions": str(perms), "joined_at": "2025-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "nick": None, "avatar": None,
                "premium_since": None, "pending": False}

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "owner_id": str(guild.owner_id),
            "roles": [{"id": str(rid), "name": name, "permissions": str(perms), "position": i,
                       "color": 0, "hoist": False, "managed": False, "mentionable": False,
                       "flags": 0}
                      for i, (rid, (name, perms)) in enumerate(guild.roles.items())],
            "channels": [{"id": str(cid), "type": 0, "name": name, "position": i,
                          "permission_overwrites": [], "nsfw": False, "parent_id": None,
                          "guild_id": str(guild.id)}
                         for i, (cid, name) in enumerate(guild.channels.items())],
            "members": [self.member_payload(guild, self.bot_user)],
            "member_count": guild.member_count,
            "threads": [], "emojis": [], "stickers": [], "features": [], "large": False,
            "unavailable": False, "joined_at": "2025-01-01T00:00:00+00:00",
            "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0,
            "system_channel_flags": 0, "preferred_locale": "en-US", "nsfw_level": 0,
            "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "application_id": None,
        }

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sockets.values()):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _touch(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], Any], *, timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every request or event)."""
        async def loop() -> Any:
            while True:
                result = predicate()
                if result:
                    return result
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(loop(), timeout)

    # -- gateway ---------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        self._opened += 1
        if self._opened >= self.hello_after:
            self._all_open.set()
        await self._all_open.wait()
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250},
                                      "s": None, "t": None}))
        shard = 0
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                ident = data["d"]
                self.identifies.append(ident)
                shard, count = ident.get("shard") or [0, 1]
                self.identify_log.append((time.monotonic(), shard))
                self.shard_count = count
                await self._ready(ws, shard)
            elif op == 6:
                shard = next((s for s, sid in self.session_ids.items()
                              if sid == data["d"]["session_id"]), 0)
                self.sockets[shard] = ws
                await self._send(shard, "RESUMED", {})
        if self.sockets.get(shard) is ws:
            del self.sockets[shard]
        return ws

    async def _ready(self, ws: web.WebSocketResponse, shard: int) -> None:
        self.sockets[shard] = ws
        self._seq[shard] = 0
        self.session_ids[shard] = f"session-{shard}-{self.snowflake()}"
        mine = [g for g in self.guilds.values() if (g.id >> 22) % self.shard_count == shard]
        await self._send(shard, "READY", {
            "v": 10, "user": self.bot_user, "session_id": self.session_ids[shard],
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/",
            "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
            "application": {"id": str(self.app_id), "flags": 0},
            "shard": [shard, self.shard_count], "private_channels": [], "relationships": [],
        })
        for guild in mine:
            await self._send(shard, "GUILD_CREATE", self.guild_payload(guild))
        self._touch()

    async def _send(self, shard: int, event: str, data: dict[str, Any]) -> int:
        self._seq[shard] = self._seq.get(shard, 0) + 1
        seq = self._seq[shard]
        frame = json.dumps({"op": 0, "t": event, "s": seq, "d": data})
        self._frames[(shard, seq)] = frame
        await self.sockets[shard].send_str(frame)
        return seq

    def shard_for(self, guild_id: int) -> int:
        return (guild_id >> 22) % self.shard_count

    async def dispatch(self, guild_id: int, event: str, data: dict[str, Any]) -> int:
        """Send a gateway event to the shard that serves the guild; returns its sequence."""
        return await self._send(self.shard_for(guild_id), event, data)

    async def redeliver(self, guild_id: int, seq: int) -> None:
        """Send an already sent frame again, unchanged, as a resumed session replays it."""
        shard = self.shard_for(guild_id)
        await self.sockets[shard].send_str(self._frames[(shard, seq)])

    def identify_violations(self) -> list[tuple[int, float]]:
        """(bucket, gap) for each IDENTIFY that followed its bucket's previous one too soon."""
        last: dict[int, float] = {}
        out = []
        for at, shard in sorted(self.identify_log):
            bucket = shard % self.max_concurrency
            if bucket in last and at - last[bucket] < self.identify_window:
                out.append((bucket, at - last[bucket]))
            last[bucket] = at
        return out

    def connected(self) -> bool:
        return len(self.sockets) >= self.shard_count and bool(self.identifies)

    # -- REST ------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[str] = []
        if request.content_type == "application/json":
            raw = await request.read()
            body = json.loads(raw) if raw else None
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                elif part.filename:  # type: ignore[union-attr]
                    files.append(part.filename)  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
        call = Call(request.method, path, dict(request.query), body, files)
        self.calls.append(call)
        try:
            if files and self.failing_uploads:
                self.failing_uploads -= 1
                return _json({"message": "Request entity too large", "code": 40005}, 413)
            for i, (method, prefix, status, error) in enumerate(self.failures):
                if method == call.method and path.startswith(prefix):
                    del self.failures[i]
                    return _json(error, status)
            return self._answer(call)
        finally:
            self._touch()

    def _answer(self, call: Call) -> web.Response:  # noqa: C901 - a router
        parts = call.path.strip("/").split("/")
        m = call.method
        if call.path == "/users/@me" and m == "GET":
            return _json(self.bot_user)
        if call.path == "/oauth2/applications/@me":
            return _json({"id": str(self.app_id), "name": "Hromada", "icon": None,
                          "description": "", "bot_public": True, "bot_require_code_grant": False,
                          "owner": self.user_payload(1, "owner"), "verify_key": "00",
                          "flags": 0, "team": None, "summary": ""})
        if call.path in ("/gateway", "/gateway/bot"):
            return _json({"url": f"ws://127.0.0.1:{self.port}/", "shards": self.shard_count,
                          "session_start_limit": {"total": 1000, "remaining": 1000,
                                                  "reset_after": 0,
                                                  "max_concurrency": self.max_concurrency}})
        if parts[0] == "applications" and parts[-1] == "commands" and m == "PUT":
            scope = parts[3] if len(parts) > 3 and parts[2] == "guilds" else "global"
            stored = []
            for cmd in call.body or []:
                stored.append({"description": "", "options": [], **cmd,
                               "id": str(self.snowflake()),
                               "application_id": str(self.app_id), "version": "1"})
            self.commands[scope] = stored
            return _json(stored)
        if parts[0] == "users" and parts[1:] == ["@me", "channels"] and m == "POST":
            recipient = int(call.body["recipient_id"])
            cid = next((c for c, u in self.dm_channels.items() if u == recipient), None)
            if cid is None:
                cid = self.snowflake()
                self.dm_channels[cid] = recipient
            user = self.users.get(recipient) or self.user_payload(recipient, f"user{recipient}")
            return _json({"id": str(cid), "type": 1, "recipients": [user],
                          "last_message_id": None})
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            cid = int(parts[1])
            if m == "POST" and len(parts) == 3:
                guild = self.guild_of_channel(cid)
                msg = self.message_payload(cid, self.bot_user, call.body or {},
                                           guild_id=guild.id if guild else None)
                self.messages[int(msg["id"])] = msg
                return _json(msg)
            if m == "GET" and len(parts) == 4:
                msg = self.messages.get(int(parts[3]))
                if msg is None or msg["channel_id"] != str(cid):
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                return _json(msg)
        if parts[0] == "interactions" and parts[-1] == "callback" and m == "POST":
            self.callbacks.setdefault(parts[1], call)
            return self._callback(call, int(parts[1]))
        if parts[0] == "webhooks" and m in ("POST", "PATCH", "GET"):
            return self._webhook(call, parts)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _callback(self, call: Call, interaction_id: int) -> web.Response:
        kind = call.body["type"]
        data = call.body.get("data") or {}
        info: dict[str, Any] = {"id": str(interaction_id), "type": 2,
                                "response_message_loading": kind == 5,
                                "response_message_ephemeral": bool(int(data.get("flags") or 0)
                                                                   & 64)}
        answer: dict[str, Any] = {"interaction": info}
        sent = self.interactions.get(interaction_id, {})
        if kind in (4, 5, 7):
            msg = self.message_payload(int(sent.get("channel_id") or 0), self.bot_user, data,
                                       guild_id=int(sent["guild_id"]) if sent.get("guild_id")
                                       else None)
            msg["interaction_metadata"] = {"id": str(interaction_id), "type": 2,
                                           "user": self.bot_user,
                                           "authorizing_integration_owners": {}}
            self.messages[int(msg["id"])] = msg
            info["response_message_id"] = msg["id"]
            answer["resource"] = {"type": kind, "message": msg}
        return _json(answer)

    def _webhook(self, call: Call, parts: list[str]) -> web.Response:
        """Follow-ups (POST) and edits of the original response (PATCH .../@original)."""
        token = parts[2] if len(parts) > 2 else ""
        iid, sent = next(((i, p) for i, p in self.interactions.items() if p.get("token") == token),
                         (0, {}))
        channel = int(sent.get("channel_id") or 0)
        original = next((m for m in self.messages.values()
                         if (m.get("interaction_metadata") or {}).get("id") == str(iid)), None)
        if parts[-1] == "@original" and original is not None:
            if call.method == "PATCH":
                for key in ("content", "embeds", "components"):
                    if key in (call.body or {}):
                        original[key] = call.body[key]
            return _json(original)
        msg = self.message_payload(channel, self.bot_user, call.body or {})
        msg["webhook_id"] = str(self.app_id)
        msg["interaction_metadata"] = {"id": str(iid), "type": 2, "user": self.bot_user,
                                       "authorizing_integration_owners": {}}
        self.messages[int(msg["id"])] = msg
        return _json(msg)

    # -- what the bot sent -----------------------------------------------------------

    def rest(self, method: str | None = None, prefix: str = "") -> list[Call]:
        return [c for c in self.calls
                if (method is None or c.method == method) and c.path.startswith(prefix)]

    def message_bodies(self) -> list[Any]:
        """Every body the bot sent that carries message content (messages, callbacks, hooks)."""
        out = []
        for c in self.calls:
            if c.method not in ("POST", "PATCH") or not isinstance(c.body, dict):
                continue
            if c.path.startswith("/interactions/"):
                if c.body.get("type") in (4, 7):
                    out.append(c.body.get("data") or {})
            elif c.path.startswith("/webhooks/") or (c.path.startswith("/channels/")
                                                      and c.path.endswith("/messages")):
                out.append(c.body)
        return out
