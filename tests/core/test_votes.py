"""Votes by reaction: one per member per item, latest wins, exact removal, idempotent events."""

from __future__ import annotations

import pytest

from core.votes import emoji_meaning
from tests.core.support import CHANNEL, react, snapshot, submit


def score(hromada, who, ref: str = "1", group: str = "idea") -> str:
    text = hromada.run(who, group, f"show {ref}").plain()
    return next(line for line in text.splitlines() if line.startswith("Score:"))


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("+1", "up"), (":+1:", "up"), ("thumbsup", "up"), ("👍", "up"), ("👍🏽", "up"),
        ("👍🏿", "up"), ("+1::skin-tone-2", "up"), (":thumbsup::skin-tone-6:", "up"),
        ("👍\ufe0f", "up"),
        ("-1", "down"), ("thumbsdown", "down"), ("👎", "down"), ("👎🏻", "down"),
        ("-1::skin-tone-4", "down"),
        ("books", "save"), ("📚", "save"), ("warning", "risk"), ("⚠️", "risk"), ("⚠", "risk"),
        ("heart", None), ("❤️", None), ("", None), ("thumbs", None), ("🏽", None),
    ],
)
def test_emoji_names(name, meaning):
    assert emoji_meaning(name) == meaning


def test_one_vote_per_member_latest_wins(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    assert react(hromada, bob, item, "+1") is True
    assert react(hromada, bob, item, "thumbsup") is False  # the same reaction: held already
    assert score(hromada, bob) == "Score: +1 (👍 1 · 👎 0)"
    assert react(hromada, bob, item, "👎🏽") is True
    assert score(hromada, bob) == "Score: -1 (👍 0 · 👎 1)"
    react(hromada, alice, item, "👍")
    assert score(hromada, bob) == "Score: +0 (👍 1 · 👎 1)"


def test_removal_removes_only_the_matching_vote(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item, "+1")
    react(hromada, bob, item, "-1")  # latest wins: bob now votes down
    assert react(hromada, bob, item, "+1", added=False) is False
    assert score(hromada, bob) == "Score: -1 (👍 0 · 👎 1)"
    assert react(hromada, bob, item, "thumbsdown", added=False) is True
    assert score(hromada, bob) == "Score: +0 (👍 0 · 👎 0)"
    assert react(hromada, bob, item, "-1", added=False) is False
    # removing someone else's reaction never touches your vote
    react(hromada, alice, item, "+1")
    assert react(hromada, bob, item, "+1", added=False) is False
    assert score(hromada, bob) == "Score: +1 (👍 1 · 👎 0)"


def test_redelivered_event_changes_nothing(hromada, actor, db):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    assert react(hromada, bob, item, "+1", key="Ev1") is True
    assert react(hromada, bob, item, "+1", added=False, key="Ev2") is True
    before = snapshot(db)
    # Slack retries Ev1: it must not bring the removed vote back
    assert react(hromada, bob, item, "+1", key="Ev1") is False
    assert snapshot(db) == before
    assert score(hromada, bob) == "Score: +0 (👍 0 · 👎 0)"
    # event keys are per tenant: the same key elsewhere is a new event
    zed = actor("zed", tenant="console:other")
    other = submit(hromada, zed, "idea", "Quarterly hackathon with prizes")
    assert react(hromada, zed, other, "+1", key="Ev1") is True


def test_reactions_that_are_not_votes_or_not_on_items(hromada, actor, db):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    before = snapshot(db)
    assert react(hromada, bob, item, "heart", key="E1") is False
    assert hromada.react(bob, channel_id=CHANNEL, message_id="not-an-item", emoji="+1",
                         added=True, event_key="E2") is False
    assert hromada.react(bob, channel_id="other-channel", message_id=f"msg-{item}", emoji="+1",
                         added=True) is False
    # a message attached in one tenant is not an item in another
    assert react(hromada, actor("bob", tenant="console:other"), item, "+1") is False
    assert score(hromada, bob) == "Score: +0 (👍 0 · 👎 0)"
    after = snapshot(db)
    # only members and tenants that showed up may be new; no vote, no processed event
    assert after["vote"] == before["vote"]
    assert after["processed_event"] == before["processed_event"]


def test_snippets_take_no_votes_and_closed_ideas_neither(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    hromada.run(alice, "kb", "add Parking | Level -2")
    assert hromada.attach_ref("console:test", "snippet", 1, CHANNEL, "kb-msg") is True
    assert hromada.attach_ref("console:test", "snippet", 9, CHANNEL, "kb-msg-9") is False
    assert hromada.react(bob, channel_id=CHANNEL, message_id="kb-msg", emoji="+1",
                         added=True) is False
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item)
    hromada.run(alice, "idea", "withdraw 1")
    assert react(hromada, actor("carol"), item) is False
    assert react(hromada, bob, item, added=False) is False
    assert score(hromada, bob) == "Score: +1 (👍 1 · 👎 0)"


def test_votes_on_risks_count_as_i_see_it_too(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "risk", "The build server may run out of disk")
    react(hromada, bob, item, "👍")
    react(hromada, alice, item, "👍")
    assert "I see it too: 2" in hromada.run(bob, "risk", "show 1").plain()


def test_two_messages_for_one_item_still_one_vote(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    hromada.attach_message("console:test", item, "digest-channel", "digest-msg")
    react(hromada, bob, item)
    hromada.react(bob, channel_id="digest-channel", message_id="digest-msg", emoji="+1",
                  added=True)
    assert score(hromada, bob) == "Score: +1 (👍 1 · 👎 0)"
    assert hromada.item_ref("console:test", item) == "I-1"
