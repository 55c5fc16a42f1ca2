"""Signing in to the web pages, and who the signed-in person is in each tenant.

Three ways in, all ending in the same ``Viewer`` kept in the signed session cookie:

- Slack: OpenID Connect ("Sign in with Slack"); the id token's and userinfo's
  ``https://slack.com/team_id`` / ``https://slack.com/user_id`` say which workspace and member.
  Admin status comes from ``users.info`` with the workspace's bot token (``SLACK_BOT_TOKEN``,
  or the one its OAuth install stored): admins and owners moderate, as in chat; the
  moderators named in settings do either way.
- Discord: OAuth2 with scopes ``identify`` and ``guilds``; each guild's ``permissions``
  bitfield with Manage Server (or Administrator) makes the member an admin, as in chat.
- Console: a one-time link from ``hromada web login`` (``core.web_login``).

Only tenants that exist in the store become memberships; ``require_member`` answers 404 for
any other tenant, so a page never reveals that a tenant it does not show exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from joserfc.errors import JoseError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bots.web.csrf import check_csrf, csrf_token
from bots.web.state import hromada_of, settings_of
from core import viewing, web_login
from core.config import Settings
from core.context import Actor
from core.i18n import N_

log = logging.getLogger(__name__)

SESSION_KEY = "viewer"
# Discord permission bits that make a member an admin in chat: Administrator, Manage Server.
DISCORD_ADMINISTRATOR = 1 << 3
DISCORD_MANAGE_GUILD = 1 << 5
SLACK_TEAM_CLAIM = "https://slack.com/team_id"
SLACK_USER_CLAIM = "https://slack.com/user_id"
# What a sign-in that did not go through raises: the provider said no or answered wrongly, the
# id token failed its checks (signature, nonce, audience, issuer, expiry), or no answer at all.
REFUSED = (AuthlibBaseError, JoseError, httpx.HTTPError, ValueError)


class SignInRequired(Exception):
    """Nobody is signed in: the app answers with the sign-in page."""


@dataclass(frozen=True)
class Membership:
    """The viewer as a member of one tenant: ``member_id`` is the platform user id."""

    tenant_id: str
    member_id: str
    name: str
    is_admin: bool = False


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: how they signed in, and the tenants they belong to."""

    via: str  # "slack" | "discord" | "console"
    name: str
    memberships: tuple[Membership, ...]

    def membership(self, tenant_id: str) -> Membership | None:
        return next((m for m in self.memberships if m.tenant_id == tenant_id), None)

    def to_session(self) -> dict[str, Any]:
        return {"via": self.via, "name": self.name,
                "m": [[m.tenant_id, m.member_id, m.name, m.is_admin] for m in self.memberships]}

    @classmethod
    def from_session(cls, data: object) -> Viewer | None:
        if not isinstance(data, dict):
            return None
        try:
            members = tuple(Membership(str(t), str(u), str(n), bool(a))
                            for t, u, n, a in data.get("m", []))
            return cls(str(data["via"]), str(data["name"]), members)
        except (KeyError, TypeError, ValueError):
            return None


def current_viewer(request: Request) -> Viewer | None:
    return Viewer.from_session(request.session.get(SESSION_KEY))


def sign_in(request: Request, viewer: Viewer) -> None:
    """A fresh session for the viewer (a new CSRF token too: nothing carries over)."""
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    request.session[SESSION_KEY] = viewer.to_session()
    csrf_token(request)


def require_member(request: Request, tenant_id: str) -> Actor:
    """The viewer as a core ``Actor`` in ``tenant_id``; 404 when they are not a member there
    (or the tenant is gone), never saying whether the tenant exists. Not signed in: the
    sign-in page."""
    viewer = current_viewer(request)
    if viewer is None:
        raise SignInRequired
    member = viewer.membership(tenant_id)
    if member is None or not viewing.existing_tenants(hromada_of(request).db, [tenant_id]):
        raise HTTPException(404, N_("There is no such page."))
    return Actor(tenant_id, member.member_id, member.name, is_admin=member.is_admin)


# -- identity providers ---------------------------------------------------------------


