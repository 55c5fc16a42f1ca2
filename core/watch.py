"""Answers where questions are asked.

Moderators choose the channels Hromada listens in (``/kb watch here``, ``/kb watch off``).
Only there, a member's question (``core.asking``) is offered up to three snippets that answer
it well, privately where the platform allows, with "This answered it" / "Not it" buttons.
"Not it", or no snippet at all, offers up to three colleagues whose skills or interests
match (never the asker), with a reminder that 📚 on the reply that helps saves it. When
neither a snippet nor a colleague matches, nothing is said at all.

What is kept: nothing of a message in a channel that is not watched (the watch is looked up
before its words are read). Of a question in a watched channel: an idempotency key, a keyed
hash of the channel and message (so a re-delivered event is never answered twice), and, when
no snippet answered it, its keywords as a knowledge gap (``core.gaps``). The asker is named
nowhere: the buttons carry a short keyed tag that only the asker's own click reproduces.
A snippet's helpful count is the feedback that ranks it higher next time
(``core.knowledge.boosted``); each member's feedback counts once per offer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlmodel import Session

from core import asking, gaps, items, knowledge
from core.clock import Clock
from core.commands import REGISTRY
from core.context import Actor, Ctx, split_list
from core.errors import Forbidden, InvalidInput, NotFound
from core.housekeeping import EVENT_KEEP
from core.i18n import N_, gettext_for
from core.people import find_people
from core.replies import Action, Line, Reply
from core.search import SUGGEST_THRESHOLD, ranked
from core.text import Channel, Rich, UserText
from storage import answers, repos
from storage.models import Item, Member, Tenant

OFFERED = 3  # snippets, and colleagues, offered at most
CANDIDATES = 20  # search results scored for an offer
# A snippet is offered when its title, aliases and tags (``TITLE_HIT`` per keyword) and its
# body (``BODY_HIT``) hold enough of the question's keywords: 60 needs, of two keywords, one
# in the title and one in the body; of three, two in the title; of one, that one anywhere.
OFFER_THRESHOLD = 60.0
TITLE_HIT = 1.0
BODY_HIT = 0.75
TYPO = 85.0  # a keyword of 5+ letters this close to a word still counts (rapidfuzz ratio)
YES, NO = "kb.yes", "kb.no"
# Feedback is taken while the claim that makes it count once is kept (``EVENT_KEEP``): a
# button clicked later (a Discord reply stays up) is thanked and counts nothing.
FEEDBACK_HOURS = int(EVENT_KEEP.total_seconds() // 3600) - 1
SAVE_HINT = N_("📚 on the reply that helps saves it for the next person.")


def _hash(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def offer_id(secret: bytes, tenant_id: str, channel_id: str, message_id: str) -> str:
    """A question's offer, named by a keyed hash of where it was asked (not readable back)."""
    return _hash(secret, "kb offer", tenant_id, channel_id, message_id)[:12]


def asker_tag(secret: bytes, tenant_id: str, offer: str, user_id: str) -> str:
    """A tag only the asker's own click reproduces: the buttons name nobody."""
    return _hash(secret, "kb asker", tenant_id, offer, user_id)[:10]


# -- which channels ------------------------------------------------------------------------


@REGISTRY.command("kb watch", help=N_("The channels where Hromada answers questions with "
                                      "snippets."))
def list_watched(ctx: Ctx) -> Reply:
    channels = answers.watched_channels(ctx.session, ctx.tenant_id)
    if not channels:
        return Reply(text=ctx.t(N_("Hromada listens for questions in no channel yet. A "
                                   "moderator turns it on with /kb watch here.")))
    return Reply(text=ctx.t(N_("Hromada offers snippets to questions asked in:")),
                 lines=[Line(text=Rich((Channel(c),))) for c in channels])


def _here(ctx: Ctx) -> str:
    if not ctx.actor.channel_id:
        raise InvalidInput(N_("I cannot tell which channel this is; run it in a channel."))
    return ctx.actor.channel_id


@REGISTRY.command("kb watch here", help=N_("Answer questions asked in this channel with "
                                           "snippets, offered to the asker."), moderator=True)
def watch_here(ctx: Ctx) -> Reply:
    channel = _here(ctx)
    added = answers.watch(ctx.session, ctx.tenant_id, channel, ctx.now)
    said = (N_("From now on, a question asked in this channel gets up to three matching "
               "snippets, offered to the asker. Nothing else of its messages is kept.")
            if added else N_("This channel is watched already."))
    return Reply(text=ctx.t(said), footer=ctx._("Stop with /kb watch off."))


