"""Anonymous authors: where their cards may go, and how they can still hear back.

An anonymous card is posted only where enough people could have written it: a channel with
fewer members than the tenant's threshold ``k`` sends it to the main (digest) channel, and the
author is told where. The author's private confirmation offers to hear back; only when they
press it is a *sealed reference* kept: their user id encrypted (Fernet) with a key derived
from the deployment's secret, opened by the notifier alone to send them direct messages about
that item (status changes, moderators' replies). Without it nothing links the item to them.

``/idea reply``, ``/risk reply`` and ``/ask reply`` carry a conversation: a moderator writes
to the author (named, or anonymous through the sealed reference), and the author answers the
moderator who last wrote, still anonymous when the item is.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select, update

from core import items
from core.commands import IDEA_REF, REGISTRY, RISK_REF
from core.context import Ctx
from core.errors import Forbidden, InvalidInput, NotFound
from core.i18n import N_
from core.privacy import ERASERS
from core.registry import Access, P, Param
from core.replies import Action, Notice, Reply, Visibility
from core.text import Channel, Rich, UserText
from storage import repos
from storage.models import Draft, Item, Member, ReplyThread, SealedRef

log = logging.getLogger(__name__)

MIN_K = 3  # the threshold is never below 3, whatever the settings say
HEAR_BACK, QUIET = "anon.hearback", "anon.quiet"
# Commands and buttons that may post an anonymous card: adapters tell the core how many
# members the channel has for these (it costs a platform call on Slack).
AUDIENCE_COMMANDS = {("idea", "anon"), ("ask", "anon")}
AUDIENCE_ACTIONS = {"dup.submit"}
_INFO = b"hromada sealed reference v1"


# -- the sealed reference -----------------------------------------------------------------

def _fernet(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: bytes, tenant_id: str, item_id: int, user_id: str) -> str:
    """The author's user id, encrypted and bound to one item of one tenant."""
    return _fernet(secret).encrypt(f"{tenant_id}|{item_id}|{user_id}".encode()).decode()


def unseal(secret: bytes, ref: SealedRef) -> str | None:
    """The user id behind a sealed reference; None when it cannot be opened (another key)."""
    try:
        plain = _fernet(secret).decrypt(ref.token.encode()).decode()
    except InvalidToken:
        log.warning("a sealed reference could not be opened", extra={"tenant": ref.tenant_id})
        return None
    tenant_id, item_id, user_id = plain.split("|", 2)
    if tenant_id != ref.tenant_id or item_id != str(ref.item_id):
        return None  # copied from another row: it does not belong here
    return user_id


def sealed_recipient(ctx: Ctx, item: Item) -> str | None:
    """For the notifier alone: who an anonymous item's author is, when they opted in."""
    if not item.anonymous or item.id is None:
        return None
    ref = ctx.session.get(SealedRef, item.id)
    if ref is None or ref.tenant_id != ctx.tenant_id:
        return None
    return unseal(ctx.secret, ref)


def hears_back(ctx: Ctx, item: Item) -> bool:
    ref = ctx.session.get(SealedRef, item.id) if item.id is not None else None
    return ref is not None and ref.tenant_id == ctx.tenant_id


def _own_anonymous(ctx: Ctx, value: str) -> Item:
    try:
        item_id = int(value)
    except ValueError:
        raise InvalidInput(N_("That button is not known here.")) from None
    item = repos.item_by_id(ctx.session, ctx.tenant_id, item_id)
    if item is None:
        raise NotFound(N_("That item no longer exists."))
    if not item.anonymous or not items.is_author(ctx, item):
        raise Forbidden(N_("Only the author of {ref} can choose this."), ref=items.ref(item))
    return item


def hear_back(ctx: Ctx, value: str) -> Reply:
    """The author pressed "Hear back privately": keep the sealed reference for this item."""
    item = _own_anonymous(ctx, value)
    token = seal(ctx.secret, ctx.tenant_id, item.id or 0, ctx.actor.user_id)
    ref = ctx.session.get(SealedRef, item.id)
    if ref is None:
        ref = SealedRef(item_id=item.id or 0, tenant_id=ctx.tenant_id, token=token,
                        created_at=ctx.now)
    else:
        ref.token = token
    repos.add(ctx.session, ref)
    return Reply(
        text=ctx.t(N_("Done: you will hear back about {ref} by direct message (status changes "
                      "and moderators' replies), and you can answer with /{group} reply {ref} "
                      "<text>, still anonymous. Hromada now keeps one sealed reference: your "
                      "user id, encrypted with this deployment's key, opened only by the "
                      "notifier to message you. It is never shown, exported or logged; "
                      "/hromada forget-me or the button below erases it."),
                   ref=items.ref(item), group=_GROUP[item.kind]),
        actions=[Action(ctx._("Stop hearing back"), QUIET, str(item.id))],
    )