def slack_urls(settings: Settings) -> dict[str, str]:
    """Slack's OIDC endpoints from ``SLACK_API_URL`` (``https://slack.com/api/`` →
    authorize at ``https://slack.com/openid/connect/authorize``), so tests use a fake."""
    api = settings.slack_api_url or "https://slack.com/api/"
    api = api if api.endswith("/") else api + "/"
    base = api[: -len("api/")] if api.endswith("api/") else api
    return {"authorize_url": f"{base}openid/connect/authorize",
            "access_token_url": f"{api}openid.connect.token",
            "userinfo_endpoint": f"{api}openid.connect.userInfo",
            "jwks_uri": f"{base}openid/connect/keys",
            "issuer": base.rstrip("/"),
            "api": api}


def discord_urls(settings: Settings) -> dict[str, str]:
    """Discord's OAuth2 endpoints from ``DISCORD_API_URL`` (default https://discord.com)."""
    base = (settings.discord_api_url or "https://discord.com").rstrip("/")
    return {"authorize_url": f"{base}/oauth2/authorize",
            "access_token_url": f"{base}/api/oauth2/token",
            "api_base_url": f"{base}/api/v10/"}


def oauth_clients(settings: Settings) -> OAuth:
    """Authlib clients for the providers that have a client id and secret."""
    oauth = OAuth()
    if settings.slack_client_id and settings.slack_client_secret:
        urls = slack_urls(settings)
        oauth.register(
            "slack", client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            authorize_url=urls["authorize_url"], access_token_url=urls["access_token_url"],
            userinfo_endpoint=urls["userinfo_endpoint"], jwks_uri=urls["jwks_uri"],
            issuer=urls["issuer"],
            client_kwargs={"scope": "openid profile",
                           "token_endpoint_auth_method": "client_secret_post"})
    if settings.discord_client_id and settings.discord_client_secret:
        urls = discord_urls(settings)
        oauth.register(
            "discord", client_id=settings.discord_client_id,
            client_secret=settings.discord_client_secret.get_secret_value(),
            authorize_url=urls["authorize_url"], access_token_url=urls["access_token_url"],
            api_base_url=urls["api_base_url"],
            client_kwargs={"scope": "identify guilds",
                           "token_endpoint_auth_method": "client_secret_post"})
    return oauth


def providers(request: Request) -> list[str]:
    """The sign-in buttons this deployment offers."""
    oauth: OAuth = request.app.state.oauth
    return [name for name in ("slack", "discord") if oauth.create_client(name) is not None]


def _client(request: Request, name: str) -> Any:
    client = request.app.state.oauth.create_client(name)
    if client is None:
        raise HTTPException(404, N_("There is no such page."))
    return client


def _callback(request: Request, name: str) -> str:
    return f"{settings_of(request).web_url}/auth/{name}/callback"


async def login_slack(request: Request) -> Response:
    return await _client(request, "slack").authorize_redirect(request, _callback(request, "slack"))


async def login_discord(request: Request) -> Response:
    return await _client(request, "discord").authorize_redirect(
        request, _callback(request, "discord"))


async def slack_callback(request: Request) -> Response:
    client = _client(request, "slack")
    try:
        token = await client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})  # the id token, checked (nonce, aud, iss)
        info = dict(await client.userinfo(token=token))
    except REFUSED as exc:
        log.info("slack sign-in refused: %s", type(exc).__name__)
        raise HTTPException(403, N_("Slack did not confirm who you are; try again.")) from None
    if not claims or any(claims.get(k) != info.get(k)
                         for k in ("sub", SLACK_TEAM_CLAIM, SLACK_USER_CLAIM)):
        raise HTTPException(403, N_("Slack did not confirm who you are; try again."))
    team, user = info.get(SLACK_TEAM_CLAIM), info.get(SLACK_USER_CLAIM)
    if not isinstance(team, str) or not isinstance(user, str):
        raise HTTPException(403, N_("Slack did not say which workspace you are in."))
    name = str(info.get("name") or info.get("given_name") or user)
    tenant_id = f"slack:{team}"
    members: tuple[Membership, ...] = ()
    if viewing.existing_tenants(hromada_of(request).db, [tenant_id]):
        members = (Membership(tenant_id, user, name,
                               await _slack_admin(request, team, user)),)
    return _signed_in(request, Viewer("slack", name, members))