@REGISTRY.command("kb watch off", help=N_("Stop answering questions in this channel."),
                  moderator=True)
def watch_off(ctx: Ctx) -> Reply:
    channel = _here(ctx)
    if not answers.unwatch(ctx.session, ctx.tenant_id, channel):
        return Reply(text=ctx.t(N_("This channel was not watched.")))
    return Reply(text=ctx.t(N_("Hromada no longer answers questions in this channel.")))


# -- matching ------------------------------------------------------------------------------


def _holds(word: str, words: set[str]) -> bool:
    if word in words:
        return True
    if len(word) < 5 or not words:
        return False
    return process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=TYPO) is not None


def coverage(keywords: list[str], title_text: str, body_text: str) -> float:
    """How much of a question a snippet answers (0-100): its keywords, in dictionary form,
    found in the title, aliases and tags (``TITLE_HIT`` each) or the body (``BODY_HIT``)."""
    if not keywords:
        return 0.0
    title, body = set(title_text.split()), set(body_text.split())
    got = 0.0
    for word in keywords:
        if _holds(word, title):
            got += TITLE_HIT
        elif _holds(word, body):
            got += BODY_HIT
    return 100.0 * got / len(keywords)


def matches(session: Session, tenant_id: str, keywords: list[str]) -> list[Item]:
    """Up to ``OFFERED`` published snippets that answer the keywords well, best first
    (snippets that answered before a little ahead: ``knowledge.boosted``)."""
    if not keywords:
        return []
    found = ranked(session, tenant_id, ["snippet"], " ".join(keywords), limit=CANDIDATES,
                   cutoff=SUGGEST_THRESHOLD)
    byid = repos.items_by_ids(session, tenant_id, [i for i, _ in found])
    wanted = asking.lemma_set(keywords)
    scored = [(i, coverage(wanted, byid[i].search_text, byid[i].search_body))
              for i, _ in found if i in byid and byid[i].status != "archived"]
    good = [(i, s) for i, s in sorted(scored, key=lambda p: -p[1]) if s >= OFFER_THRESHOLD]
    return [byid[i] for i, _ in knowledge.boosted(session, tenant_id, good)[:OFFERED]]


def colleagues(ctx: Ctx, keywords: list[str]) -> list[Member]:
    """Up to ``OFFERED`` members whose skills or interests match (``/people find``), never the
    asker."""
    if not keywords:
        return []
    found = find_people(ctx, " ".join(keywords))
    return [m for m, _score, _term in found if m.user_id != ctx.actor.user_id][:OFFERED]


def person_line(ctx: Ctx, member: Member) -> Line:
    where = " · ".join(v for v in (member.department, member.location) if v)
    text = Rich((UserText(member.display_name),))
    if where:
        text = text + Rich((" — ", UserText(where)))
    knows = split_list(member.skills) + split_list(member.interests)
    if knows:
        text = text + ctx.t(N_(" — knows {what}"), what=UserText(", ".join(knows[:6])))
    return Line(text=text)


# -- a question in a watched channel -------------------------------------------------------


def offer(session: Session, *, actor: Actor, channel_id: str, message_id: str, text: str,
          secret: bytes, clock: Clock) -> Reply | None:
    """What Hromada offers the asker of a message, or None: not a watched channel, not a
    question, asked before (a re-delivered event), or nothing matches.

    The channel is looked up first: a message anywhere else is not read at all."""
    if not answers.is_watched(session, actor.tenant_id, channel_id):
        return None
    if not asking.is_question(text):
        return None
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        return None
    offered = offer_id(secret, actor.tenant_id, channel_id, message_id)
    if not repos.claim_event(session, actor.tenant_id, f"kbq:{offered}", clock.now()):
        return None  # this message was answered before: Slack retried, a gateway resent it
    offered = f"{offered}.{_hour(clock.now())}"  # the tag below binds the hour too
    # The asker is not made a member here: nothing about them is stored for a question.
    ctx = Ctx(session=session, actor=actor, tenant=tenant,
              member=Member(tenant_id=tenant.id, user_id=actor.user_id,
                            display_name=actor.display_name),
              clock=clock, secret=secret, translations=gettext_for(tenant.language))
    words = asking.keywords(text)
    tag = asker_tag(secret, tenant.id, offered, actor.user_id)
    people = colleagues(ctx, words)
    found = matches(session, tenant.id, words)
    if not found:
        gaps.record(session, tenant_id=tenant.id, secret=secret, user_id=actor.user_id,
                    text=text, now=clock.now())
        if not people:
            return None  # nothing to offer: no word at all, rather than noise in the channel
        return Reply(text=ctx.t(N_("No saved answer yet. Colleagues who list this among "
                                   "their skills or interests:")),
                     lines=[person_line(ctx, m) for m in people], footer=ctx._(SAVE_HINT))
    people_value = "-".join(str(m.id) for m in people)
    labels = ([ctx._("This answered it")] if len(found) == 1 else
              [ctx.t(N_("{ref} answered it"), ref=items.ref(it)).plain() for it in found])
    actions = [Action(label, YES, f"{offered}.{tag}.{it.id}", style="primary" if n == 0
                      else None) for n, (label, it) in enumerate(zip(labels, found, strict=True))]
    actions.append(Action(ctx._("Not it"), NO, f"{offered}.{tag}.{people_value}"))
    return Reply(text=ctx.t(N_("Saved knowledge that may answer this:")),
                 lines=[items.item_line(ctx, it) for it in found], actions=actions)


