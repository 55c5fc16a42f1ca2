"""Signing in through Slack (OpenID Connect) and Discord (OAuth2) against loopback identity
servers, and through console links: who gets in, to which tenants, as what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from bots.web.app import build_web
from core import web_login
from core.app import Hromada
from core.clock import ManualClock, SystemClock
from core.context import Actor
from tests.fakes.identity import FakeDiscordIdentity, FakeSlackIdentity, serving
from tests.web.conftest import csrf_in, csrf_of, sign_in, snapshot, web_settings

MANAGE_GUILD = 1 << 5


@pytest.fixture
def slack_id() -> Iterator[FakeSlackIdentity]:
    fake = FakeSlackIdentity()
    with serving(fake):
        yield fake


@pytest.fixture
def discord_id() -> Iterator[FakeDiscordIdentity]:
    fake = FakeDiscordIdentity()
    with serving(fake):
        yield fake


def _client(hromada: Hromada, **settings: Any) -> TestClient:
    app = build_web(hromada, web_settings(**settings))
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


@pytest.fixture
def slack_client(hromada: Hromada, slack_id: FakeSlackIdentity) -> Iterator[TestClient]:
    with _client(hromada, slack_client_id=slack_id.client_id,
                 slack_client_secret=slack_id.client_secret, slack_api_url=slack_id.api_url,
                 slack_bot_token=slack_id.bot_token) as client:
        yield client


@pytest.fixture
def discord_client(hromada: Hromada, discord_id: FakeDiscordIdentity) -> Iterator[TestClient]:
    with _client(hromada, discord_client_id=discord_id.client_id,
                 discord_client_secret=discord_id.client_secret,
                 discord_api_url=discord_id.base) as client:
        yield client


def _through_provider(client: TestClient, start: str) -> httpx.Response:
    """The browser's round trip: our redirect, the provider's approval, our callback."""
    out = client.get(start)
    assert out.status_code in (302, 303, 307), out.text
    approved = httpx.get(out.headers["location"], follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = approved.headers["location"]
    assert back.startswith("http://testserver/auth/")
    return client.get(back)


def _tenant(hromada: Hromada, tenant_id: str, title: str) -> None:
    """A tenant Hromada serves, with one idea in it."""
    hromada.run(Actor(tenant_id, "founder", "Founder"), "idea", title)


def test_sign_in_with_slack_reaches_the_workspace_and_nothing_else(
        hromada: Hromada, slack_id: FakeSlackIdentity, slack_client: TestClient) -> None:
    _tenant(hromada, "slack:T1", "Standing desks")
    _tenant(hromada, "slack:T2", "Secret plan of the other workspace")
    slack_id.sign_in_as("T1", "U7", "Olena Koval")

    start = slack_client.get("/login/slack")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith(f"{slack_id.base}/openid/connect/authorize?")
    assert query["redirect_uri"] == ["http://testserver/auth/slack/callback"]
    assert set(query["scope"][0].split()) == {"openid", "profile"}
    assert query["nonce"] and query["state"]

    approved = httpx.get(start.headers["location"], follow_redirects=False)
    done = slack_client.get(approved.headers["location"])
    assert done.status_code == 303
    assert done.headers["location"] == "/t/slack:T1/ideas"
    board = slack_client.get("/t/slack:T1/ideas")
    assert board.status_code == 200 and "Standing desks" in board.text
    assert "Olena Koval" in board.text
    assert slack_client.get("/t/slack:T2/ideas").status_code == 404
    assert slack_client.get("/t/slack:T2/ideas/I-1").status_code == 404
    # The token endpoint got the client's secret in the body, as Slack wants it.
    token_call = next(c for c in slack_id.calls if c[1].endswith("openid.connect.token"))
    assert token_call[2]["client_secret"] == slack_id.client_secret
    # users.info (with the bot token) said "not an admin": no moderator controls.
    assert "Change status" not in slack_client.get("/t/slack:T1/ideas/I-1").text


def test_a_slack_admin_moderates_on_the_web(hromada: Hromada, slack_id: FakeSlackIdentity,
                                             slack_client: TestClient) -> None:
    _tenant(hromada, "slack:T1", "Standing desks")
    slack_id.sign_in_as("T1", "UADMIN", "Admin Person", admin=True)
    _through_provider(slack_client, "/login/slack")
    page = slack_client.get("/t/slack:T1/ideas/I-1")
    assert "Change status" in page.text
    changed = slack_client.post("/t/slack:T1/ideas/I-1/status",
                                data={"csrf": csrf_of(slack_client), "status": "planned"})
    assert changed.status_code == 303
    assert "planned" in slack_client.get("/t/slack:T1/ideas/I-1").text
    assert "planned" in hromada.run(Actor("slack:T1", "U9", "Someone"), "idea",
                                    "show I-1").plain()


def test_a_settings_moderator_moderates_without_admin_rights(
        hromada: Hromada, slack_id: FakeSlackIdentity, slack_client: TestClient) -> None:
    boss = Actor("slack:T1", "UBOSS", "Boss", is_admin=True)
    hromada.run(boss, "idea", "Standing desks")
    hromada.run(boss, "hromada", "settings moderators add <@UMOD>")
    slack_id.sign_in_as("T1", "UMOD", "Mod")
    _through_provider(slack_client, "/login/slack")
    assert "Change status" in slack_client.get("/t/slack:T1/ideas/I-1").text


def test_a_workspace_without_hromada_gives_no_pages(
        hromada: Hromada, slack_id: FakeSlackIdentity, slack_client: TestClient) -> None:
    _tenant(hromada, "slack:T1", "Standing desks")
    slack_id.sign_in_as("T9", "U1", "Stranger")
    done = _through_provider(slack_client, "/login/slack")
    assert done.headers["location"] == "/"
    home = slack_client.get("/")
    assert "not installed" in home.text
    assert slack_client.get("/t/slack:T1/ideas").status_code == 404
    assert slack_client.get("/t/slack:T9/ideas").status_code == 404


def test_slack_callbacks_that_were_not_asked_for_are_refused(
        hromada: Hromada, slack_id: FakeSlackIdentity, slack_client: TestClient) -> None:
    _tenant(hromada, "slack:T1", "Standing desks")
    slack_id.sign_in_as("T1", "U7", "Olena")
    before = snapshot(hromada)
    # A code and state from someone else's browser: this session never started a sign-in.
    with _client(hromada, slack_client_id=slack_id.client_id,
                 slack_client_secret=slack_id.client_secret,
                 slack_api_url=slack_id.api_url) as other:
        start = other.get("/login/slack")
        approved = httpx.get(start.headers["location"], follow_redirects=False)
    stolen = slack_client.get(approved.headers["location"])
    assert stolen.status_code == 403
    assert slack_client.get("/t/slack:T1/ideas").status_code == 303  # still signed out
    # The person said no at Slack.
    slack_id.signed_in = None
    denied = _through_provider(slack_client, "/login/slack")
    assert denied.status_code == 403
    assert snapshot(hromada) == before


def test_sign_in_with_discord_gives_each_guild_its_role(
        hromada: Hromada, discord_id: FakeDiscordIdentity, discord_client: TestClient) -> None:
    _tenant(hromada, "discord:100", "Voice channel for pairing")
    _tenant(hromada, "discord:200", "Game night")
    _tenant(hromada, "discord:300", "A guild she is not in")
    discord_id.sign_in_as("555", "mykola", {"100": MANAGE_GUILD, "200": 0x40, "999": 0})

    start = discord_client.get("/login/discord")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith(f"{discord_id.base}/oauth2/authorize?")
    assert set(query["scope"][0].split()) == {"identify", "guilds"}
    assert query["redirect_uri"] == ["http://testserver/auth/discord/callback"]
    approved = httpx.get(start.headers["location"], follow_redirects=False)
    done = discord_client.get(approved.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/"

    home = discord_client.get("/")
    assert "/t/discord:100/ideas" in home.text and "/t/discord:200/ideas" in home.text
    assert "discord:300" not in home.text and "discord:999" not in home.text
    assert "Change status" in discord_client.get("/t/discord:100/ideas/I-1").text  # Manage Server
    assert "Change status" not in discord_client.get("/t/discord:200/ideas/I-1").text
    assert discord_client.get("/t/discord:300/ideas").status_code == 404
    assert discord_client.get("/t/discord:999/ideas").status_code == 404
    refused = discord_client.post("/t/discord:200/ideas/I-1/status",
                                  data={"csrf": csrf_of(discord_client), "status": "done"})
    assert refused.status_code == 403
    assert "Only moderators" in refused.text


def test_discord_refusal_signs_nobody_in(hromada: Hromada, discord_id: FakeDiscordIdentity,
                                         discord_client: TestClient) -> None:
    _tenant(hromada, "discord:100", "Voice channel for pairing")
    discord_id.signed_in = None
    assert _through_provider(discord_client, "/login/discord").status_code == 403
    assert discord_client.get("/t/discord:100/ideas").status_code == 303


def test_providers_without_client_ids_are_not_offered(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "/login/slack" not in page.text and "/login/discord" not in page.text
    assert client.get("/login/slack").status_code == 404
    assert client.get("/login/discord").status_code == 404


# -- console links --------------------------------------------------------------------


def test_a_console_link_works_once(client: TestClient, hromada: Hromada) -> None:
    token = web_login.issue(hromada.db, SystemClock(), tenant_id="console:demo", name="Alice")
    page = client.get(f"/login/link/{token}")
    assert page.status_code == 200
    # Opening the link (a chat's preview does) uses nothing up: only the form signs in.
    assert client.get(f"/login/link/{token}").status_code == 200
    assert client.post(f"/login/link/{token}", data={"csrf": csrf_in(page.text)}).status_code \
        == 303
    assert client.get("/t/console:demo/ideas").status_code == 200
    assert snapshot(hromada)["web_login"] == []  # nothing of a used link stays
    client.post("/logout", data={"csrf": csrf_of(client)})
    assert client.get("/t/console:demo/ideas").status_code == 303
    again = client.post(f"/login/link/{token}", data={"csrf": csrf_of(client)})
    assert again.status_code == 410
    assert client.get(f"/login/link/{token}").status_code == 410
    assert client.get("/t/console:demo/ideas").status_code == 303


def test_an_expired_console_link_is_refused(client: TestClient, hromada: Hromada) -> None:
    eleven_minutes_ago = ManualClock(SystemClock().now() - web_login.LINK_TTL
                                     - web_login.LINK_TTL / 10)
    token = web_login.issue(hromada.db, eleven_minutes_ago, tenant_id="console:demo",
                            name="Alice")
    assert client.get(f"/login/link/{token}").status_code == 410
    refused = client.post(f"/login/link/{token}", data={"csrf": csrf_of(client)})
    assert refused.status_code == 410
    assert client.get("/t/console:demo/ideas").status_code == 303


def test_only_a_hash_of_the_link_is_stored(hromada: Hromada) -> None:
    token = web_login.issue(hromada.db, SystemClock(), tenant_id="console:demo", name="Alice")
    rows = snapshot(hromada)["web_login"]
    assert rows and all(token not in repr(row) for row in rows)
    assert any(web_login.token_hash(token) in row for row in rows)


def test_made_up_links_are_refused(client: TestClient) -> None:
    assert client.get("/login/link/not-a-real-token").status_code == 410
    assert client.post("/login/link/not-a-real-token",
                       data={"csrf": csrf_of(client)}).status_code == 410


def test_two_people_signed_in_at_once_stay_apart(client: TestClient, other_client: TestClient,
                                                 hromada: Hromada) -> None:
    _tenant(hromada, "console:a", "Idea of A")
    _tenant(hromada, "console:b", "Idea of B")
    sign_in(client, "console:a", "ann", "Ann")
    sign_in(other_client, "console:b", "bob", "Bob")
    assert "Idea of A" in client.get("/t/console:a/ideas").text
    assert client.get("/t/console:b/ideas").status_code == 404
    assert other_client.get("/t/console:a/ideas").status_code == 404


def test_with_oauth_installs_the_workspace_bot_token_asks_who_is_admin(
        hromada: Hromada, slack_id: FakeSlackIdentity) -> None:
    """No SLACK_BOT_TOKEN: the token the workspace's install stored (encrypted) asks
    users.info; without an install, admins are not known (settings moderators still are)."""
    from slack_sdk.oauth.installation_store import Installation

    from bots.slack.installations import DbInstallationStore
    from storage.tokens import TokenCipher

    _tenant(hromada, "slack:T1", "Standing desks")
    _tenant(hromada, "slack:T2", "Game night")
    store = DbInstallationStore(client_id=slack_id.client_id, engine=hromada.db.engine,
                                cipher=TokenCipher(hromada.db.engine, hromada.secret))
    store._save(Installation(app_id="A1", team_id="T1", user_id="UINSTALLER",  # noqa: SLF001
                             bot_token=slack_id.bot_token, bot_id="B1", bot_user_id="UB1",
                             bot_scopes=["commands"]))
    settings = {"slack_client_id": slack_id.client_id,
                "slack_client_secret": slack_id.client_secret,
                "slack_api_url": slack_id.api_url}
    slack_id.sign_in_as("T1", "UADMIN", "Admin Person", admin=True)
    with _client(hromada, **settings) as installed:
        _through_provider(installed, "/login/slack")
        assert "Change status" in installed.get("/t/slack:T1/ideas/I-1").text
    info = [c for c in slack_id.calls if c[1].endswith("users.info")]
    assert [c[2]["user"] for c in info] == ["UADMIN"]
    slack_id.sign_in_as("T2", "UADMIN2", "Admin Elsewhere", admin=True)
    with _client(hromada, **settings) as not_installed:
        _through_provider(not_installed, "/login/slack")
        assert "Change status" not in not_installed.get("/t/slack:T2/ideas/I-1").text


def test_a_forged_id_token_or_a_mismatched_userinfo_signs_nobody_in(
        hromada: Hromada, slack_id: FakeSlackIdentity, slack_client: TestClient) -> None:
    from joserfc.jwk import RSAKey

    from tests.fakes.identity import SlackPerson

    _tenant(hromada, "slack:T1", "Standing desks")
    _tenant(hromada, "slack:T2", "Other workspace")
    slack_id.sign_in_as("T1", "U7", "Olena")
    slack_id.forge_with = RSAKey.generate_key(2048, parameters={"kid": "fake-slack-1"})
    assert _through_provider(slack_client, "/login/slack").status_code == 403
    slack_id.forge_with = None
    slack_id.userinfo_as = SlackPerson("T2", "U8", "Someone else")
    assert _through_provider(slack_client, "/login/slack").status_code == 403
    assert slack_client.get("/t/slack:T1/ideas").status_code == 303
    assert slack_client.get("/t/slack:T2/ideas").status_code == 303
    slack_id.userinfo_as = None
    assert _through_provider(slack_client, "/login/slack").status_code == 303
    assert slack_client.get("/t/slack:T1/ideas").status_code == 200


def test_a_link_form_without_the_token_uses_nothing_up(client: TestClient,
                                                       hromada: Hromada) -> None:
    """Another site posting the form (CSRF) neither signs anyone in nor spends the link."""
    token = web_login.issue(hromada.db, SystemClock(), tenant_id="console:demo", name="Alice")
    for form in ({}, {"csrf": "forged"}):
        assert client.post(f"/login/link/{token}", data=form).status_code == 403
    assert client.get("/t/console:demo/ideas").status_code == 303
    page = client.get(f"/login/link/{token}")
    assert page.status_code == 200  # still good
    assert client.post(f"/login/link/{token}",
                       data={"csrf": csrf_in(page.text)}).status_code == 303
