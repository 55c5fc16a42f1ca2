"""Pulse surveys: a moderator asks a 1–5 question, members answer anonymously, results by group.

An answer is stored with a keyed hash instead of the member (one answer each, changeable),
the value, and the department the member had when answering: no id, no time. When the pulse
closes, the hashes are replaced with random keys: then nothing leads from an answer to anyone.
Answers go through private paths only (buttons acknowledged to the member alone, or the
command): never a reaction, which everyone can see. Results, here and in the digest, never
show a group smaller than the tenant's threshold k, and they are shown only once the pulse is
closed: two views of an open pulse that differed by one answer would show that answer. While
a pulse is open, how many answered is shown in steps of k.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from gettext import NullTranslations

from sqlalchemy import select
from sqlmodel import Session

from core import items
from core.commands import REGISTRY
from core.context import Ctx
from core.errors import InvalidInput
from core.i18n import N_
from core.refs import parse_ref
from core.registry import P, Param
from core.replies import Action, Field, Line, Reply, Visibility
from core.stats import NO_DEPARTMENT, NOT_ENOUGH, suppressed
from core.text import Rich, UserText, fmt
from storage import culture, repos
from storage.models import Item, StatusChange, Tenant

PULSE_REF = Param("ref", P.REF, N_("the pulse, like P-2"), ref_kind="pulse")
SCALE = (1, 2, 3, 4, 5)
TEMPLATES = {
    "mission": N_("How well do you understand our mission? (1 = not at all, 5 = completely)"),
    "strategy": N_("How clear is our strategy to you, and how your work fits into it? "
                   "(1 = not at all, 5 = completely)"),
    "enps": N_("How likely are you to recommend us as a place to work? "
               "(1 = not at all, 5 = certainly)"),
}
CLOSED = "closed"


def answer_key(secret: bytes, tenant_id: str, item_id: int, user_id: str) -> str:
    """The keyed hash that stands for a member's answer; useless without the server's secret."""
    msg = f"{tenant_id}|pulse|{item_id}|{user_id}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


# -- results ---------------------------------------------------------------------------


@dataclass
class Group:
    """One group's answers; ``shown`` is False when it is smaller than k (or hides another)."""

    name: str  # department, "" for none
    n: int
    shown: bool
    average: float | None = None
    counts: dict[int, int] = field(default_factory=dict)


@dataclass
class PulseResult:
    k: int
    overall: Group
    departments: list[Group]
    enps: int | None = None  # promoters (5) minus detractors (1–3), in percent points


def compute(session: Session, tenant: Tenant, item: Item) -> PulseResult:
    """Aggregate a pulse's answers; every group under k (and its complement) carries no numbers."""
    k = tenant.anonymity_k
    rows = culture.answers(session, tenant.id, item.id or 0)
    by_dept: dict[str, list[int]] = {}
    for dept, value in rows:
        by_dept.setdefault(dept or "", []).append(value)
    hidden = suppressed({d: len(v) for d, v in by_dept.items()}, k)

    def group(name: str, values: list[int], hide: bool) -> Group:
        if hide or len(values) < k:
            return Group(name, len(values), False)
        counts = {s: values.count(s) for s in SCALE}
        return Group(name, len(values), True, round(sum(values) / len(values), 1), counts)

    overall = group("", [v for _, v in rows], False)
    depts = [group(d, v, d in hidden) for d, v in
             sorted(by_dept.items(), key=lambda kv: (kv[0] == "", kv[0].lower()))]
    enps = None
    if item.body == "enps" and overall.shown:
        promoters = overall.counts[5]
        detractors = sum(overall.counts[s] for s in (1, 2, 3))
        enps = round(100 * (promoters - detractors) / overall.n)
    return PulseResult(k=k, overall=overall, departments=depts, enps=enps)


def describe(tr: NullTranslations, result: PulseResult) -> tuple[Rich, list[Line]]:
    """Words for a result: the overall line and one line per department (digest uses this too)."""
    _ = tr.gettext

    def words(g: Group) -> Rich:
        if not g.shown:
            return Rich((_(NOT_ENOUGH),))
        return fmt(_("{n} answers, average {avg}"), n=g.n, avg=f"{g.average:.1f}")

    overall = words(result.overall)
    if result.overall.shown:
        spread = "  ".join(f"{s}: {result.overall.counts[s]}" for s in SCALE)
        overall = overall + Rich((f" ({spread})",))
        if result.enps is not None:
            overall = overall + fmt(_("; eNPS {score:+d}"), score=result.enps)
    lines = [
        Line(text=(Rich((UserText(g.name),)) if g.name else Rich((_(NO_DEPARTMENT),)))
             + Rich((": ",)) + words(g))
        for g in result.departments
    ]
    return overall, lines


