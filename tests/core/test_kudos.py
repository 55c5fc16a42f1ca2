"""Kudos: company values from settings, fuzzy "did you mean", never to yourself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import kudos
from core.errors import InvalidInput, NotFound
from core.replies import Visibility
from core.text import Mention, UserText
from storage.culture import Kudos


def count(db) -> int:
    with db.uow() as session:
        return len(session.query(Kudos).all())


def test_kudos_mentions_the_receiver(hromada, actor, db):
    alice, bob = actor("alice"), actor("bob")
    hromada.run(bob, "coffee", "status")  # bob is known
    reply = hromada.run(alice, "kudos", "@bob #teamwork for the smooth release <!channel>")
    assert reply.visibility is Visibility.PUBLIC
    assert Mention("bob", "Bob") in reply.text.parts
    assert UserText("for the smooth release <!channel>") in reply.text.parts
    assert "#teamwork" in reply.plain() and "Alice" in reply.plain()
    slack_style = hromada.run(alice, "kudos", "<@bob|Bob> ownership took the pager")
    assert "#ownership" in slack_style.plain()
    assert count(db) == 2


def test_values_come_from_settings_with_did_you_mean(hromada, actor, db):
    alice = actor("alice")
    hromada.run(actor("bob"), "people", "me")
    with pytest.raises(InvalidInput) as err:
        hromada.run(alice, "kudos", "@bob #temwork thanks")
    assert err.value.params["suggestion"] == "teamwork"
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings values courage, candour")
    with pytest.raises(InvalidInput) as err:
        hromada.run(alice, "kudos", "@bob #teamwork thanks")
    assert "suggestion" not in err.value.params
    assert "#courage" in str(err.value.params["values"])
    assert "#courage" in hromada.run(alice, "kudos", "@bob courage said it first").plain()
    assert count(db) == 1


def test_no_kudos_to_yourself_or_nobody(hromada, actor, db):
    alice = actor("alice")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "kudos", "@alice #care for me")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "kudos", "<@alice> #care for me")
    with pytest.raises(NotFound):
        hromada.run(alice, "kudos", "@nobody #care thanks")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "kudos", "@bob #care")
    assert count(db) == 0


def test_counts_by_value_for_the_digest(hromada, actor, clock, db):
    alice, bob = actor("alice"), actor("bob")
    hromada.run(bob, "people", "me")
    hromada.run(alice, "people", "me")
    for text in ["@bob #care a", "@bob #care b", "@bob #craft c"]:
        hromada.run(alice, "kudos", text)
    hromada.run(bob, "kudos", "@alice #care d")
    start = clock.now()
    clock.advance(timedelta(days=8))
    hromada.run(bob, "kudos", "@alice #craft later")
    with db.uow() as session:
        assert kudos.counts(session, "console:test", start, start + timedelta(days=7)) == [
            ("care", 3), ("craft", 1)]


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    hromada.run(actor("bob"), "people", "me")
    assert "Подяка" in hromada.run(boss, "kudos", "@bob #care дякую").plain()
    with pytest.raises(InvalidInput) as err:
        hromada.run(boss, "kudos", "@boss #care я")
    assert "Подяки" in hromada.error_reply("console:test", err.value).plain()