# -- feedback buttons ------------------------------------------------------------------------


def _hour(when: datetime) -> int:
    return int(when.timestamp() // 3600)


def _parse(ctx: Ctx, value: str) -> tuple[str, str, str]:
    """(offer, tag, argument) of a button the asker pressed; anyone else is refused."""
    parts = value.split(".", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        raise InvalidInput(N_("That button is not known here."))
    offered, tag, arg = f"{parts[0]}.{parts[1]}", parts[2], parts[3]
    if not hmac.compare_digest(tag, asker_tag(ctx.secret, ctx.tenant_id, offered,
                                              ctx.actor.user_id)):
        raise Forbidden(N_("Only the member who asked can answer this."))
    return offered, tag, arg


def _too_old(ctx: Ctx, offered: str) -> bool:
    """Older than its once-only claim is kept: feedback on it could count twice."""
    return _hour(ctx.now) - int(offered.rsplit(".", 1)[1]) > FEEDBACK_HOURS


def _first_feedback(ctx: Ctx, offered: str, tag: str) -> bool:
    """True the first time this member answers this offer (a double click, a re-delivered
    interaction, or the other button afterwards counts for nothing)."""
    return repos.claim_event(ctx.session, ctx.tenant_id, f"kbfb:{offered}.{tag}", ctx.now)


def answered(ctx: Ctx, value: str) -> Reply:
    """"This answered it": the snippet ranks higher for questions like it, once per offer."""
    offered, tag, arg = _parse(ctx, value)
    item = repos.item_by_id(ctx.session, ctx.tenant_id, int(arg)) if arg.isdigit() else None
    if item is None or item.kind != "snippet":
        raise NotFound(N_("That item no longer exists."))
    if _too_old(ctx, offered):
        return Reply(text=ctx.t(N_("Thanks. This offer is more than a day old, so answers "
                                   "to it no longer count.")))
    if not _first_feedback(ctx, offered, tag):
        return Reply(text=ctx.t(N_("Thanks, your answer to this was counted already.")))
    answers.add_helpful(ctx.session, ctx.tenant_id, item.id or 0)
    return Reply(text=ctx.t(N_("Glad it helped. {ref} will rank higher for questions like "
                               "this."), ref=items.ref(item)))


def not_it(ctx: Ctx, value: str) -> Reply:
    """"Not it": colleagues who may know instead, and the 📚 reminder."""
    offered, tag, arg = _parse(ctx, value)
    if not _too_old(ctx, offered):
        _first_feedback(ctx, offered, tag)
    ids = [int(p) for p in arg.split("-") if p.isdigit()][:OFFERED]
    found = repos.members_by_ids(ctx.session, ctx.tenant_id, ids)
    people = [found[i] for i in ids
              if i in found and not found[i].former and found[i].user_id != ctx.actor.user_id]
    if not people:
        return Reply(text=ctx.t(N_("Sorry. Nobody lists this among their skills yet; someone "
                                   "in the channel may know.")), footer=ctx._(SAVE_HINT))
    return Reply(text=ctx.t(N_("Sorry. Colleagues who list this among their skills or "
                               "interests:")),
                 lines=[person_line(ctx, m) for m in people], footer=ctx._(SAVE_HINT))


ACTIONS: dict[str, Callable[[Ctx, str], Reply]] = {YES: answered, NO: not_it}
