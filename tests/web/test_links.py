""""Open in Hromada": idea cards in chat link to the idea's page when the deployment has a
public URL, and say nothing of the web when it has none."""

from __future__ import annotations

import json

import pytest

from bots.console.render import render as console_render
from bots.discord.render import embed
from bots.slack.render import blocks
from core.app import Hromada
from core.clock import ManualClock
from core.context import Actor
from core.web_links import page_url
from storage.db import Database

BASE = "https://hromada.example.com"
URL = f"{BASE}/t/console:test/ideas/I-1"


@pytest.fixture
def linked(db: Database, clock: ManualClock) -> Hromada:
    return Hromada(db, secret=b"test-secret", clock=clock, public_url=BASE)


def test_page_urls_are_stable() -> None:
    assert page_url(BASE + "/", "slack:T0123", "I-12") == f"{BASE}/t/slack:T0123/ideas/I-12"
    assert page_url(BASE, "discord:81234", "R-3") == f"{BASE}/t/discord:81234/risks/R-3"
    assert page_url(BASE, "console:demo", "k-7") == f"{BASE}/t/console:demo/kb/K-7"
    assert page_url(BASE, "console:a b", "I-1") == f"{BASE}/t/console:a%20b/ideas/I-1"
    with pytest.raises(ValueError):
        page_url(BASE, "console:demo", "P-1")


def test_idea_cards_link_to_their_page(linked: Hromada, actor) -> None:  # type: ignore[no-untyped-def]
    alice = actor("alice")
    card = linked.run(alice, "idea", "Dark mode for the wiki")
    assert f"Open in Hromada: {URL}" in card.plain()
    assert f"Open in Hromada: {URL}" in linked.run(alice, "idea", "show I-1").plain()
    # Each platform shows it with what it already renders (a field).
    assert URL in json.dumps(blocks(card))
    assert URL in json.dumps(embed(card).to_dict())
    assert URL in console_render(card)
    # Anonymous ideas too: the link names nobody.
    anon = linked.run(Actor("console:test", "bob", "Bob", channel_size=30), "idea",
                      "anon Pay rises should be public")
    shown = linked.run(alice, "idea", "show I-2").plain()
    assert f"{BASE}/t/console:test/ideas/I-2" in shown and "Bob" not in shown
    assert anon is not None


def test_no_public_url_no_link(hromada: Hromada, actor) -> None:  # type: ignore[no-untyped-def]
    card = hromada.run(actor("alice"), "idea", "Dark mode for the wiki")
    assert "Open in Hromada" not in card.plain() and "/t/" not in card.plain()


def test_the_link_speaks_the_tenant_language(linked: Hromada, actor) -> None:  # type: ignore[no-untyped-def]
    linked.run(actor("boss", admin=True), "hromada", "settings language uk")
    card = linked.run(actor("alice"), "idea", "Dark mode for the wiki")
    assert f"Відкрити в Громаді: {URL}" in card.plain()
