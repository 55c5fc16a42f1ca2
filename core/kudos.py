"""Kudos: thank a colleague for living one of the company's values (from tenant settings)."""

from __future__ import annotations

from datetime import datetime

from rapidfuzz import fuzz, process
from sqlmodel import Session

from core.commands import REGISTRY
from core.context import Ctx, split_list
from core.errors import InvalidInput
from core.i18n import N_
from core.registry import MemberArg, P, Param
from core.replies import Reply, Visibility
from core.risks import resolve_member
from core.text import Mention, UserText
from storage import culture, repos
from storage.culture import Kudos

SUGGEST_CUTOFF = 60.0
MAX_MESSAGE = 500


def values_of(tenant_values: str) -> list[str]:
    return [v.lower() for v in split_list(tenant_values)]


def match_value(values: list[str], raw: str) -> str:
    """The value named exactly (with or without #); else bad input with a "did you mean"."""
    word = raw.strip().lstrip("#").lower()
    if word in values:
        return word
    best = process.extract(word, values, scorer=fuzz.WRatio, limit=2, score_cutoff=SUGGEST_CUTOFF)
    listing = ", ".join(f"#{v}" for v in values)
    if best:
        raise InvalidInput(N_("There is no value #{value}. Did you mean #{suggestion}? "
                              "Values: {values}."),
                           value=UserText(word), suggestion=best[0][0], values=listing)
    raise InvalidInput(N_("There is no value #{value}. Values: {values}."), value=UserText(word),
                       values=listing)


@REGISTRY.command("kudos",
                  Param("member", P.MEMBER, N_("who you thank")),
                  Param("value", P.WORD, N_("a company value, like #teamwork")),
                  Param("message", P.TEXT, N_("what they did")),
                  help=N_("Give kudos for a company value: /kudos @name #value thanks for..."))
def give(ctx: Ctx, member: MemberArg, value: str, message: str) -> Reply:
    chosen = match_value(values_of(ctx.tenant.company_values), value)
    text = " ".join(message.split())
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(N_("That text is too long (at most {n} characters)."), n=MAX_MESSAGE)
    if member.user_id == ctx.actor.user_id:
        raise InvalidInput(N_("Kudos are for someone else; thank a colleague instead."))
    person = resolve_member(ctx, member)
    if person.id == ctx.member.id:
        raise InvalidInput(N_("Kudos are for someone else; thank a colleague instead."))
    if person.former:
        raise InvalidInput(N_("No single member is called {name}."), name=member.name or "")
    repos.add(ctx.session, Kudos(tenant_id=ctx.tenant_id, giver_id=ctx.member.id or 0,
                                 receiver_id=person.id or 0, value=chosen, message=text,
                                 created_at=ctx.now))
    receiver = Mention(person.user_id, person.display_name)
    return Reply(
        text=ctx.t(N_("🎉 Kudos to {receiver} for #{value} from {giver}: {message}"),
                   receiver=receiver, value=chosen, giver=UserText(ctx.member.display_name),
                   message=UserText(text)),
        visibility=Visibility.PUBLIC,
    )


def counts(session: Session, tenant_id: str, since: datetime,
           until: datetime) -> list[tuple[str, int]]:
    """Kudos per value in a window, most first: for the weekly digest."""
    return culture.kudos_counts(session, tenant_id, since, until)
