"""A reusable harness: the real Slack adapter (Bolt ``AsyncApp`` under uvicorn) against the fake
Slack Web API, both on loopback, driven by requests signed exactly as Slack signs them.

Usage (inside an async test; ``hromada`` is the core fixture)::

    async with SlackHarness.running(hromada) as slack:
        ack = await slack.command("alice", "/idea", "Dark mode")     # form-encoded, signed
        msg = slack.posted("C1")[-1]                                  # what the bot posted
        await slack.react("bob", "C1", msg.ts, "+1", event_id="Ev1")  # JSON event, signed
        await slack.press("alice", button)                            # payload=<json>, signed
        slack.calls / slack.calls_of("chat.postMessage")              # every outbound call

More drivers: ``say(user, channel, text)`` (a member's message, for 📚/⚠️; returns its ts),
``shortcut(user, channel, ts)``, ``open_home(user)``, ``event(payload)``, ``post_raw(body,
headers)`` with ``signed_headers``, ``install(team)`` (OAuth), ``health()``. Readers:
``posted(channel)``, ``dms(user)``, ``group_dms()``, ``calls_of(method)``; helpers
``buttons(blocks)`` and ``block_text(blocks)``. ``command`` returns the private answer whether
it rode in the ack or came later through the response_url.

Every driver method returns once Slack's HTTP request is answered *and* the work the app left
for after its ack (posts, DMs) is finished, so tests never sleep. Users are made on first use:
``"alice"`` is ``UALICE`` in team ``T1``; ``slack.add_user("boss", admin=True)`` makes an admin.

Options of ``running``: ``teams`` (workspaces on the fake), ``socket_mode=True`` (commands and
events travel over the fake's Socket Mode WebSocket instead of HTTP), ``oauth=True`` (no bot
token; install each team with ``await slack.install("T2")`` first).
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bots.delivery import Deliveries
from bots.slack.app import Background
from bots.slack.runner import SlackServer
from core.app import Hromada
from core.config import Settings
from tests.fakes.payloads import slack as slack_payloads
from tests.fakes.slack_api import Call, FakeSlack, Message

SIGNING_SECRET = "test-signing-secret-0123456789"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"


@dataclass
class Response:
    status: int
    body: Any  # the JSON ack body, text, or None when empty


def user_id(name: str) -> str:
    return "U" + re.sub(r"[^A-Z0-9]", "", name.upper())


class SlackHarness:
    def __init__(self, *, fake: FakeSlack, server: SlackServer, session: aiohttp.ClientSession,
                 team: str, socket_mode: bool) -> None:
        self.fake = fake
        self.server = server
        self.session = session
        self.team = team
        self.socket_mode = socket_mode
        self.url = f"http://127.0.0.1:{server.port}"
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = itertools.count(1)

    @classmethod
    @asynccontextmanager
    async def running(cls, hromada: Hromada, *, teams: tuple[str, ...] = ("T1",),
                      socket_mode: bool = False, oauth: bool = False,
                      deliveries: Deliveries | None = None) -> AsyncIterator[SlackHarness]:
        fake = FakeSlack()
        await fake.start()
        for team in teams:
            fake.add_workspace(team, f"Team {team}")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=None if oauth else SecretStr(fake.workspaces[teams[0]].bot_token),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_app_token=SecretStr(fake.app_token) if socket_mode else None,
            slack_client_id=CLIENT_ID if oauth else None,
            slack_client_secret=SecretStr(CLIENT_SECRET) if oauth else None,
            slack_api_url=fake.api_url,
            port=0,
        )
        server = SlackServer(hromada, settings, deliveries or Deliveries(), host="127.0.0.1",
                             port=0, background=Background())
        await server.start()
        session = aiohttp.ClientSession()
        harness = cls(fake=fake, server=server, session=session, team=teams[0],
                      socket_mode=socket_mode)
        try:
            yield harness
        finally:
            await session.close()
            await server.stop()
            await fake.stop()

    # -- people and messages -----------------------------------------------------------

    def add_user(self, name: str, *, admin: bool = False, owner: bool = False,
                 team: str | None = None) -> str:
        team = team or self.team
        uid = user_id(name)
        self.fake.add_user(team, uid, name.capitalize(), admin=admin, owner=owner)
        return uid

    def _user(self, name: str, team: str) -> str:
        uid = user_id(name)
        if uid not in self.fake.workspaces[team].users:
            self.fake.add_user(team, uid, name.capitalize())
        return uid

    def say(self, name: str, channel: str, text: str, *, team: str | None = None,
            thread_ts: str | None = None, **fields: Any) -> str:
        """A message a member wrote in a channel (for 📚/⚠️); returns its ts. It carries the
        ``rich_text`` block Slack adds to typed text; ``fields`` add or replace the rest of
        its JSON (``attachments``, ``blocks``, ``subtype``, ...)."""
        team = team or self.team
        uid = self._user(name, team) if name else None
        if text and "blocks" not in fields:
            fields["blocks"] = [slack_payloads.rich_text(text)]
        if uid:
            fields.setdefault("client_msg_id", str(uuid.uuid4()))
            fields.setdefault("team", team)
        return self.fake.add_message(team, channel, text, user=uid, thread_ts=thread_ts,
                                     **fields)

    @property
    def calls(self) -> list[Call]:
        return self.fake.calls

    def calls_of(self, *methods: str) -> list[Call]:
        return self.fake.calls_of(*methods)

    def posted(self, channel: str, *, team: str | None = None) -> list[Message]:
        """Messages the bot posted in a channel, oldest first."""
        ws = self.fake.workspaces[team or self.team]
        return [m for m in self.fake.messages(ws.team_id, channel) if m.user == ws.bot_user_id]

    def dms(self, name: str) -> list[Call]:
        """chat.postMessage calls into the direct-message channel of a member."""
        return [c for c in self.calls_of("chat.postMessage")
                if c.params.get("channel") == "D" + user_id(name)]

    def group_dms(self) -> list[tuple[frozenset[str], Call]]:
        """chat.postMessage calls into group DMs, each with the user ids of that group."""
        return [(frozenset(self.fake.group_dms[c.params["channel"]]), c)
                for c in self.calls_of("chat.postMessage")
                if c.params.get("channel") in self.fake.group_dms]

    # -- signed requests ---------------------------------------------------------------

    def signed_headers(self, body: str, *, timestamp: int | None = None,
                       content_type: str) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
                "Content-Type": content_type}

    async def post_raw(self, body: str, headers: dict[str, str]) -> Response:
        """POST exactly this body to /slack/events; then wait for the app's after-ack work."""
        async with self.session.post(self.url + "/slack/events", data=body.encode(),
                                     headers=headers) as resp:
            text = await resp.text()
            status = resp.status
        await self.settle()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Response(status, parsed)

    async def settle(self) -> None:
        await self.server.background.drain()

    async def _form(self, fields: dict[str, str], *, timestamp: int | None = None) -> Response:
        body = urlencode(fields)
        return await self.post_raw(body, self.signed_headers(
            body, timestamp=timestamp, content_type="application/x-www-form-urlencoded"))

    async def _json(self, payload: dict[str, Any], *, retry_num: int | None = None) -> Response:
        body = json.dumps(payload)
        headers = self.signed_headers(body, content_type="application/json")
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.post_raw(body, headers)

    # -- what Slack sends --------------------------------------------------------------

    def command_fields(self, user: str, command: str, text: str, *, channel: str = "C1",
                       team: str | None = None) -> dict[str, str]:
        team = team or self.team
        return {"token": "legacy", "team_id": team, "team_domain": team.lower(),
                "channel_id": channel, "channel_name": "general",
                "user_id": self._user(user, team), "user_name": user.lower(),
                "command": command, "text": text, "api_app_id": "A0HROMADA",
                "response_url": self.fake.response_url(f"cmd{next(self._ids)}"),
                "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}"}

    async def command(self, user: str, command: str, text: str = "", *, channel: str = "C1",
                      team: str | None = None, timestamp: int | None = None) -> Response:
        """A slash command. The body is the private answer, however it travelled: in the ack
        itself when the core was quick, else through the command's ``response_url``. ``None``
        when the answer was public (posted in the channel: see ``posted``)."""
        fields = self.command_fields(user, command, text, channel=channel, team=team)
        if self.socket_mode:
            ack = await self.fake.socket_request("slash_commands", fields)
            await self.settle()
            response = Response(200, ack or None)
        else:
            response = await self._form(fields, timestamp=timestamp)
        if response.status == 200 and not response.body:
            name = fields["response_url"].rsplit("/", 1)[1]
            later = [c for c in self.calls_of("response_url") if c.params.get("name") == name]
            if later:
                body = dict(later[-1].params)
                body.pop("name", None)
                response = Response(200, body)
        return response

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    team: str | None = None, retry_num: int | None = None) -> Response:
        team = team or self.team
        payload = slack_payloads.envelope(
            event, team=team, bot_user=self.fake.workspaces[team].bot_user_id,
            event_id=event_id or f"Ev{uuid.uuid4().hex[:10].upper()}")
        if self.socket_mode:
            await self.fake.socket_request("events_api", payload)
            await self.settle()
            return Response(200, None)
        return await self._json(payload, retry_num=retry_num)

    async def react(self, user: str, channel: str, ts: str, reaction: str, *,
                    added: bool = True, event_id: str | None = None, team: str | None = None,
                    retry_num: int | None = None) -> Response:
        team = team or self.team
        author = next((m.user for m in self.fake.messages(team, channel) if m.ts == ts), None)
        event = slack_payloads.reaction(added=added, user=self._user(user, team),
                                        channel=channel, ts=ts, reaction=reaction,
                                        item_user=author)
        return await self.event(event, event_id=event_id, team=team, retry_num=retry_num)

    async def open_home(self, user: str, *, team: str | None = None) -> Response:
        team = team or self.team
        uid = self._user(user, team)
        return await self.event({"type": "app_home_opened", "user": uid, "channel": "D" + uid,
                                 "tab": "home"}, team=team)

    async def press(self, user: str, button: dict[str, Any], *, channel: str = "C1",
                    team: str | None = None, message_ts: str | None = None) -> Response:
        """Press a Block Kit button (a dict from a rendered reply's ``actions`` block).

        The button sits on the member's private answer; with ``message_ts`` it sits on that
        public message in the channel (a posted card), as Slack then says."""
        team = team or self.team
        uid = self._user(user, team)
        payload = {"type": "block_actions", "team": {"id": team, "domain": team.lower()},
                   "user": {"id": uid, "username": user.lower(), "name": user.lower(),
                            "team_id": team},
                   "api_app_id": "A0HROMADA", "token": "legacy",
                   "container": {"type": "message", "message_ts": message_ts or "1.0",
                                 "channel_id": channel, "is_ephemeral": message_ts is None},
                   "trigger_id": f"trigger.{uuid.uuid4().hex[:8]}",
                   "channel": {"id": channel, "name": "general"},
                   "response_url": self.fake.response_url(f"btn{next(self._ids)}"),
                   "actions": [{"action_id": button["action_id"], "block_id": "b1",
                                "text": button["text"], "value": button.get("value", ""),
                                "type": "button", "action_ts": f"{time.time():.6f}"}]}
        return await self._interactive(payload)

    async def shortcut(self, user: str, channel: str, ts: str, *, team: str | None = None,
                       channel_name: str = "general") -> Response:
        """The message shortcut "Save to Hromada" on a message written with ``say``
        (in a DM the bot is not part of: a ``D…`` channel, ``channel_name`` "directmessage")."""
        team = team or self.team
        payload = slack_payloads.message_shortcut(
            team=team, user=self._user(user, team), user_name=user.lower(), channel=channel,
            channel_name=channel_name, message=self.fake.message_json(team, channel, ts),
            response_url=self.fake.response_url(f"sc{next(self._ids)}"),
            callback_id="save_to_hromada", trigger_id=f"trigger.{uuid.uuid4().hex[:8]}")
        return await self._interactive(payload)

    async def _interactive(self, payload: dict[str, Any]) -> Response:
        if self.socket_mode:
            ack = await self.fake.socket_request("interactive", payload)
            await self.settle()
            return Response(200, ack or None)
        return await self._form({"payload": json.dumps(payload)})

    # -- OAuth -------------------------------------------------------------------------

    async def install(self, team: str) -> int:
        """Walk the OAuth install for a workspace: /slack/install, then the redirect back."""
        async with self.session.get(self.url + "/slack/install") as resp:
            page = await resp.text()
            cookie = resp.headers.get("Set-Cookie", "").split(";")[0]
        state = re.search(r"state=([^&\"']+)", page)
        assert state, page
        query = urlencode({"code": self.fake.oauth_code(team), "state": state.group(1)})
        async with self.session.get(f"{self.url}/slack/oauth_redirect?{query}",
                                    headers={"Cookie": cookie}) as resp:
            await resp.text()
            return resp.status

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.session.get(self.url + "/readyz") as resp:
            return resp.status, await resp.json()


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button in Block Kit blocks, in order."""
    return [el for b in blocks if b.get("type") == "actions" for el in b["elements"]
            if el.get("type") == "button"]


def block_text(blocks: list[dict[str, Any]]) -> str:
    """All mrkdwn/plain text of Block Kit blocks joined: what a member reads."""
    out: list[str] = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        for f in b.get("fields", []):
            out.append(f["text"])
        for el in b.get("elements", []):
            if isinstance(el.get("text"), dict):
                out.append(el["text"]["text"])
            elif isinstance(el.get("text"), str):
                out.append(el["text"])
    return "\n".join(out)