async def _slack_admin(request: Request, team_id: str, user_id: str) -> bool:
    """Workspace admins and owners moderate, as in chat: ``users.info`` with the workspace's
    bot token (the one its OAuth install stored, else ``SLACK_BOT_TOKEN``). Without a token,
    or when Slack refuses, only the moderators named in settings."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    settings = settings_of(request)
    token = await _slack_bot_token(request, team_id)
    if token is None:
        return False
    client = AsyncWebClient(token=token, base_url=slack_urls(settings)["api"])
    try:
        user = (await client.users_info(user=user_id))["user"]
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))


async def _slack_bot_token(request: Request, team_id: str) -> str | None:
    """The workspace's own bot token (its OAuth install's), else ``SLACK_BOT_TOKEN``."""
    settings = settings_of(request)
    if settings.slack_client_id and settings.slack_client_secret:
        from bots.slack.installations import DbInstallationStore
        from storage.tokens import TokenCipher

        hromada = hromada_of(request)
        store = DbInstallationStore(client_id=settings.slack_client_id,
                                    engine=hromada.db.engine,
                                    cipher=TokenCipher(hromada.db.engine, hromada.secret))
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None and bot.bot_token:
            return str(bot.bot_token)
    if settings.slack_bot_token is not None:
        return settings.slack_bot_token.get_secret_value()
    return None


async def discord_callback(request: Request) -> Response:
    client = _client(request, "discord")
    try:
        token = await client.authorize_access_token(request)
        me = (await client.get("users/@me", token=token)).json()
        guilds = (await client.get("users/@me/guilds", token=token)).json()
    except REFUSED as exc:
        log.info("discord sign-in refused: %s", type(exc).__name__)
        raise HTTPException(403, N_("Discord did not confirm who you are; try again.")) from None
    if not isinstance(me, dict) or "id" not in me or not isinstance(guilds, list):
        raise HTTPException(403, N_("Discord did not confirm who you are; try again."))
    user = str(me["id"])
    name = str(me.get("global_name") or me.get("username") or user)
    wanted = {f"discord:{g['id']}": g for g in guilds if isinstance(g, dict) and "id" in g}
    found = viewing.existing_tenants(hromada_of(request).db, list(wanted))
    members = tuple(Membership(t, user, name, _discord_admin(wanted[t]))
                    for t in sorted(found))
    return _signed_in(request, Viewer("discord", name, members))


def _discord_admin(guild: dict[str, Any]) -> bool:
    if guild.get("owner"):
        return True
    try:
        bits = int(guild.get("permissions") or 0)
    except (TypeError, ValueError):
        return False
    return bool(bits & (DISCORD_ADMINISTRATOR | DISCORD_MANAGE_GUILD))


def _signed_in(request: Request, viewer: Viewer) -> Response:
    sign_in(request, viewer)
    if len(viewer.memberships) == 1:
        return RedirectResponse(tenant_home(viewer.memberships[0].tenant_id), 303)
    return RedirectResponse("/", 303)


def tenant_home(tenant_id: str) -> str:
    return f"/t/{quote(tenant_id, safe=':')}/ideas"


# -- console links --------------------------------------------------------------------


async def link_page(request: Request) -> Response:
    """The link only shows a button: a chat's link preview fetching it signs nobody in."""
    from bots.web.templating import render

    token = request.path_params["token"]
    hromada = hromada_of(request)
    if not await _run(web_login.usable, hromada.db, request.app.state.link_clock, token):
        raise HTTPException(410, N_("This sign-in link has expired or was used already; "
                                 "ask for a new one with hromada web login."))
    return await render(request, "link.html", token=token)


async def link_redeem(request: Request) -> Response:
    await check_csrf(request)
    hromada = hromada_of(request)
    member = await _run(web_login.redeem, hromada.db, request.app.state.link_clock,
                        request.path_params["token"])
    if member is None:
        raise HTTPException(410, N_("This sign-in link has expired or was used already; "
                                 "ask for a new one with hromada web login."))
    m = Membership(member.tenant_id, member.user_id, member.display_name, member.is_admin)
    return _signed_in(request, Viewer("console", member.display_name, (m,)))


async def logout(request: Request) -> Response:
    await check_csrf(request)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login", 303)


async def login_page(request: Request) -> Response:
    from bots.web.templating import render

    return await render(request, "login.html", providers=providers(request))


async def _run(fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


ROUTES = [
    Route("/login", login_page, name="login"),
    Route("/login/slack", login_slack, name="login_slack"),
    Route("/auth/slack/callback", slack_callback, name="slack_callback"),
    Route("/login/discord", login_discord, name="login_discord"),
    Route("/auth/discord/callback", discord_callback, name="discord_callback"),
    Route("/login/link/{token}", link_page, name="login_link"),
    Route("/login/link/{token}", link_redeem, methods=["POST"], name="login_link_redeem"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
