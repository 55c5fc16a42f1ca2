"""A fake Slack Web API on loopback (aiohttp, port 0), plus Socket Mode and response URLs.

It accepts what slack_sdk sends: GET with query parameters (``users.info``,
``conversations.history``, ...) and POST with a form or a JSON body, the token in
``Authorization: Bearer``. Every call is recorded in ``calls`` (method, merged parameters, token)
so tests can assert on everything that left the app. Workspaces map bot tokens to teams, so
several installed workspaces answer apart.

Socket Mode: ``apps.connections.open`` returns ``ws://127.0.0.1:P/socket``; ``socket_request``
sends an envelope over that WebSocket and returns the app's acknowledgement payload.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None

    def dump(self) -> str:
        """Everything the call carried, as one string: for 'never appears anywhere' checks."""
        return json.dumps({"method": self.method, "params": self.params}, ensure_ascii=False,
                          default=str)


@dataclass
class Message:
    ts: str
    text: str
    user: str | None
    thread_ts: str | None = None
    blocks: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # attachments, subtype, bot_id, ...


DEFAULT_SIZE = 25  # members of a channel unless a test says otherwise


@dataclass
class Workspace:
    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, list[Message]] = field(default_factory=dict)
    # Token rotation (an app with ``token_rotation_enabled``): installs hand out expiring
    # ``xoxe.xoxb-`` tokens with a refresh token; a refresh retires the old pair at once.
    rotation_seconds: int | None = None
    refresh_token: str | None = None
    refreshes: int = 0
    # conversations.info's num_members per channel; a channel not listed has DEFAULT_SIZE.
    channel_sizes: dict[str, int] = field(default_factory=dict)


class FakeSlack:
    """The fake server. ``await start()`` then point ``SLACK_API_URL`` at ``api_url``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.workspaces: dict[str, Workspace] = {}
        self.oauth_codes: dict[str, str] = {}  # code -> team_id
        self.group_dms: dict[str, tuple[str, ...]] = {}  # group DM channel -> its members
        self.app_token = "xapp-1-test"
        self._ts = itertools.count(1)
        self._failures: dict[str, list[tuple[int, int, str]]] = {}
        self.slow: dict[str, float] = {}  # method -> seconds before it answers
        self._changed = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self.base = ""

    # -- set-up --------------------------------------------------------------------

    def add_workspace(self, team_id: str, name: str = "") -> Workspace:
        ws = Workspace(team_id, name or team_id, bot_token=f"xoxb-{team_id}",
                       bot_user_id=f"UB{team_id}")
        self.workspaces[team_id] = ws
        return ws

    def add_user(self, team_id: str, user_id: str, name: str, *, admin: bool = False,
                 owner: bool = False) -> None:
        self.workspaces[team_id].users[user_id] = {
            "id": user_id, "team_id": team_id, "name": name.lower(), "real_name": name,
            "is_admin": admin, "is_owner": owner, "is_bot": False,
            "profile": {"display_name": name, "real_name": name},
        }

    def add_message(self, team_id: str, channel: str, text: str, *, user: str | None,
                    thread_ts: str | None = None, **fields: Any) -> str:
        """A message someone wrote in a channel; returns its ts. ``fields`` are the rest of
        Slack's message JSON as history returns it (``blocks``, ``attachments``, ...)."""
        ts = self._next_ts()
        blocks = list(fields.pop("blocks", []) or [])
        self.workspaces[team_id].channels.setdefault(channel, []).append(
            Message(ts, text, user, thread_ts, blocks, fields))
        return ts

    def message_json(self, team_id: str, channel: str, ts: str) -> dict[str, Any]:
        """A stored message as ``conversations.history`` returns it."""
        return self._msg(next(m for m in self.messages(team_id, channel) if m.ts == ts))

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 0,
                  error: str = "ratelimited") -> None:
        """The next call of ``method`` answers ``status`` (429 with ``Retry-After``) and
        ``{"ok": false, "error": error}`` (status 200 with ``missing_scope``: a refusal)."""
        self._failures.setdefault(method, []).append((status, retry_after, error))

    def refuse_next(self, method: str, error: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail as Slack refuses: HTTP 200 with
        ``{"ok": false, "error": error}`` (``channel_not_found``, ``restricted_action``,
        ``not_in_channel``, ``is_archived``, ...), which slack_sdk raises as SlackApiError."""
        for _ in range(times):
            self.fail_next(method, status=200, error=error)

    def oauth_code(self, team_id: str) -> str:
        code = f"code-{team_id}-{uuid.uuid4().hex[:6]}"
        self.oauth_codes[code] = team_id
        return code

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "") -> str:
        return f"{self.base}/respond/{name or uuid.uuid4().hex[:8]}"

    # -- reading what happened -------------------------------------------------------

    def calls_of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    def messages(self, team_id: str, channel: str) -> list[Message]:
        return list(self.workspaces[team_id].channels.get(channel, []))

    async def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 10) -> None:
        """Wait until the recorded calls satisfy ``predicate`` (woken by each new call)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.calls)), timeout)

    # -- server --------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket_handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.api_url

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.headers.get("Content-Type", "")
            if ctype.startswith("application/json"):
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.get("token")
        await self._record(Call(method, params, token))
        delay = self.slow.get(method)
        if delay:
            await asyncio.sleep(delay)  # a slow Slack: the call is in flight meanwhile
        failures = self._failures.get(method)
        if failures:
            status, retry_after, error = failures.pop(0)
            return web.json_response({"ok": False, "error": error}, status=status,
                                     headers={"Retry-After": str(retry_after)})
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(params))
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            url = self.base.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": url})
        ws = next((w for w in self.workspaces.values() if w.bot_token == token), None)
        if ws is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(ws, params))

    def _next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.000100"

    # -- methods -------------------------------------------------------------------

    def _m_auth_test(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"https://{ws.team_id.lower()}.slack.example/", "team": ws.name,
                "user": "hromada", "team_id": ws.team_id, "user_id": ws.bot_user_id,
                "bot_id": "B" + ws.team_id, "is_enterprise_install": False}

    def _m_users_info(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        user = ws.users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_chat_postMessage(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p["channel"])
        if channel.startswith("CNOT"):
            return {"ok": False, "error": "not_in_channel"}
        ts = self._next_ts()
        msg = Message(ts, str(p.get("text", "")), ws.bot_user_id, p.get("thread_ts"),
                      p.get("blocks") or [])
        ws.channels.setdefault(channel, []).append(msg)
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"type": "message", "ts": ts, "text": msg.text, "bot_id": "B"}}

    def _m_chat_postEphemeral(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}

    def _m_conversations_open(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        """One user: their DM ``D<user>``. Several: a group DM (mpim) of them and the bot, the
        same id for the same people in any order, its members kept in ``group_dms``."""
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 8:
            return {"ok": False, "error": "too_many_users"}
        if len(users) == 1:
            return {"ok": True, "channel": {"id": "D" + users[0]}}
        channel = "G" + "".join(sorted(set(users)))
        self.group_dms[channel] = tuple(users)
        return {"ok": True, "channel": {"id": channel, "is_mpim": True}}

    def _m_conversations_info(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        info: dict[str, Any] = {"id": channel, "is_channel": channel.startswith("C")}
        if str(p.get("include_num_members", "")).lower() in ("1", "true"):
            info["num_members"] = ws.channel_sizes.get(channel, DEFAULT_SIZE)
        return {"ok": True, "channel": info}

    def _m_conversations_history(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        msgs = [m for m in ws.channels.get(str(p.get("channel")), []) if m.thread_ts is None
                or m.thread_ts == m.ts]
        latest = p.get("latest")
        if latest:
            inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
            msgs = [m for m in msgs if float(m.ts) < float(latest)
                    or (inclusive and m.ts == latest)]
        msgs.sort(key=lambda m: float(m.ts), reverse=True)
        limit = int(p.get("limit") or 100)
        return {"ok": True, "messages": [self._msg(m) for m in msgs[:limit]], "has_more": False}

    def _m_conversations_replies(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        ts = str(p.get("ts"))
        msgs = ws.channels.get(str(p.get("channel")), [])
        target = next((m for m in msgs if m.ts == ts), None)
        if target is None:
            return {"ok": False, "error": "thread_not_found"}
        root = target.thread_ts or target.ts
        thread = [m for m in msgs if m.ts == root or m.thread_ts == root]
        thread.sort(key=lambda m: float(m.ts))
        return {"ok": True, "messages": [self._msg(m) for m in thread], "has_more": False}

    @staticmethod
    def _msg(m: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
        if m.user:
            out["user"] = m.user
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        if m.blocks:
            out["blocks"] = m.blocks
        out.update(m.extra)
        return out

    def _m_chat_getPermalink(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel")), str(p.get("message_ts"))
        return {"ok": True, "channel": channel,
                "permalink": f"https://{ws.team_id.lower()}.slack.example/archives/{channel}/"
                             f"p{ts.replace('.', '')}"}

    def _m_views_publish(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V1", **(p.get("view") or {})}}

    def _m_files_getUploadURLExternal(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        file_id = "F" + uuid.uuid4().hex[:8].upper()
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, ws: Workspace, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files") or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _oauth_access(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("grant_type") == "refresh_token":
            ws = next((w for w in self.workspaces.values()
                       if w.refresh_token and w.refresh_token == p.get("refresh_token")), None)
            if ws is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            ws.refreshes += 1
            return self._grant(ws)
        team_id = self.oauth_codes.pop(str(p.get("code")), None)
        if team_id is None:
            return {"ok": False, "error": "invalid_code"}
        return self._grant(self.workspaces[team_id])

    def _grant(self, ws: Workspace) -> dict[str, Any]:
        granted: dict[str, Any] = {
            "ok": True, "app_id": "A0HROMADA", "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write", "token_type": "bot",
            "access_token": ws.bot_token, "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name}, "enterprise": None,
            "is_enterprise_install": False}
        if ws.rotation_seconds is not None:
            ws.bot_token = f"xoxe.xoxb-1-{ws.team_id}-{ws.refreshes}"
            ws.refresh_token = f"xoxe-1-{ws.team_id}-{ws.refreshes}"
            granted.update(access_token=ws.bot_token, refresh_token=ws.refresh_token,
                           expires_in=ws.rotation_seconds)
        return granted

    # -- response URLs and uploads ---------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(Call("response_url", {"name": request.match_info["name"], **body}, None))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        await self._record(Call("upload", {"file_id": request.match_info["file_id"],
                                           "size": len(data)}, None))
        return web.Response(text="OK")

    # -- Socket Mode -----------------------------------------------------------------

    async def _socket_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}})
        self._socket_ready.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = self._acks.pop(str(data.get("envelope_id")), None)
            if future is not None and not future.done():
                future.set_result(data.get("payload") or {})
        return ws

    async def socket_connected(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), timeout)

    async def socket_request(self, kind: str, payload: dict[str, Any],
                             timeout: float = 10) -> dict[str, Any]:
        """Send one envelope (``slash_commands``, ``events_api``, ``interactive``); its ack."""
        await self.socket_connected(timeout)
        assert self._socket is not None
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await self._socket.send_json({"envelope_id": envelope_id, "type": kind,
                                      "payload": payload, "accepts_response_payload": True,
                                      "retry_attempt": 0, "retry_reason": ""})
        return await asyncio.wait_for(future, timeout)