def digest_results(session: Session, tenant: Tenant, since: datetime,
                   until: datetime) -> list[tuple[Item, PulseResult]]:
    """Pulses closed in a window whose overall result passed the threshold.

    Only closed pulses: their answers can no longer change, so no later view differs by one."""
    closed = select(StatusChange.item_id).where(
        StatusChange.tenant_id == tenant.id, StatusChange.new_status == CLOSED,
        StatusChange.created_at >= since, StatusChange.created_at < until)
    pulses = session.execute(
        select(Item).where(Item.tenant_id == tenant.id, Item.kind == "pulse",
                           Item.status == CLOSED,
                           Item.id.in_(closed))  # type: ignore[union-attr]
        .order_by(Item.number)
    ).scalars()
    out = []
    for item in pulses:
        result = compute(session, tenant, item)
        if result.overall.shown:
            out.append((item, result))
    return out


def answered(ctx: Ctx, n: int, k: int, closed: bool) -> Rich:
    """How many answered, as far as it may be told: nothing under k, steps of k while open."""
    if n < k:
        return ctx.t(N_("fewer than {k} answers"), k=k)
    if closed:
        return ctx.t(N_("{n} answers"), n=n)
    return ctx.t(N_("at least {n} answers"), n=n - n % k)


# -- commands --------------------------------------------------------------------------


def card(ctx: Ctx, item: Item) -> Reply:
    """The public pulse message: five buttons, and the truth about who sees what."""
    ref = items.ref(item)
    return Reply(
        text=ctx.t(N_("New pulse. Answer with the buttons: only you see the confirmation. "
                      "Your answer is stored without your name, and no member, moderators "
                      "included, can see who answered what. Reactions on this message are "
                      "public and do not count as answers. Results are shown once a moderator "
                      "closes the pulse, and only for groups of at least {k}."),
                   k=ctx.tenant.anonymity_k),
        title=Rich((f"📊 {ref} · ", UserText(item.title))),
        actions=[Action(str(s), "pulse.answer", f"{ref}:{s}") for s in SCALE],
        footer=ctx.t(N_("Or answer privately with /pulse answer {ref} <1-5>. Results after "
                        "closing: /pulse results {ref}"), ref=ref).plain(),
        visibility=Visibility.PUBLIC,
        item_id=item.id,
    )


def _ask(ctx: Ctx, question: str, template: str = "") -> Reply:
    item = items.create(ctx, "pulse", items.clean_title(question), body=template, status="open")
    return card(ctx, item)


@REGISTRY.command("pulse ask", Param("question", P.TEXT, N_("a question answered 1 to 5")),
                  help=N_("Ask everyone a 1-5 pulse question."), moderator=True)
def ask(ctx: Ctx, question: str) -> Reply:
    return _ask(ctx, question)


@REGISTRY.command("pulse ask template",
                  Param("template", P.CHOICE, N_("mission, strategy or enps"),
                        choices=tuple(TEMPLATES)),
                  help=N_("Ask a built-in question: mission, strategy or eNPS."), moderator=True)
def ask_template(ctx: Ctx, template: str) -> Reply:
    return _ask(ctx, ctx._(TEMPLATES[template]), template)


@REGISTRY.command("pulse answer", PULSE_REF,
                  Param("value", P.INT, N_("your answer, 1-5"), minimum=1, maximum=5),
                  help=N_("Answer a pulse (the same as its buttons); answering again replaces "
                          "it."))
def answer(ctx: Ctx, ref: int, value: int) -> Reply:
    return record(ctx, items.get(ctx, "pulse", ref), value)


