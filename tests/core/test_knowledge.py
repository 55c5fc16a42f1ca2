"""Knowledge snippets: add, show, tags, aliases, onboarding order, search order, saving messages."""

from __future__ import annotations

import pytest

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.replies import Visibility
from core.text import UserText
from tests.core.support import everything, segments, snapshot

SNIPPETS = [
    "How to get VPN access | Ask IT with your laptop serial number #onboarding #it",
    "Release checklist | Tag, run the smoke suite, post in the releases channel #engineering",
    "Expense reports | Receipts go to the finance bot before the 5th",
    "Як подати заявку на відпустку | Заявку погоджує керівник у HR-системі #onboarding",
    "Wifi password for guests | It is on the fridge in the kitchen",
]


@pytest.fixture
def kb(hromada, actor):
    mod = actor("mod", admin=True)
    for line in SNIPPETS:
        reply = hromada.run(mod, "kb", f"add {line}")
        assert reply.actions == [], reply.plain()
    return hromada


def test_add_parses_title_body_and_tags(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "kb",
                        "add Parking | Level -2, ask reception for a card #office #Onboarding")
    assert reply.visibility is Visibility.PUBLIC
    assert "Saved as K-1: Parking" in reply.plain()
    assert "Tags: #office #onboarding" in reply.plain()
    shown = hromada.run(alice, "kb", "show K-1")
    assert shown.title.plain() == "📚 K-1 · Parking"
    assert shown.text.plain() == "Level -2, ask reception for a card"
    assert "Saved by: Alice" in shown.plain()
    assert "Tags: #office #onboarding" in shown.plain()


def test_add_needs_the_separator(hromada, actor, db):
    alice = actor("alice")
    hromada.run(alice, "kb", "onboarding")
    before = snapshot(db)
    for bad in ("add | only a body", "add", "add Title |", "show K-0", "tag 1", "alias 1"):
        with pytest.raises((InvalidInput, NotFound)) as exc:
            hromada.run(alice, "kb", bad)
        if isinstance(exc.value, InvalidInput):
            assert exc.value.usage and exc.value.usage.startswith("/kb ")
    assert snapshot(db) == before
    # A line that does not parse as the subcommand its first word names is a search (one
    # that finds nothing is counted as a knowledge gap: core.gaps).
    for sentence in ("add Parking without a body", "show K"):
        assert sentence in hromada.run(alice, "kb", sentence).plain()


def test_refs_are_per_tenant(kb, actor):
    zed = actor("zed", tenant="console:other")
    with pytest.raises(NotFound):
        kb.run(zed, "kb", "show 1")
    assert "K-1" in kb.run(zed, "kb", "add Lunch menu | Soup on Mondays").plain()
    assert "VPN" in kb.run(actor("alice"), "kb", "show k1").plain()
    assert "Lunch menu" not in everything(kb.run(actor("alice"), "kb", "lunch menu"))
    assert "No onboarding snippets" in kb.run(zed, "kb", "onboarding").plain()


def test_exact_title_comes_first_with_see_also(kb, actor):
    reply = kb.run(actor("alice"), "kb", "RELEASE checklist")
    assert reply.title.plain() == "📚 K-2 · Release checklist"
    assert "smoke suite" in reply.text.plain()
    refs = [ln.ref for ln in reply.lines if ln.ref]
    assert "K-2" not in refs


def test_alias_is_an_exact_match(kb, actor):
    alice = actor("alice", admin=True)  # a moderator curates snippets others saved
    reply = kb.run(alice, "kb", "alias K-5 Guest   WiFi")
    assert "K-5 is also found as guest wifi" in reply.plain()
    found = kb.run(alice, "kb", "guest wifi")
    assert found.title.plain() == "📚 K-5 · Wifi password for guests"
    spaced = kb.run(alice, "kb", "  Guest \t  WIFI ")
    assert spaced.title.plain() == "📚 K-5 · Wifi password for guests"
    assert kb.run(alice, "kb", "release   checklist").title.plain() == "📚 K-2 · Release checklist"
    assert "Also known as: guest wifi" in found.plain()
    # an alias also feeds fuzzy search
    assert kb.run(alice, "kb", "search gest wfi").lines[0].ref == "K-5"


def test_alias_conflict_names_the_owner_and_writes_nothing(kb, actor, db):
    alice = actor("alice", admin=True)  # a moderator curates snippets others saved
    kb.run(alice, "kb", "alias 1 vpn")
    before = snapshot(db)
    with pytest.raises(Conflict) as exc:
        kb.run(alice, "kb", "alias 3 VPN")
    assert exc.value.params["ref"] == "K-1"
    assert exc.value.params["name"] == UserText("vpn")
    reply = kb.error_reply("console:test", exc.value)
    assert "The name vpn already belongs to K-1" in reply.plain()
    assert snapshot(db) == before
    # the same name is free in another tenant
    zed = actor("zed", tenant="console:other")
    kb.run(zed, "kb", "add Virtual network | Use the office router")
    assert "also found as vpn" in kb.run(zed, "kb", "alias 1 vpn").plain()


def test_fuzzy_matches_ranked(kb, actor):
    reply = kb.run(actor("alice"), "kb", "relase checklst")
    assert reply.title is None
    assert reply.lines[0].ref == "K-2"
    assert kb.run(actor("alice"), "kb", "відпустка").lines[0].ref == "K-4"
    assert kb.run(actor("alice"), "kb", "wfi pasword").lines[0].ref == "K-5"


