"""Knowledge on the web: /kb's own search, the onboarding path in order, snippet pages with
tags, aliases, owner, verify-by (stale marked) and the link back to the message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import knowledge
from tests.web.conftest import sign_in

T = "console:test"
OTHER = "console:other"
SLACK_LINK = "https://example.slack.com/archives/C1/p1700000000000100"


@pytest.fixture
def snippets(hromada, actor):
    ann = actor("ann")
    hromada.run(ann, "kb", "add How to get VPN access | Ask IT with the serial number "
                          "#onboarding #it")
    hromada.run(ann, "kb", "add Release checklist | Tag, smoke suite, announce #engineering")
    hromada.run(ann, "kb", "add Expense reports | Receipts before the 5th #onboarding")
    hromada.run(ann, "kb", "alias K-2 shipping list")
    hromada.save_message(actor("bob"), text="Deploys freeze on Fridays after 3pm",
                         link=SLACK_LINK, source_author="Carol")
    return ann


def refs(html: str) -> list[str]:
    return re.findall(r'<a href="/t/console:test/kb/(K-\d+)">', html)


def test_search_is_kb_search(client, hromada, actor, snippets):
    sign_in(client, T, "viewer", "Viewer")
    for query in ("vpn acess", "release checklist", "freeze fridays", "zzqx"):
        page = client.get(f"/t/{T}/kb", params={"q": query})
        assert page.status_code == 200
        chat = hromada.run(actor("viewer"), "kb", query)
        expected = [ln.ref for ln in chat.lines if ln.ref]
        if chat.title is not None:  # an exact match: chat shows it, then five more
            expected = [chat.title.plain().split()[1]] + expected
        assert refs(page.text) == expected, query
    near = client.get(f"/t/{T}/kb", params={"q": "relase chcklist qq"}).text
    assert "Did you mean" in near or refs(near)


def test_the_page_shows_what_core_search_found(client, hromada, snippets, monkeypatch):
    """No second search in the web layer: whatever ``knowledge.find`` says is what is shown."""
    sign_in(client, T, "viewer", "Viewer")
    real = knowledge.find

    def only_expenses(ctx, query):
        found = real(ctx, "Expense reports")
        return knowledge.Found(None, [], [found.exact])

    monkeypatch.setattr(knowledge, "find", only_expenses)
    page = client.get(f"/t/{T}/kb", params={"q": "vpn"}).text
    assert refs(page) == ["K-3"] and "Did you mean" in page


def test_newest_snippets_without_a_query(client, snippets):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb")
    assert page.status_code == 200
    assert refs(page.text) == ["K-4", "K-3", "K-2", "K-1"]


def test_onboarding_in_order(client, hromada, actor, snippets):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/onboarding")
    assert page.status_code == 200
    chat = hromada.run(actor("viewer"), "kb", "onboarding")
    assert refs(page.text) == [ln.ref for ln in chat.lines] == ["K-1", "K-3"]


def test_snippet_page(client, hromada, clock, snippets):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb/K-2")
    assert page.status_code == 200
    text = page.text
    assert "Release checklist" in text and "#engineering" in text and "shipping list" in text
    assert "Ann" in text and "2026-05-31" in text  # owner; verify-by = saved + 90 days
    assert "stale" not in text
    assert client.get(f"/t/{T}/kb/k2").status_code == 200  # refs as chat takes them
    clock.advance(timedelta(days=91))
    stale = client.get(f"/t/{T}/kb/K-2").text
    assert "Stale since 2026-05-31" in stale and "⚠ stale" in stale
    assert "⚠ stale" in client.get(f"/t/{T}/onboarding").text


def test_link_back_to_the_message(client, hromada, snippets):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb/K-4").text
    assert f'<a href="{SLACK_LINK}" rel="noopener noreferrer">' in page
    assert "Carol" in page and "Bob" in page


def test_only_web_links_become_links(client, hromada, actor):
    hromada.save_message(actor("bob"), text="A trap", link="javascript:alert(1)",
                         source_author=None)
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb/K-1").text
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page


def test_user_text_is_escaped(client, hromada, actor):
    hromada.run(actor("ann"), "kb", "add <script>alert(1)</script> | <img src=x onerror=y>")
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb/K-1").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_another_tenants_knowledge_is_not_there(client, hromada, actor, snippets):
    hromada.run(actor("bo", tenant=OTHER), "kb", "add Their wiki | Only theirs")
    sign_in(client, OTHER, "bo", "Bo")
    for url in (f"/t/{T}/kb", f"/t/{T}/kb/K-1", f"/t/{T}/onboarding",
                f"/t/{T}/kb?q=vpn"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "VPN" not in page.text
    own = client.get(f"/t/{OTHER}/kb", params={"q": "vpn access"}).text
    assert "VPN" not in own
    assert "VPN" not in client.get(f"/t/{OTHER}/kb/K-1").text  # their K-1 is their own
    assert client.get(f"/t/{OTHER}/kb/K-2").status_code == 404
    assert client.get(f"/t/{OTHER}/kb/R-1").status_code == 404


def test_ukrainian(client, snippets):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/kb/K-1?lang=uk").text
    assert "Теги" in page or "Мітки" in page
    assert "Шлях новачка" in client.get(f"/t/{T}/onboarding").text
