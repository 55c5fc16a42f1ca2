"""Loopback identity servers for "Sign in with Slack" and "Sign in with Discord".

``FakeSlackIdentity`` speaks Slack's OpenID Connect: ``/openid/connect/authorize``, the JWKS at
``/openid/connect/keys``, and the Web API methods ``openid.connect.token`` (an RS256 id token
with Slack's ``https://slack.com/team_id`` / ``user_id`` claims), ``openid.connect.userInfo``
and ``users.info`` (admin flags, for the bot token). ``FakeDiscordIdentity`` speaks Discord's
OAuth2: ``/oauth2/authorize``, ``/api/oauth2/token``, ``/api/v10/users/@me`` and
``/api/v10/users/@me/guilds`` (each guild with its ``permissions`` bitfield).

The authorize endpoints stand for the person at the browser: they approve at once as
``signed_in`` (set by the test) and redirect back with a code, or with ``error=access_denied``
when nobody is set. Codes are single use and bound to the client and redirect URI; every
request is recorded in ``calls``.

``serving(fake)`` runs a fake on a loop in a thread of its own, so synchronous tests (the
Starlette TestClient, Playwright) can use it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json"})


def _redirect(uri: str, **params: str) -> web.Response:
    sep = "&" if "?" in uri else "?"
    raise web.HTTPFound(f"{uri}{sep}{urlencode(params)}")


@dataclass
class Grant:
    person: Any
    client_id: str
    redirect_uri: str
    nonce: str | None = None


class _Server:
    """An aiohttp app on 127.0.0.1, port 0."""

    def __init__(self) -> None:
        self.base = ""
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Any] = {}  # access token -> person
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            params.update(dict(await request.post()))
        self.calls.append((request.method, request.path, params))
        return params

    def _grant(self, params: dict[str, Any], person: Any, client_id: str) -> web.Response:
        if params.get("client_id") != client_id:
            return _json({"error": "invalid_client"}, 401)
        if person is None:
            _redirect(str(params["redirect_uri"]), error="access_denied",
                      state=str(params.get("state", "")))
        code = secrets.token_urlsafe(12)
        self.codes[code] = Grant(person, client_id, str(params["redirect_uri"]),
                                 params.get("nonce"))
        _redirect(str(params["redirect_uri"]), code=code, state=str(params.get("state", "")))
        raise AssertionError("unreachable")

    def _redeem(self, params: dict[str, Any], client_id: str, secret: str) -> Grant | None:
        """The code's grant, once, for the right client, secret and redirect URI."""
        if params.get("client_id") != client_id or params.get("client_secret") != secret:
            return None
        grant = self.codes.pop(str(params.get("code")), None)
        if grant is None or grant.redirect_uri != params.get("redirect_uri"):
            return None
        return grant

    def _bearer(self, request: web.Request) -> Any:
        auth = request.headers.get("Authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ").strip())


@dataclass
class SlackPerson:
    team_id: str
    user_id: str
    name: str
    admin: bool = False


