"""A real browser (Debian's Chromium, driven by Playwright) against the web view on a real
port, signing in through the loopback Slack OpenID Connect and Discord OAuth2 servers.

It votes on an idea and checks the tally that chat sees, sees a 👍 from chat on the page,
changes a status as a Discord moderator, and keeps a screenshot of each page under the test's
output directory (the board's is also copied to docs/idea-board.png for the README).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bots.delivery import Deliveries
from bots.ops import Ops, serve_in_thread
from bots.web.app import build_web
from core.app import Hromada
from core.context import Actor
from tests.bots.store_checks import score
from tests.fakes.identity import FakeDiscordIdentity, FakeSlackIdentity, serving
from tests.web.conftest import RecordingDelivery, web_settings

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
MANAGE_GUILD = 1 << 5

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is missing (make test installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def identity() -> Iterator[tuple[FakeSlackIdentity, FakeDiscordIdentity]]:
    slack, discord = FakeSlackIdentity(), FakeDiscordIdentity()
    with serving(slack, discord):
        yield slack, discord


@pytest.fixture
def site(hromada: Hromada, identity: tuple[FakeSlackIdentity, FakeDiscordIdentity],
         notices: RecordingDelivery) -> Iterator[str]:
    """The web view on a real loopback port, mounted as in production (``Ops.web``)."""
    slack, discord = identity
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = web_settings(
        public_url=base, port=port,
        slack_client_id=slack.client_id, slack_client_secret=slack.client_secret,
        slack_api_url=slack.api_url, slack_bot_token=slack.bot_token,
        discord_client_id=discord.client_id, discord_client_secret=discord.client_secret,
        discord_api_url=discord.base)
    deliveries = Deliveries()
    deliveries.add(RecordingDelivery("slack"))
    deliveries.add(RecordingDelivery("discord"))
    stop = serve_in_thread(Ops(hromada, web=build_web(hromada, settings, deliveries)),
                           port=port, host="127.0.0.1")
    try:
        yield base
    finally:
        stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


def _slack_workspace(hromada: Hromada) -> None:
    """A workspace with a few ideas in several states, voted on in chat."""
    people = [Actor("slack:T1", f"U{i}", name) for i, name in
              enumerate(["Olena", "Taras", "Iryna", "Mykola", "Sofia"])]
    boss = Actor("slack:T1", "UBOSS", "Boss", is_admin=True)
    titles = ["Dark mode for the wiki", "Quiet hours on Wednesday afternoons",
              "A shared calendar of public holidays", "Standing desks in the east wing",
              "Monthly demo day for every team"]
    for who, title in zip(people, titles, strict=True):
        hromada.run(who, "idea", title)
    hromada.run(people[2], "idea", "anon Publish salary bands")
    for number, voters in ((2, people[:4]), (3, people[:2]), (5, people[1:4]), (6, people)):
        assert hromada.attach_ref("slack:T1", "idea", number, "C1", f"m{number}")
        for v in voters:
            hromada.react(v, channel_id="C1", message_id=f"m{number}", emoji="+1", added=True)
    hromada.attach_ref("slack:T1", "idea", 1, "C1", "m1")
    hromada.run(boss, "idea", "status I-2 planned Starting in April")
    hromada.run(boss, "idea", "status I-5 in-progress")


def test_vote_in_the_browser_and_see_the_chat_tally(
        browser: Any, site: str, hromada: Hromada, tmp_path: Path,
        identity: tuple[FakeSlackIdentity, FakeDiscordIdentity]) -> None:
    slack, _ = identity
    _slack_workspace(hromada)
    slack.sign_in_as("T1", "U9", "Halyna Petrenko")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1100, "height": 760})

    page.goto(f"{site}/login")
    page.screenshot(path=str(shots / "login.png"), full_page=True)
    page.get_by_role("link", name="Sign in with Slack").click()
    page.wait_for_url(f"{site}/t/slack:T1/ideas")
    assert page.locator(".who .name").inner_text() == "Halyna Petrenko"
    page.screenshot(path=str(shots / "idea-board.png"), full_page=True)

    row = page.locator("ol.board li", has=page.locator("a.ref", has_text="I-1"))
    assert row.locator(".score").inner_text() == "+0"
    row.locator("button.up").click()
    page.wait_for_url(f"{site}/t/slack:T1/ideas?")
    row = page.locator("ol.board li", has=page.locator("a.ref", has_text="I-1"))
    assert row.locator(".score").inner_text() == "+1"
    assert row.locator("button.up").get_attribute("aria-pressed") == "true"
    assert "Your vote is counted: I-1 now has +1" in page.locator(".flash").inner_text()
    # Chat sees the same tally: /idea show through core, and the store.
    chat = Actor("slack:T1", "U1", "Taras")
    assert "+1 (👍 1 · 👎 0)" in hromada.run(chat, "idea", "show I-1").plain()
    assert score(hromada, "idea", 1, tenant="slack:T1") == 1
    # A 👍 from chat shows on the page.
    hromada.react(chat, channel_id="C1", message_id="m1", emoji="+1", added=True)
    page.reload()
    row = page.locator("ol.board li", has=page.locator("a.ref", has_text="I-1"))
    assert row.locator(".score").inner_text() == "+2"

    page.goto(f"{site}/t/slack:T1/ideas?sort=trending")
    page.screenshot(path=str(shots / "idea-board-trending.png"), full_page=True)
    page.get_by_role("searchbox").fill("calender of holidays")  # a typo: fuzzy, as in chat
    page.get_by_role("button", name="Show").click()
    assert page.locator("ol.board a.ref").all_inner_texts() == ["I-3"]
    page.screenshot(path=str(shots / "idea-search.png"), full_page=True)

    page.locator("a.title", has_text="A shared calendar").click()
    page.wait_for_url(f"{site}/t/slack:T1/ideas/I-3")
    page.screenshot(path=str(shots / "idea.png"), full_page=True)
    page.goto(f"{site}/t/slack:T1/ideas/I-6")
    assert page.locator(".author").inner_text() == "anonymous"
    assert "Iryna" not in page.content() and "U2" not in page.content()
    page.goto(f"{site}/t/slack:T2/ideas")
    assert page.locator("h1").inner_text() == "404"
    page.screenshot(path=str(shots / "not-found.png"), full_page=True)

    page.goto(f"{site}/t/slack:T1/ideas")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/login")
    page.goto(f"{site}/t/slack:T1/ideas")
    page.wait_for_url(f"{site}/login")

    for name in ("login", "idea-board", "idea-board-trending", "idea-search", "idea",
                 "not-found"):
        assert (shots / f"{name}.png").stat().st_size > 5000, name
    DOCS.mkdir(exist_ok=True)
    shutil.copyfile(shots / "idea-board.png", DOCS / "idea-board.png")


def test_a_discord_moderator_changes_a_status_in_the_browser(
        browser: Any, site: str, hromada: Hromada, tmp_path: Path,
        identity: tuple[FakeSlackIdentity, FakeDiscordIdentity]) -> None:
    _, discord = identity
    author = Actor("discord:100", "201", "Ostap")
    voter = Actor("discord:100", "202", "Marta")
    hromada.run(author, "idea", "Voice channel for pair programming")
    hromada.run(Actor("discord:300", "999", "Else"), "idea", "Another guild's idea")
    assert hromada.attach_ref("discord:100", "idea", 1, "C", "m1")
    hromada.react(voter, channel_id="C", message_id="m1", emoji="👍", added=True)
    discord.sign_in_as("555", "mod", {"100": MANAGE_GUILD, "300": 0})
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1100, "height": 760})

    page.goto(f"{site}/login")
    page.get_by_role("link", name="Sign in with Discord").click()
    page.wait_for_url(f"{site}/")
    page.screenshot(path=str(shots / "workspaces.png"), full_page=True)
    page.get_by_role("link", name="discord:100").first.click()
    page.wait_for_url(f"{site}/t/discord:100/ideas")
    page.locator("a.title", has_text="Voice channel").click()
    page.get_by_label("New status").select_option("planned")
    page.get_by_label("Note").fill("Next sprint")
    page.screenshot(path=str(shots / "idea-moderator.png"), full_page=True)
    page.get_by_role("button", name="Change status").click()
    page.wait_for_url(f"{site}/t/discord:100/ideas/I-1")
    assert "People told: 2." in page.locator(".flash").inner_text()
    assert "new → planned: Next sprint" in page.locator(".history").inner_text()
    shown = hromada.run(voter, "idea", "show I-1").plain()
    assert "Status: planned" in shown
    # In the other guild the same person is no moderator: no controls.
    page.goto(f"{site}/t/discord:300/ideas/I-1")
    assert page.get_by_role("button", name="Change status").count() == 0
    for name in ("workspaces", "idea-moderator"):
        assert (shots / f"{name}.png").stat().st_size > 5000, name


def test_a_console_link_in_the_browser(browser: Any, site: str, hromada: Hromada,
                                       tmp_path: Path) -> None:
    from core import web_login
    from core.clock import SystemClock

    hromada.run(Actor("console:demo", "you", "You", is_admin=True), "idea",
                "Dark mode for the wiki")
    token = web_login.issue(hromada.db, SystemClock(), tenant_id="console:demo", name="Alice")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1100, "height": 600})
    page.goto(f"{site}/login/link/{token}")
    page.screenshot(path=str(shots / "link.png"), full_page=True)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site}/t/console:demo/ideas")
    assert page.locator(".who .name").inner_text() == "Alice"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/login")
    page.goto(f"{site}/login/link/{token}")
    assert page.locator("h1").inner_text() == "410"
    page.screenshot(path=str(shots / "link-used.png"), full_page=True)
    for name in ("link", "link-used"):
        assert (shots / f"{name}.png").stat().st_size > 5000, name
