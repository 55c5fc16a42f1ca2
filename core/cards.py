"""An item's public card that the channel did not get is never left where no one can react.

When posting a card fails for good (the adapter retried), its author is told privately and
given a "Post it again" button; pressing it posts the card again, once: a card that meanwhile
reached the channel is not posted twice.
"""

from __future__ import annotations

from dataclasses import replace
from gettext import NullTranslations

from core.context import Ctx
from core.errors import Forbidden, NotFound
from core.i18n import N_
from core.items import card, is_author, ref
from core.replies import Action, Reply, Visibility
from core.text import fmt
from storage import repos

REPOST = "card.post"  # the button's action id; its value is the item's id
POST_AGAIN = N_("Post it again")
NOT_POSTED = N_("I could not post {ref} in the channel, so nobody can react to it yet. Press "
                "“Post it again” when the channel is ready (if I am not in it: /invite "
                "@Hromada).")


def not_posted(tr: NullTranslations, reply: Reply, item_ref: str) -> Reply:
    """The card the channel did not get, for its author alone, with a button to post it."""
    assert reply.item_id is not None
    return replace(reply, visibility=Visibility.PRIVATE, item_id=None,
                   actions=[*reply.actions,
                            Action(tr.gettext(POST_AGAIN), REPOST, str(reply.item_id))],
                   footer=fmt(tr.gettext(NOT_POSTED), ref=item_ref).plain(), notices=[])


def repost(ctx: Ctx, value: str) -> Reply:
    """"Post it again": the item's public card, for its author or a moderator; once."""
    item = repos.item_by_id(ctx.session, ctx.tenant_id, int(value)) if value.isdigit() else None
    if item is None:
        raise NotFound(N_("That item no longer exists."))
    if not (is_author(ctx, item) or ctx.is_moderator):
        raise Forbidden(N_("Only who submitted {ref} or a moderator can post it."), ref=ref(item))
    if repos.messages_for_item(ctx.session, ctx.tenant_id, item.id or 0):
        return Reply(text=ctx.t(N_("{ref} is already posted; react to it there."),
                                ref=ref(item)))
    return card(ctx, item)