def test_did_you_mean_when_nothing_is_close(kb, actor):
    # ("releasing plans" is a match now: "release plan" shares a word with "Release checklist")
    reply = kb.run(actor("alice"), "kb", "relaxing plans")
    assert "Did you mean" in reply.plain()
    assert reply.lines[0].ref == "K-2"
    # a typo sharing no trigram with any title still gets a suggestion
    swapped = kb.run(actor("alice"), "kb", "vnp")
    assert "Did you mean" in swapped.plain() and swapped.lines[0].ref == "K-1"
    nothing = kb.run(actor("alice"), "kb", "qqqq")
    assert "Nothing found for qqqq" in nothing.plain() and nothing.lines == []


def test_search_order_exact_then_fuzzy(kb, actor):
    """An exact alias beats a better fuzzy title match."""
    alice = actor("alice", admin=True)  # a moderator curates snippets others saved
    prompt = kb.run(alice, "kb", "add Expense report template | The spreadsheet is in the drive")
    assert [ln.ref for ln in prompt.lines] == ["K-3"]
    kb.press(alice, "dup.submit", prompt.actions[1].value)
    kb.run(alice, "kb", "alias 5 expense reports form")
    exact = kb.run(alice, "kb", "Expense reports")
    assert exact.title.plain().endswith("Expense reports")
    see_also = {ln.ref for ln in exact.lines if ln.ref}
    assert see_also and see_also <= {"K-5", "K-6"}
    assert "K-3" not in {ln.ref for ln in exact.lines if ln.ref}
    by_alias = kb.run(alice, "kb", "expense reports form")
    assert by_alias.title.plain() == "📚 K-5 · Wifi password for guests"


def test_tags_and_onboarding_order(kb, actor):
    alice = actor("alice", admin=True)  # a moderator curates snippets others saved
    assert [ln.ref for ln in kb.run(alice, "kb", "onboarding").lines] == ["K-1", "K-4"]
    reply = kb.run(alice, "kb", "tag K-3 #onboarding #Finance")
    assert "K-3 is tagged #finance #onboarding" in reply.plain()
    with pytest.raises(InvalidInput):
        kb.run(alice, "kb", "tag 2 onboarding")
    kb.run(alice, "kb", "tag 2 #onboarding")
    # tagging again keeps the place in the collection
    kb.run(alice, "kb", "tag 3 #onboarding")
    kb.run(alice, "kb", "tag 1 #onboarding #it")
    listed = kb.run(alice, "kb", "onboarding")
    assert [ln.ref for ln in listed.lines] == ["K-1", "K-4", "K-3", "K-2"]
    assert [ln.meta for ln in listed.lines] == ["1", "2", "3", "4"]
    with pytest.raises(InvalidInput):
        kb.run(alice, "kb", "tag 1 #bad!tag")
    # tags feed search
    assert kb.run(alice, "kb", "search finance").lines[0].ref == "K-3"


def test_duplicate_prompt_use_instead_or_submit_anyway(kb, actor, db):
    alice, bob = actor("alice"), actor("bob")
    prompt = kb.run(alice, "kb", "add How to get VPN access | Another explanation")
    assert [ln.ref for ln in prompt.lines] == ["K-1"]
    use, anyway = prompt.actions
    assert use.action_id == "dup.drop" and "K-1" in use.label
    before = snapshot(db)
    with pytest.raises(Forbidden):
        kb.press(bob, use.action_id, use.value)
    assert snapshot(db) == before
    assert "nothing new was saved" in kb.press(alice, use.action_id, use.value).plain()
    with pytest.raises(NotFound):
        kb.press(alice, anyway.action_id, anyway.value)
    prompt = kb.run(alice, "kb", "add How to get VPN access | Another explanation #it")
    reply = kb.press(alice, "dup.submit", prompt.actions[1].value)
    assert "Saved as K-6" in reply.plain()
    shown = kb.run(alice, "kb", "show 6")
    assert "Another explanation" in shown.plain() and "Tags: #it" in shown.plain()


def test_save_message_links_back_once(hromada, actor):
    alice = actor("alice")
    long_line = "Deploys freeze every Friday after 3pm " * 4
    reply = hromada.save_message(alice, text=f"{long_line}\nSecond line", link="https://x/p1",
                                 source_author="Bob <!channel>", event_key="ev-1")
    assert reply is not None and reply.visibility is Visibility.PUBLIC
    assert "Saved as K-1" in reply.plain()
    assert hromada.save_message(alice, text="again", link="https://x/p1", source_author="Bob",
                                event_key="ev-1") is None
    again = hromada.save_message(alice, text="again", link="https://x/p1", source_author="Bob",
                                 event_key="ev-2")
    assert again is not None and "Already saved as K-1" in again.plain()
    shown = hromada.run(alice, "kb", "show 1")
    assert len(shown.title.plain().split("· ", 1)[1]) <= 80
    assert "Second line" in shown.text.plain()
    assert "Source: https://x/p1" in shown.plain()
    assert "Originally said by: Bob <!channel>" in shown.plain()
    assert any(isinstance(p, UserText) and "<!channel>" in p.text for p in segments(shown))
    with pytest.raises(InvalidInput):
        hromada.save_message(alice, text="   ", link=None, source_author=None, event_key="ev-3")
    # a platform name longer than the store keeps is cut, never a crash
    long_name = hromada.save_message(alice, text="Parking is on level -2", link=None,
                                     source_author="N" * 500, event_key="ev-4")
    assert long_name is not None and "K-2" in long_name.plain()
    assert "N" * 200 in hromada.run(alice, "kb", "show 2").plain()


def test_snippet_text_is_user_text(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "kb", "add Ping <!here> | tell @everyone <@U1> #team")
    for r in (reply, hromada.run(alice, "kb", "show 1"), hromada.run(alice, "kb", "ping"),
              hromada.run(alice, "kb", "search ping here")):
        bare = [p for p in segments(r) if isinstance(p, str)]
        assert not any(m in p for p in bare for m in ("<!here>", "@everyone", "<@U1>")), r