def record(ctx: Ctx, item: Item, value: int) -> Reply:
    """One member's answer: stored under a keyed hash with their department, never their id."""
    if value not in SCALE:
        raise InvalidInput(N_("Answer with a number from 1 to 5."))
    if item.status == CLOSED:
        raise InvalidInput(N_("{ref} is closed; it takes no more answers."), ref=items.ref(item))
    key = answer_key(ctx.secret, ctx.tenant_id, item.id or 0, ctx.actor.user_id)
    # No time is kept at all: a time could be matched against someone's chat activity.
    before = culture.upsert_answer(ctx.session, tenant_id=ctx.tenant_id, item_id=item.id or 0,
                                   answer_key=key, value=value,
                                   department=ctx.member.department)
    if before is not None and before != value:
        text = ctx.t(N_("Your answer to {ref} is now {value} (was {old})."),
                     ref=items.ref(item), value=value, old=before)
    else:
        text = ctx.t(N_("Thanks, your answer to {ref} is {value}. It stays anonymous; answer "
                        "again to change it."), ref=items.ref(item), value=value)
    return Reply(text=text)


def press(ctx: Ctx, value: str) -> Reply:
    """The "pulse.answer" button: value is "P-2:4"."""
    raw_ref, _, raw_value = value.partition(":")
    try:
        number, answer_value = parse_ref("pulse", raw_ref), int(raw_value)
    except (InvalidInput, ValueError):
        raise InvalidInput(N_("That button is not known here.")) from None
    return record(ctx, items.get(ctx, "pulse", number), answer_value)


def my_answer(ctx: Ctx, item: Item) -> int | None:
    key = answer_key(ctx.secret, ctx.tenant_id, item.id or 0, ctx.actor.user_id)
    return culture.answer_by_key(ctx.session, ctx.tenant_id, item.id or 0, key)


@REGISTRY.command("pulse results", PULSE_REF,
                  help=N_("Results once the pulse is closed, overall and by department; small "
                          "groups are hidden."))
def results(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "pulse", ref)
    fields = []
    mine = my_answer(ctx, item)
    if mine is not None:
        fields.append(Field(ctx._("Your answer"), Rich((str(mine),))))
    title = Rich((f"📊 {items.ref(item)} · ", UserText(item.title)))
    k = ctx.tenant.anonymity_k
    if item.status != CLOSED:
        n = culture.answer_count(ctx.session, ctx.tenant_id, item.id or 0)
        return Reply(
            title=title,
            text=ctx.t(N_("{ref} is still open: results are shown once a moderator closes it, "
                          "so that no single answer can be told apart. So far: {answered}."),
                       ref=items.ref(item), answered=answered(ctx, n, k, False)),
            fields=fields,
            footer=ctx.t(N_("While a pulse is open, the number of answers moves in steps of "
                            "{k}."), k=k).plain(),
        )
    result = compute(ctx.session, ctx.tenant, item)
    overall, lines = describe(ctx.translations, result)
    return Reply(
        title=title,
        text=ctx.t(N_("Overall: {overall}"), overall=overall),
        fields=fields,
        lines=lines,
        footer=ctx.t(N_("Groups with fewer than {k} answers are not shown."), k=result.k).plain(),
    )


@REGISTRY.command("pulse list", help=N_("Recent pulses and how many answered."))
def list_pulses(ctx: Ctx) -> Reply:
    rows = repos.list_items(ctx.session, ctx.tenant_id, "pulse", limit=10)
    if not rows:
        return Reply(text=ctx.t(N_("No pulses yet. Moderators ask one with "
                                   "/pulse ask <question>.")))
    lines = []
    k = ctx.tenant.anonymity_k
    for item, _score in rows:
        n = culture.answer_count(ctx.session, ctx.tenant_id, item.id or 0)
        meta = answered(ctx, n, k, item.status == CLOSED).plain() + " · " + ctx._(item.status)
        lines.append(Line(text=Rich((UserText(item.title),)), ref=items.ref(item), meta=meta))
    return Reply(text=ctx.t(N_("Recent pulses:")), lines=lines)


@REGISTRY.command("pulse close", PULSE_REF,
                  help=N_("Stop taking answers to a pulse and show its results."),
                  moderator=True)
def close(ctx: Ctx, ref: int) -> Reply:
    item = items.get(ctx, "pulse", ref)
    if item.status == CLOSED:
        raise InvalidInput(N_("{ref} is closed; it takes no more answers."), ref=items.ref(item))
    items.record_status(ctx, item, CLOSED)
    # No answer can change now: the keys that let members change them are replaced with
    # random ones, so from here on nothing, not even the server's secret, leads to anyone.
    culture.seal_answers(ctx.session, ctx.tenant_id, item.id or 0)
    return Reply(text=ctx.t(N_("{ref} is closed. Results: /pulse results {ref}"),
                            ref=items.ref(item)))


SHOWN_WORDS = (N_("open"), N_("closed"))