def stop(ctx: Ctx, value: str) -> Reply:
    """The author changed their mind: the sealed reference goes, nothing links them again."""
    item = _own_anonymous(ctx, value)
    unseal_item(ctx, item)
    return Reply(text=ctx.t(N_("Done: the sealed reference for {ref} is erased; nothing links "
                               "it to you now."), ref=items.ref(item)))


def unseal_item(ctx: Ctx, item: Item) -> None:
    """Erase an item's sealed reference (the author stopped, or withdrew the item)."""
    ctx.session.execute(delete(SealedRef).where(
        SealedRef.item_id == item.id, SealedRef.tenant_id == ctx.tenant_id))  # type: ignore[arg-type]


ACTIONS: dict[str, Callable[[Ctx, str], Reply]] = {HEAR_BACK: hear_back, QUIET: stop}


# -- where an anonymous card goes -----------------------------------------------------------

def threshold(ctx: Ctx) -> int:
    return max(MIN_K, ctx.tenant.anonymity_k)


def post_anonymous(ctx: Ctx, item: Item, card: Reply) -> Reply:
    """The public card of a new anonymous item, placed where its author can hide in the crowd,
    with the author's private confirmation (and the offer to hear back) beside it."""
    k = threshold(ctx)
    size = ctx.actor.channel_size
    ref = items.ref(item)
    offer = ctx.t(N_("Nobody, moderators included, can see that it was you, and nothing links "
                     "{ref} to you. Want to hear back (status changes and moderators' replies, "
                     "by direct message, still anonymous)? Press the button: only then Hromada "
                     "keeps a sealed reference, your user id encrypted with this deployment's "
                     "key, used by the notifier alone and never shown, exported or logged."),
                  ref=ref)
    button = [Action(ctx._("Hear back privately"), HEAR_BACK, str(item.id), "primary")]
    if size is None or size >= k:
        card.private = Reply(text=ctx.t(N_("{ref} is posted anonymously."), ref=ref) + " " + offer,
                             actions=button)
        return card
    main = ctx.tenant.digest_channel
    if main and main != ctx.actor.channel_id:
        card.channel = main
        where = ctx.t(N_("{ref} is posted anonymously in {channel}, the main channel: this "
                         "channel has fewer than {k} members, too few to hide among."),
                      ref=ref, channel=Channel(main), k=k)
        card.private = Reply(text=where + " " + offer, actions=button)
        return card
    if main:
        where = ctx.t(N_("{ref} is saved anonymously but not posted: this main channel has "
                         "fewer than {k} members, too few to hide among. It shows in lists and "
                         "the weekly digest."), ref=ref, k=k)
    else:
        where = ctx.t(N_("{ref} is saved anonymously but not posted: this channel has fewer "
                         "than {k} members, too few to hide among, and there is no main channel "
                         "yet (a moderator sets one with /digest here). It shows in lists and "
                         "the weekly digest."), ref=ref, k=k)
    # Shown to the author alone, as a card that stands for nothing to vote on.
    card.text, card.actions = where + " " + offer, button
    card.visibility, card.item_id = Visibility.PRIVATE, None
    return card


# -- replies between moderators and authors ----------------------------------------------------

_GROUP = {"idea": "idea", "risk": "risk", "question": "ask"}
QUESTION_REF = Param("ref", P.REF, N_("the question, like Q-5"), ref_kind="question")
REPLY_TEXT = Param("text", P.TEXT, N_("what you want to say"))


@REGISTRY.command("idea reply", IDEA_REF, REPLY_TEXT, access=Access.AUTHOR_OR_MODERATOR,
                  help=N_("Write privately to an idea's author (moderators), or answer a "
                          "moderator (the author)."))
def reply_idea(ctx: Ctx, ref: int, text: str) -> Reply:
    return converse(ctx, items.get(ctx, "idea", ref), text)


@REGISTRY.command("risk reply", RISK_REF, REPLY_TEXT, access=Access.AUTHOR_OR_MODERATOR,
                  help=N_("Write privately to a risk's author (moderators), or answer a "
                          "moderator (the author)."))
def reply_risk(ctx: Ctx, ref: int, text: str) -> Reply:
    return converse(ctx, items.get(ctx, "risk", ref), text)


@REGISTRY.command("ask reply", QUESTION_REF, REPLY_TEXT, access=Access.AUTHOR_OR_MODERATOR,
                  help=N_("Write privately to a question's asker (moderators), or answer a "
                          "moderator (the asker)."))
def reply_question(ctx: Ctx, ref: int, text: str) -> Reply:
    return converse(ctx, items.get(ctx, "question", ref), text)


def converse(ctx: Ctx, item: Item, text: str) -> Reply:
    """Moderators write to the author; the author answers the moderator who last wrote.

    Who may: moderators, and the item's author (proven by the keyed hash when anonymous)."""
    body = text.strip()
    if not body:
        raise InvalidInput(N_("Say a few words first."))
    thread = ctx.session.get(ReplyThread, item.id)
    if thread is not None and thread.tenant_id != ctx.tenant_id:
        thread = None
    author = items.is_author(ctx, item)
    if author and thread is not None and thread.moderator_id not in (None, ctx.member.id):
        return _answer_back(ctx, item, thread, body)
    if ctx.is_moderator:
        return _to_author(ctx, item, thread, body)
    if author:
        raise InvalidInput(N_("No moderator has written to you about {ref} yet, so there is "
                              "nobody to answer."), ref=items.ref(item))
    raise Forbidden(N_("Only moderators, and the author of {ref}, can reply about it."),
                    ref=items.ref(item))


