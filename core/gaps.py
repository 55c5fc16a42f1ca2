"""Knowledge gaps: what people looked for and nobody's knowledge answered, per week.

Counted from two places: ``/kb <query>`` with no result, and a question in a watched channel
that found no snippet. A gap keeps the question's keywords only (``core.asking``: no question
words, no author, no member, no channel) under a key that folds word order and word forms
together. Distinct askers are counted through a keyed hash bound to the gap and its week
(a key derived from the deployment's secret), so the store can tell "a fourth person asked"
without knowing who, and cannot follow one person from gap to gap or week to week.

Moderators see the week's gaps (``/kb gaps``, and a section of their ``/digest preview``);
the public digest never shows them. A gap shows only once at least ``k`` distinct people
asked it (the tenant's anonymity threshold, never below 3).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session

from core import asking
from core.anonymous import MIN_K
from core.commands import REGISTRY
from core.context import Ctx
from core.i18n import N_
from core.privacy import ERASERS
from core.replies import Field, Line, Reply
from core.schedule import Period
from core.text import Rich, UserText
from storage import answers
from storage.models import KnowledgeGap, Member, Tenant

SHOWN = 10  # gaps listed per week
_INFO = b"hromada knowledge gap asker v1"


def threshold(tenant: Tenant) -> int:
    return max(MIN_K, tenant.anonymity_k)


def week_of(when: datetime) -> str:
    """The ISO date of the Monday (UTC) of the week ``when`` falls in."""
    day = (when.astimezone(UTC) if when.tzinfo is not None else when).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def _asker_key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


def asker_hash(secret: bytes, tenant_id: str, week: str, key: str, user_id: str) -> str:
    """Who asked, as a keyed hash bound to one gap of one week: it names nobody."""
    msg = f"{tenant_id}|{week}|{key}|{user_id}".encode()
    return hmac.new(_asker_key(secret), msg, hashlib.sha256).hexdigest()[:48]


def record(session: Session, *, tenant_id: str, secret: bytes, user_id: str, text: str,
           now: datetime) -> bool:
    """Count an unanswered search or question; False when it had no words worth counting.

    The same person asking again counts as another ask, never as another asker."""
    words = asking.keywords(text)
    if not words:
        return False
    key = " ".join(asking.lemma_set(words))[:200]
    week = week_of(now)
    answers.count_gap(session, tenant_id=tenant_id, week=week, key=key,
                      words=" ".join(words)[:200],
                      asker=asker_hash(secret, tenant_id, week, key, user_id))
    return True


def visible(session: Session, tenant: Tenant, week: str, *,
            limit: int = SHOWN) -> list[KnowledgeGap]:
    """The week's gaps that at least ``k`` distinct people asked, most asked first."""
    return answers.visible_gaps(session, tenant.id, week, least=threshold(tenant), limit=limit)


def _rows(gaps: list[KnowledgeGap]) -> list[Line]:
    return [Line(text=Rich((UserText(g.words), f" ×{g.askers}"))) for g in gaps]


@REGISTRY.command("kb gaps", help=N_("Moderators: what people looked for this week and last, "
                                     "and found nothing."), moderator=True)
def show_gaps(ctx: Ctx) -> Reply:
    k = threshold(ctx.tenant)
    this_week = week_of(ctx.now)
    last_week = week_of(ctx.now - timedelta(days=7))
    now, before = visible(ctx.session, ctx.tenant, this_week), visible(
        ctx.session, ctx.tenant, last_week)
    footer = ctx.t(N_("A gap shows once at least {k} people asked it; ×N is how many. "
                      "Answer one with /kb add, or 📚 on the reply that answers it."), k=k)
    if not now and not before:
        return Reply(text=ctx.t(N_("No knowledge gaps to show: none was asked by {k} people "
                                   "or more this week or last."), k=k), footer=footer.plain())
    fields = []
    if now:
        fields.append(Field(ctx._("This week"), _lines(_rows(now)), inline=False))
    if before:
        fields.append(Field(ctx._("Last week"), _lines(_rows(before)), inline=False))
    return Reply(text=ctx.t(N_("What people looked for and found nothing (only you see this):")),
                 fields=fields, footer=footer.plain())


def _lines(rows: list[Line]) -> Rich:
    out = Rich()
    for i, row in enumerate(rows):
        out = out + (Rich(("\n",)) if i else Rich()) + row.text
    return out


def digest_fields(ctx: Ctx, period: Period) -> list[Field]:
    """The gaps section of a moderator's own digest preview; nothing for anyone else.

    A seven-day period touches at most two weeks: the gaps of both, newest week first, each
    line with the Monday of its week."""
    if not ctx.is_moderator:
        return []
    weeks = dict.fromkeys([week_of(period.end - timedelta(microseconds=1)),
                           week_of(period.start)])
    rows = [Rich((UserText(g.words), f" ×{g.askers} · {week}"))
            for week in weeks for g in visible(ctx.session, ctx.tenant, week)]
    if not rows:
        return []
    return [Field(ctx._("Knowledge gaps (moderators only)"), _lines(
        [Line(text=r) for r in rows[:SHOWN]]), inline=False)]


def _erase(ctx: Ctx, member: Member) -> None:
    """forget-me: the member's asker hashes become random keys. The gaps keep their counts;
    nothing can tell any more which of them this person asked."""
    mine = {asker_hash(ctx.secret, ctx.tenant_id, week, key, member.user_id): gap_id
            for gap_id, week, key in answers.gap_keys(ctx.session, ctx.tenant_id)}
    answers.rekey_askers(ctx.session, ctx.tenant_id, mine,
                         lambda: secrets.token_hex(24))


ERASERS.append(_erase)
