"""Leadership Q&A: ask (also anonymously), upvote with reactions, answers reach the loop."""

from __future__ import annotations

import pytest

from core.errors import Forbidden, InvalidInput
from core.replies import Visibility
from tests.core.support import everything, react, submit


def test_ask_vote_list_by_votes(hromada, actor):
    alice, bob, carol = actor("alice"), actor("bob"), actor("carol")
    first = submit(hromada, alice, "ask", "Why do we still use two ticket systems?")
    second = submit(hromada, bob, "ask", "When is the next all-hands meeting?")
    for who in (alice, bob, carol):
        assert react(hromada, who, second)
    react(hromada, carol, first, "-1")
    listed = hromada.run(carol, "ask", "list")
    refs = [ln.ref for ln in listed.lines]
    assert refs == ["Q-2", "Q-1"]
    assert "+3" in listed.lines[0].meta


def test_explicit_question_subcommand_and_empty(hromada, actor):
    alice = actor("alice")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "ask", "")
    reply = hromada.run(alice, "ask", "question How do promotions work?")
    assert reply.visibility is Visibility.PUBLIC and reply.item_id is not None
    assert "Q-1" in reply.plain() and "Alice" in reply.plain()


def test_anonymous_question_shows_no_author(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "ask", "anon Are layoffs planned this year?")
    assert "Alice" not in everything(reply) and "anonymous" in reply.plain()
    shown = hromada.run(actor("boss", admin=True), "ask", "show Q-1")
    assert "Alice" not in everything(shown)


def test_answer_notifies_asker_and_upvoters(hromada, actor):
    alice, bob, carol = actor("alice"), actor("bob"), actor("carol")
    q = submit(hromada, alice, "ask", "Will we open an office in Lviv?")
    react(hromada, bob, q)
    react(hromada, carol, q)
    with pytest.raises(Forbidden):
        hromada.run(bob, "ask", "answer Q-1 Yes")
    boss = actor("boss", admin=True)
    reply = hromada.run(boss, "ask", "answer Q-1 Yes, in spring.")
    assert reply.visibility is Visibility.PUBLIC
    [notice] = reply.notices
    assert set(notice.recipients) == {"alice", "bob", "carol"}
    assert "Yes, in spring." in notice.text.plain()
    assert "Q-1" not in [ln.ref for ln in hromada.run(bob, "ask", "list").lines]
    assert [ln.ref for ln in hromada.run(bob, "ask", "list answered").lines] == ["Q-1"]
    assert "Yes, in spring." in hromada.run(bob, "ask", "show 1").plain()


def test_anonymous_asker_is_not_notified_but_upvoters_are(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    q = submit(hromada, alice, "ask", "anon Why was the bonus cut?")
    react(hromada, bob, q)
    reply = hromada.run(actor("boss", admin=True), "ask", "answer Q-1 It was not cut.")
    assert [n.recipients for n in reply.notices] == [("bob",)]


def test_mentions_in_questions_stay_text(hromada, actor):
    reply = hromada.run(actor("alice"), "ask", "<!channel> @everyone why?")
    from core.text import Mention

    assert not any(isinstance(p, Mention) for p in reply.title.parts)


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    assert "Відкритих питань немає" in hromada.run(boss, "ask", "list").plain()
    hromada.run(actor("alice"), "ask", "Коли буде корпоратив?")
    assert "відповідь" in hromada.run(boss, "ask", "answer Q-1 У грудні.").plain()