def _to_author(ctx: Ctx, item: Item, thread: ReplyThread | None, body: str) -> Reply:
    ref, group = items.ref(item), _GROUP[item.kind]
    if item.anonymous:
        user_id = sealed_recipient(ctx, item)
        if user_id is None:
            return Reply(text=ctx.t(N_("The author of {ref} is anonymous and did not ask to hear "
                                       "back, so nothing can reach them. Nothing was sent."),
                                    ref=ref))
    else:
        found = repos.members_by_ids(ctx.session, ctx.tenant_id,
                                     [item.author_id] if item.author_id else [])
        member = found.get(item.author_id or 0)
        if member is None or member.former:
            return Reply(text=ctx.t(N_("{ref} has no author who can be reached. Nothing was "
                                       "sent."), ref=ref))
        user_id = member.user_id
    if user_id == ctx.actor.user_id:
        raise InvalidInput(N_("You wrote {ref}; there is nobody else to tell."), ref=ref)
    if thread is None:
        thread = ReplyThread(item_id=item.id or 0, tenant_id=ctx.tenant_id)
    thread.moderator_id, thread.updated_at = ctx.member.id, ctx.now
    repos.add(ctx.session, thread)
    hint = N_("Answer with /{group} reply {ref} <text>; you stay anonymous.") if item.anonymous \
        else N_("Answer with /{group} reply {ref} <text>.")
    message = ctx.t(N_("{who} (moderator) wrote to you about {ref} “{title}”: {text}"),
                    who=ctx.member_name(ctx.member.id), ref=ref, title=UserText(item.title),
                    text=UserText(body)) + Rich(("\n",)) + ctx.t(hint, group=group, ref=ref)
    notice = Notice((user_id,), message, item_id=item.id, sealed=item.anonymous)
    sent = N_("Sent privately to the anonymous author of {ref}; you will not learn who they are.") \
        if item.anonymous else N_("Sent privately to the author of {ref}.")
    return Reply(text=ctx.t(sent, ref=ref), notices=[notice])


def _answer_back(ctx: Ctx, item: Item, thread: ReplyThread, body: str) -> Reply:
    ref, group = items.ref(item), _GROUP[item.kind]
    moderator = ctx.session.get(Member, thread.moderator_id)
    if moderator is None or moderator.former or moderator.tenant_id != ctx.tenant_id:
        raise InvalidInput(N_("The moderator who wrote to you about {ref} is no longer here."),
                           ref=ref)
    who = Rich((ctx._("The anonymous author"),)) if item.anonymous else ctx.member_name(
        item.author_id)
    message = ctx.t(N_("{who} of {ref} “{title}” answered you: {text}"), who=who, ref=ref,
                    title=UserText(item.title), text=UserText(body)) + Rich(("\n",)) + ctx.t(
        N_("Reply with /{group} reply {ref} <text>."), group=group, ref=ref)
    sent = N_("Sent to the moderator who wrote to you about {ref}, without your name.") \
        if item.anonymous else N_("Sent to the moderator who wrote to you about {ref}.")
    return Reply(text=ctx.t(sent, ref=ref),
                 notices=[Notice((moderator.user_id,), message, item_id=item.id)])


# -- your data ---------------------------------------------------------------------------------

def sealed_items(ctx: Ctx, proven: list[Item]) -> list[Item]:
    """Of the member's own anonymous items, those they asked to hear back about."""
    return [i for i in proven if hears_back(ctx, i)]


def _erase(ctx: Ctx, member: Member) -> None:
    """Forget-me: the member's sealed references and anonymous drafts go; a moderator's
    conversations no longer lead to them."""
    session, tenant_id = ctx.session, ctx.tenant_id
    refs = session.execute(select(SealedRef).where(SealedRef.tenant_id == tenant_id)).scalars()
    for ref in list(refs):
        if unseal(ctx.secret, ref) == ctx.actor.user_id:
            session.delete(ref)
    drafts = session.execute(select(Draft).where(
        Draft.tenant_id == tenant_id, Draft.member_id.is_(None))).scalars()  # type: ignore[union-attr]
    for draft in list(drafts):
        if draft.anon_hash == ctx.keyed_hash("draft", draft.id):
            session.delete(draft)
    session.execute(update(ReplyThread).where(
        ReplyThread.tenant_id == tenant_id,  # type: ignore[arg-type]
        ReplyThread.moderator_id == member.id).values(moderator_id=None))  # type: ignore[arg-type]
    session.flush()


ERASERS.append(_erase)