class FakeSlackIdentity(_Server):
    """Slack's OpenID Connect provider. Point ``SLACK_API_URL`` at ``api_url``."""

    def __init__(self, *, client_id: str = "slack-client", client_secret: str = "slack-secret",
                 bot_token: str = "xoxb-web-test") -> None:
        super().__init__()
        self.client_id, self.client_secret, self.bot_token = client_id, client_secret, bot_token
        self.key = RSAKey.generate_key(2048, parameters={"kid": "fake-slack-1"})
        self.signed_in: SlackPerson | None = None
        self.people: dict[str, SlackPerson] = {}  # user id -> person (for users.info)
        # Misbehaviour for refusal tests: a key other than the published one signs id tokens;
        # userinfo answers about someone else than the id token.
        self.forge_with: RSAKey | None = None
        self.userinfo_as: SlackPerson | None = None

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def sign_in_as(self, team_id: str, user_id: str, name: str, *,
                   admin: bool = False) -> SlackPerson:
        person = SlackPerson(team_id, user_id, name, admin)
        self.people[user_id] = person
        self.signed_in = person
        return person

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/openid/connect/authorize", self._authorize)
        app.router.add_get("/openid/connect/keys", self._keys)
        app.router.add_route("*", "/api/{method}", self._api)

    async def _authorize(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        assert params.get("response_type") == "code"
        assert set(str(params.get("scope", "")).split()) >= {"openid", "profile"}
        return self._grant(params, self.signed_in, self.client_id)

    async def _keys(self, request: web.Request) -> web.Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    async def _api(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        method = request.match_info["method"]
        if method == "openid.connect.token":
            grant = self._redeem(params, self.client_id, self.client_secret)
            if grant is None:
                return _json({"ok": False, "error": "invalid_code"})
            token = f"xoxp-{secrets.token_hex(8)}"
            self.tokens[token] = grant.person
            return _json({"ok": True, "access_token": token, "token_type": "Bearer",
                          "id_token": self._id_token(grant)})
        if method == "openid.connect.userInfo":
            person = self._bearer(request)
            if person is None:
                return _json({"ok": False, "error": "invalid_auth"})
            return _json({"ok": True, **self._claims(self.userinfo_as or person)})
        if method == "users.info":
            if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
                return _json({"ok": False, "error": "invalid_auth"})
            person = self.people.get(str(params.get("user")))
            if person is None:
                return _json({"ok": False, "error": "user_not_found"})
            return _json({"ok": True, "user": {"id": person.user_id, "name": person.name,
                                               "is_admin": person.admin, "is_owner": False}})
        return _json({"ok": False, "error": "unknown_method"})

    @staticmethod
    def _claims(person: SlackPerson) -> dict[str, Any]:
        return {"sub": person.user_id, "https://slack.com/user_id": person.user_id,
                "https://slack.com/team_id": person.team_id, "name": person.name,
                "given_name": person.name.split()[0]}

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.base, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "auth_time": now, **self._claims(grant.person)}
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode({"alg": "RS256", "kid": "fake-slack-1"}, claims,
                          self.forge_with or self.key)


@dataclass
class DiscordPerson:
    id: str
    username: str
    guilds: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscordIdentity(_Server):
    """Discord's OAuth2 provider. Point ``DISCORD_API_URL`` at ``base``."""

    def __init__(self, *, client_id: str = "discord-client",
                 client_secret: str = "discord-secret") -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.signed_in: DiscordPerson | None = None

    def sign_in_as(self, user_id: str, username: str,
                   guilds: dict[str, int]) -> DiscordPerson:
        """``guilds``: guild id -> the member's permissions bitfield there."""
        self.signed_in = DiscordPerson(user_id, username, [
            {"id": gid, "name": f"Guild {gid}", "owner": False, "permissions": str(bits)}
            for gid, bits in guilds.items()])
        return self.signed_in

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/oauth2/authorize", self._authorize)
        app.router.add_post("/api/oauth2/token", self._token)
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/users/@me/guilds", self._guilds)

    async def _authorize(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        assert params.get("response_type") == "code"
        assert set(str(params.get("scope", "")).split()) == {"identify", "guilds"}
        return self._grant(params, self.signed_in, self.client_id)

    async def _token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        grant = self._redeem(params, self.client_id, self.client_secret)
        if grant is None:
            return _json({"error": "invalid_grant"}, 400)
        token = secrets.token_hex(12)
        self.tokens[token] = grant.person
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 604800,
                      "refresh_token": secrets.token_hex(8), "scope": "identify guilds"})

    async def _me(self, request: web.Request) -> web.Response:
        await self._params(request)
        person = self._bearer(request)
        if person is None:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json({"id": person.id, "username": person.username,
                      "global_name": person.username.capitalize(), "discriminator": "0"})

    async def _guilds(self, request: web.Request) -> web.Response:
        await self._params(request)
        person = self._bearer(request)
        if person is None:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json(person.guilds)


class _Startable(Protocol):
    async def start(self) -> str: ...

    async def stop(self) -> None: ...


@contextmanager
def serving(*fakes: _Startable) -> Iterator[None]:
    """Run the fakes on an event loop in a thread of their own until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-identity", daemon=True)
    thread.start()
    try:
        for fake in fakes:
            asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
        yield
    finally:
        for fake in fakes:
            asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
