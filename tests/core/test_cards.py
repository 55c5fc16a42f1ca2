"""A card the channel did not get: its author is offered "Post it again", which posts it once."""

from __future__ import annotations

import io

import pytest

from bots.console.chat import ConsoleChat
from core import cards
from core.errors import Forbidden, NotFound
from core.i18n import gettext_for
from core.replies import Visibility
from tests.bots.store_checks import score
from tests.core.support import post, react


def test_post_it_again_posts_the_card_once_for_its_author(hromada, actor) -> None:
    alice, bob, boss = actor("alice"), actor("bob"), actor("boss", admin=True)
    card = hromada.run(alice, "idea", "Standing desks for support")
    assert card.item_id is not None  # the adapter failed to post it
    private = cards.not_posted(gettext_for("en"), card, "I-1")
    assert private.visibility is Visibility.PRIVATE and private.item_id is None
    [button] = [a for a in private.actions if a.action_id == cards.REPOST]
    assert button.label == "Post it again" and "I could not post I-1" in private.footer

    with pytest.raises(Forbidden):
        hromada.press(bob, button.action_id, button.value)
    again = hromada.press(alice, button.action_id, button.value)
    assert again.visibility is Visibility.PUBLIC and again.item_id == card.item_id
    post(hromada, again)
    react(hromada, bob, card.item_id)
    assert score(hromada, "idea", 1) == 1
    later = hromada.press(alice, button.action_id, button.value)
    assert later.item_id is None and "already posted" in later.plain()
    assert hromada.press(boss, button.action_id, button.value).item_id is None


def test_an_anonymous_author_may_post_their_card_again(hromada, actor) -> None:
    alice, bob, boss = actor("alice"), actor("bob"), actor("boss", admin=True)
    card = hromada.run(alice, "idea", "anon Fewer status meetings")
    [button] = [a for a in cards.not_posted(gettext_for("en"), card, "I-1").actions
                if a.action_id == cards.REPOST]
    with pytest.raises(Forbidden):
        hromada.press(bob, button.action_id, button.value)
    again = hromada.press(alice, button.action_id, button.value)
    assert again.item_id == card.item_id and "Alice" not in again.plain()
    with pytest.raises(NotFound):
        hromada.press(boss, button.action_id, "999")


def test_the_console_presses_it_like_any_button(hromada, actor) -> None:
    card = hromada.run(actor("alice"), "idea", "Standing desks for support")
    out = io.StringIO()
    chat = ConsoleChat(hromada, tenant="test", name="Alice", out=out)
    chat.show(cards.not_posted(gettext_for("en"), card, "I-1"))
    assert "Post it again" in out.getvalue()
    chat.run(["press 1", "as bob", "react +1 I-1"])
    with hromada.db.uow() as session:
        from storage import repos

        assert len(repos.messages_for_item(session, "console:test", card.item_id or 0)) == 1
    assert score(hromada, "idea", 1) == 1
