"""Onboarding journeys: a newcomer gets a welcome with the onboarding collection, then the
steps the moderators defined, each once, in working hours of the newcomer's zone.

A member joining the workspace (Slack ``team_join``; Discord member add, with the members
intent) starts one journey (unique per tenant and member, so a re-delivered join starts
nothing twice). The welcome goes at once; every later step falls due on its day (day 1 is the
day of joining) and goes at the next working-hours moment (09:00-18:00, Monday to Friday) in
the member's zone (Slack tells it; else the workspace's digest zone). Each step is a claim in
the store (``ONBOARDING_JOB``), so it is sent once however many processes run. A member who
left gets nothing more.

With no steps of its own a workspace gets the defaults: day 3 a coffee buddy from another
department among the members in coffee pairing (chosen once and kept), day 30 a private
three-question onboarding pulse (the pulse rules apply: results once a moderator closes it,
and only for groups of at least k).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from gettext import NullTranslations
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from core import items, privacy, pulses
from core.commands import REGISTRY
from core.context import Ctx
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_, gettext_for
from core.refs import parse_ref
from core.registry import P, Param
from core.replies import Action, Field, Line, Notice, Reply
from core.search import body_text, normalise
from core.stats import suppressed
from core.text import Mention, Rich, UserText, fmt
from core.text import join as join_rich
from storage import culture, digests, repos
from storage import onboarding as store
from storage.db import Database
from storage.models import Item, Member, Tenant

ONBOARDING_JOB = "onboarding"  # one claim per (journey, step): "<journey id>:<step key>"
WELCOME = "welcome"
BUDDY = "d3"
PULSE = "d30"
MAX_DAY = 90
# Journeys are looked at this long after they started: the last day, plus a weekend to spare.
WINDOW = timedelta(days=MAX_DAY + 7)
WORK_START = time(9, 0)
WORK_END = time(18, 0)
WORK_DAYS = 5  # Monday to Friday
PULSE_ACTION = "onboard.answer"
PULSE_QUESTIONS = (
    N_("How welcome did you feel in your first month? (1 = not at all, 5 = completely)"),
    N_("How clear is what is expected of you? (1 = not at all, 5 = completely)"),
    N_("How easily did you find the knowledge you needed? (1 = not at all, 5 = very easily)"),
)
PULSE_BODY = "onboarding-{n}"
PULSE_JOB = "onboarding-pulse"  # one settled claim per question made, so one process makes it

onboarding_group = REGISTRY.group(
    "onboarding", N_("Onboarding journeys: what newcomers get on their first days."))


# -- the plan: which steps go, and when ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the plan. ``key`` names it in claims; ``kind``: welcome, buddy, pulse or
    text (a moderator's own step, whose words are ``text``)."""

    key: str
    day: int
    kind: str
    text: str = ""
    added_at: datetime | None = None
    step_id: int | None = None


def plan(session: Session, tenant_id: str) -> list[Step]:
    """The welcome, then the workspace's own steps, or the defaults when it has none."""
    own = store.steps(session, tenant_id)
    out = [Step(WELCOME, 1, "welcome")]
    if not own:
        return out + [Step(BUDDY, 3, "buddy"), Step(PULSE, 30, "pulse")]
    return out + [Step(f"s{s.id}", s.day, "text", s.text, _aware(s.created_at), s.id)
                  for s in own]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def working_time(when: datetime, zone: ZoneInfo) -> datetime:
    """``when`` if it is in working hours in ``zone``, else the next start of working hours."""
    local = _aware(when).astimezone(zone)
    for _ in range(8):
        if local.weekday() < WORK_DAYS:
            if local.time() < WORK_START:
                return local.replace(hour=WORK_START.hour, minute=WORK_START.minute, second=0,
                                     microsecond=0)
            if local.time() < WORK_END:
                return local
        following = (local + timedelta(days=1)).date()
        local = datetime.combine(following, WORK_START, tzinfo=zone)
    return local


def falls_due(started_at: datetime, day: int) -> datetime:
    """When a step of ``day`` falls due, before working hours are applied."""
    return _aware(started_at) + timedelta(days=day - 1)


def due_at(step: Step, started_at: datetime, zone: ZoneInfo) -> datetime:
    """When a step goes: the welcome at once; the others in working hours of their day."""
    if step.kind == "welcome":
        return _aware(started_at)
    return working_time(falls_due(started_at, step.day), zone)


def applies(step: Step, started_at: datetime) -> bool:
    """A step added after it fell due for a journey is not sent to it late."""
    return step.added_at is None or step.added_at <= falls_due(started_at, step.day)


# -- joining and leaving ---------------------------------------------------------------


def join(db: Database, tenant_id: str, user_id: str, name: str, *, tz: str = "",
         now: datetime) -> int | None:
    """A member joined: their journey starts. Its id, or None when it started before (a
    re-delivered event, or someone who joins again) or the workspace is gone."""
    with db.uow() as session:
        tenant, member = repos.ensure_tenant_member(session, tenant_id, user_id, name, now=now)
        if tenant.uninstalled_at is not None or member.former or member.id is None:
            return None
        return store.start(session, tenant_id=tenant_id, member_id=member.id, tz=tz, now=now)


def leave(db: Database, tenant_id: str, user_id: str, *, now: datetime) -> bool:
    """A member left the workspace: their journey stops; True when it was running."""
    with db.uow() as session:
        member = repos.member_by_user(session, tenant_id, user_id)
        if member is None or member.id is None:
            return False
        return store.left(session, tenant_id, member.id, now)


# -- what is owed ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owed:
    tenant_id: str
    key: str  # the claim's period key: "<journey id>:<step key>"


def claim_key(journey_id: int, step_key: str) -> str:
    return f"{journey_id}:{step_key}"


def owed(session: Session, now: datetime, *, platforms: list[str] | None = None,
         tenant_ids: list[str] | None = None,
         waiting: list[Owed] | None = None) -> list[Owed]:
    """Steps due now and not yet settled (sent, given up, or held by a live lease).
    ``waiting`` collects the steps whose day came but that wait for working hours."""
    journeys = store.active(session, since=now - WINDOW, tenant_ids=tenant_ids)
    wanted = tuple(f"{p}:" for p in platforms) if platforms is not None else None
    journeys = [j for j in journeys if wanted is None or j.tenant_id.startswith(wanted)]
    if not journeys:
        return []
    tenants = {t.id: t for t in session.execute(select(Tenant).where(
        Tenant.id.in_({j.tenant_id for j in journeys}),  # type: ignore[attr-defined]
        Tenant.uninstalled_at.is_(None))).scalars()}  # type: ignore[union-attr]
    members = {m.id: m for m in session.execute(select(Member).where(
        Member.id.in_({j.member_id for j in journeys}))).scalars()}  # type: ignore[union-attr]
    plans: dict[str, list[Step]] = {}
    candidates: list[Owed] = []
    for j in journeys:
        tenant, member = tenants.get(j.tenant_id), members.get(j.member_id)
        if tenant is None or member is None or member.former or j.id is None:
            continue
        steps = plans.setdefault(j.tenant_id, plan(session, j.tenant_id))
        zone = zone_of(j.tz or tenant.digest_tz)
        at_work = working_time(now, zone) <= now  # a late tick never sends at night
        for step in steps:
            if not applies(step, j.started_at) or due_at(step, j.started_at, zone) > now:
                continue
            if step.kind == "welcome" or at_work:
                candidates.append(Owed(j.tenant_id, claim_key(j.id, step.key)))
            elif waiting is not None:
                waiting.append(Owed(j.tenant_id, claim_key(j.id, step.key)))
    held = list(waiting or [])
    settled = digests.blocked(session, job=ONBOARDING_JOB,
                              pairs=[(o.tenant_id, o.key) for o in candidates + held], now=now)
    if waiting is not None:
        waiting[:] = [o for o in held if (o.tenant_id, o.key) not in settled]
    return [o for o in candidates if (o.tenant_id, o.key) not in settled]


def notice_for(session: Session, tenant_id: str, key: str, now: datetime) -> Notice | None:
    """The message an owed step sends, to whoever it has not reached yet; None when nothing
    is to be sent any more (the member left, the step was removed, everyone was reached)."""
    journey_part, _, step_key = key.partition(":")
    if not journey_part.isdigit():
        return None
    journey = store.journey(session, tenant_id, int(journey_part))
    if journey is None or journey.left_at is not None or journey.id is None:
        return None
    tenant = session.get(Tenant, tenant_id)
    member = session.get(Member, journey.member_id)
    if tenant is None or member is None or member.former:
        return None
    step = next((s for s in plan(session, tenant_id) if s.key == step_key), None)
    if step is None:
        return None
    tr = gettext_for(tenant.language)
    if step.kind == "welcome":
        notice = Notice((member.user_id,), welcome_text(session, tr, tenant))
    elif step.kind == "buddy":
        notice = _buddy(session, tr, tenant, journey, member)
    elif step.kind == "pulse":
        notice = pulse_notice(session, tr, tenant, member, now)
    else:
        notice = Notice((member.user_id,), step_text(tr, step))
    row = digests.claim_row(session, tenant_id=tenant_id, job=ONBOARDING_JOB, period_key=key)
    reached = set(filter(None, (row.reached if row is not None else "").split(",")))
    left = tuple(r for r in notice.recipients if r not in reached)
    if not left:
        return None
    return Notice(left, notice.text, group=notice.group and not reached,
                  actions=notice.actions)


def record_sent(db: Database, tenant_id: str, key: str, *, owner: str, now: datetime,
                lease: timedelta) -> bool:
    """The step went out: its claim is settled and the journey is at this step, together."""
    journey_part, _, step_key = key.partition(":")
    with db.uow() as session:
        recorded = digests.sent(session, tenant_id=tenant_id, job=ONBOARDING_JOB,
                                period_key=key, owner=owner, message_id="", now=now,
                                lease_until=now + lease, follow_up=False)
        if journey_part.isdigit():
            store.delivered(session, tenant_id, int(journey_part), step_key)
        return recorded


# -- the messages ----------------------------------------------------------------------


def welcome_text(session: Session, tr: NullTranslations, tenant: Tenant) -> Rich:
    """The welcome: a greeting and the onboarding collection (``/kb onboarding``), in order."""
    from core.knowledge import ONBOARDING

    rows = repos.items_with_tag(session, tenant.id, ONBOARDING)
    text = fmt(tr.gettext(N_("👋 Welcome! Hromada is where this workspace keeps its ideas, "
                             "risks, questions and know-how.")))
    if not rows:
        return text + Rich(("\n",)) + fmt(tr.gettext(N_(
            "Nobody has tagged snippets #onboarding yet; /kb <words> searches what people "
            "saved.")))
    listed = join_rich([fmt("{n}. {ref} “{title}”", n=n, ref=items.ref(it),
                            title=UserText(it.title)) for n, it in enumerate(rows, 1)], "\n")
    return (text + Rich(("\n",)) + fmt(tr.gettext(N_("Start here, in this order:")))
            + Rich(("\n",)) + listed + Rich(("\n",))
            + fmt(tr.gettext(N_("/kb onboarding shows this list again; /kb <words> searches "
                                "everything."))))


def step_text(tr: NullTranslations, step: Step) -> Rich:
    """A moderator's step as the newcomer gets it: their words, which ping nobody."""
    return fmt(tr.gettext(N_("📌 Onboarding, day {day}: {text}")), day=step.day,
               text=UserText(step.text))


def choose_buddy(session: Session, tenant_id: str, newcomer: Member, seed: str) -> Member | None:
    """One member in coffee pairing from another department than the newcomer's (anyone in
    pairing when nobody is), never the newcomer, among those who were a buddy least often;
    the same seed chooses the same one."""
    ids = [i for i in culture.coffee_active(session, tenant_id) if i != newcomer.id]
    people = [m for m in repos.members_by_ids(session, tenant_id, ids).values() if not m.former]
    if not people:
        return None
    mine = (newcomer.department or "").strip().lower()
    other = [m for m in people if (m.department or "").strip()
             and (m.department or "").strip().lower() != mine]
    pool = other or people
    # Whoever was a buddy least often, so the same few people are not asked every time.
    times = store.buddy_counts(session, tenant_id)
    fewest = min(times.get(m.id or 0, 0) for m in pool)
    pool = sorted((m for m in pool if times.get(m.id or 0, 0) == fewest), key=lambda m: m.id or 0)
    return random.Random(seed).choice(pool)


def _buddy(session: Session, tr: NullTranslations, tenant: Tenant, journey: store.OnboardingJourney,
           member: Member) -> Notice:
    buddy: Member | None = None
    if journey.buddy_id is not None:
        buddy = session.get(Member, journey.buddy_id)
    else:
        chosen = choose_buddy(session, tenant.id, member, f"{tenant.id}|{journey.id}")
        if chosen is not None and chosen.id is not None and journey.id is not None:
            # Kept, so a retry (or another process) introduces the same buddy.
            buddy = session.get(Member, store.set_buddy(session, tenant.id, journey.id,
                                                        chosen.id))
    if buddy is None or buddy.former:
        return Notice((member.user_id,), fmt(tr.gettext(N_(
            "☕ Nobody from another team takes part in coffee pairing yet, so there is no "
            "coffee buddy for you today. /coffee join to meet someone new each week."))))
    where = ", ".join(v for v in (buddy.department, buddy.location) if v)
    who = Rich((Mention(buddy.user_id, buddy.display_name),))
    if where:
        who = who + Rich((" (", UserText(where), ")"))
    text = fmt(tr.gettext(N_("☕ Coffee buddy: {newcomer} joined us this week, and {buddy} "
                             "from another team is happy to meet. Find half an hour, in person "
                             "or on a call.")),
               newcomer=Mention(member.user_id, member.display_name), buddy=who)
    return Notice((member.user_id, buddy.user_id), text, group=True)


def pulse_items(session: Session, tenant: Tenant, now: datetime) -> list[Item]:
    """The open onboarding pulse (three questions), made when there is none: a moderator
    closes them with /pulse close to see results; the next newcomers then get new ones."""
    out: list[Item] = []
    tr = gettext_for(tenant.language)
    for n, question in enumerate(PULSE_QUESTIONS, 1):
        body = PULSE_BODY.format(n=n)
        found = _open_pulse(session, tenant.id, body)
        if found is None:
            # One process makes each new question (a unique claim per generation); another
            # that lost the race finds it made, or fails this try and is retried.
            made = session.execute(select(func.count()).select_from(Item).where(
                Item.tenant_id == tenant.id, Item.kind == "pulse",  # type: ignore[arg-type]
                Item.body == body)).scalar_one()  # type: ignore[arg-type]
            if not digests.claim(session, tenant_id=tenant.id, job=PULSE_JOB,
                                 period_key=f"{body}#{made + 1}", owner="onboarding", now=now,
                                 lease_until=now + timedelta(days=36500)):
                found = _open_pulse(session, tenant.id, body)
                if found is None:
                    raise Conflict(N_("Someone else changed that at the same moment; try "
                                      "again."))
                out.append(found)
                continue
            title = items.clean_title(tr.gettext(N_("Onboarding: ")) + tr.gettext(question))
            found = repos.add(session, Item(
                tenant_id=tenant.id, kind="pulse", number=repos.next_number(
                    session, tenant.id, "pulse"),
                title=title, body=body, search_text=normalise(title),
                search_body=body_text(body), status="open", created_at=now, updated_at=now))
        out.append(found)
    return out


def _open_pulse(session: Session, tenant_id: str, body: str) -> Item | None:
    return session.execute(select(Item).where(
        Item.tenant_id == tenant_id, Item.kind == "pulse",  # type: ignore[arg-type]
        Item.status == "open", Item.body == body)  # type: ignore[arg-type]
        .order_by(Item.number.desc()).limit(1)).scalars().first()  # type: ignore[attr-defined]


def pulse_notice(session: Session, tr: NullTranslations, tenant: Tenant, member: Member,
                 now: datetime) -> Notice:
    """Three questions with 1-5 buttons, to the newcomer alone."""
    rows = pulse_items(session, tenant, now)
    head = fmt(tr.gettext(N_(
        "📊 Your first month: three private questions. Answer with the buttons; answers are "
        "stored without your name, and results are shown only for groups of at least {k} "
        "newcomers, once a moderator closes the pulse.")), k=tenant.anonymity_k)
    listed = join_rich([fmt("Q{n} ({ref}): {title}", n=n, ref=items.ref(it),
                            title=UserText(it.title)) for n, it in enumerate(rows, 1)], "\n")
    actions = tuple(Action(f"Q{n}: {s}", PULSE_ACTION, f"{tenant.id}|{items.ref(it)}:{s}")
                    for n, it in enumerate(rows, 1) for s in pulses.SCALE)
    return Notice((member.user_id,), head + Rich(("\n",)) + listed, actions=actions)


def answer(ctx: Ctx, value: str) -> Reply:
    """An onboarding pulse button: ``<tenant>|P-4:3``. Only a newcomer of this workspace, on
    a pulse made for onboarding; the answer is a plain pulse answer (keyed hash, no name)."""
    tenant_id, _, rest = value.partition("|")
    raw_ref, _, raw_value = rest.partition(":")
    if tenant_id != ctx.tenant_id:
        raise InvalidInput(N_("That button is not known here."))
    try:
        number, score = parse_ref("pulse", raw_ref), int(raw_value)
    except (InvalidInput, ValueError):
        raise InvalidInput(N_("That button is not known here.")) from None
    journey = store.journey_of(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    item = items.get(ctx, "pulse", number)
    if journey is None or not item.body.startswith("onboarding-"):
        raise NotFound(N_("That onboarding question is not for you."))
    return pulses.record(ctx, item, score)


ACTIONS = {PULSE_ACTION: answer}


# -- commands --------------------------------------------------------------------------


def _step_words(ctx: Ctx, step: Step) -> Rich:
    if step.kind == "welcome":
        return ctx.t(N_("welcome with the onboarding collection (/kb onboarding)"))
    if step.kind == "buddy":
        return ctx.t(N_("a coffee buddy from another department"))
    if step.kind == "pulse":
        return ctx.t(N_("a private three-question onboarding pulse"))
    return Rich((UserText(step.text),))


def _step_line(ctx: Ctx, step: Step, n: int | None = None) -> Line:
    day = ctx.t(N_("day {day}"), day=step.day).plain()
    return Line(text=Rich((f"{n}. ",)) + _step_words(ctx, step) if n else _step_words(ctx, step),
                meta=day)


@REGISTRY.command("onboarding step add",
                  Param("day", P.INT, N_("the day it goes, 1 = the day of joining"), minimum=1,
                        maximum=MAX_DAY),
                  Param("text", P.TEXT, N_("what the newcomer gets")),
                  help=N_("Add an onboarding step newcomers get on that day."), moderator=True)
def step_add(ctx: Ctx, day: int, text: str) -> Reply:
    if not text:
        raise InvalidInput(N_("Missing {name}."), name="text")
    first = not store.steps(ctx.session, ctx.tenant_id)
    repos.add(ctx.session, store.OnboardingStep(tenant_id=ctx.tenant_id, day=day, text=text,
                                                created_at=ctx.now))
    reply = Reply(text=ctx.t(N_("Added for day {day}: {text}. Newcomers get it in working "
                                "hours of their time zone."), day=day, text=UserText(text)))
    if first:
        reply.footer = ctx._("The default steps (a coffee buddy on day 3, a pulse on day 30) "
                             "stop now that the workspace has steps of its own.")
    return reply


@REGISTRY.command("onboarding step list", help=N_("The onboarding steps newcomers get."))
def step_list(ctx: Ctx) -> Reply:
    steps = plan(ctx.session, ctx.tenant_id)
    own = [s for s in steps if s.kind == "text"]
    if not own:
        return Reply(text=ctx.t(N_("This workspace has no steps of its own, so newcomers get "
                                   "the defaults:")),
                     lines=[_step_line(ctx, s) for s in steps],
                     footer=ctx._("Moderators add steps with /onboarding step add <day> <text>."))
    lines = [_step_line(ctx, steps[0])] + [_step_line(ctx, s, n) for n, s in enumerate(own, 1)]
    return Reply(text=ctx.t(N_("Onboarding steps, in the order they go:")), lines=lines,
                 footer=ctx._("Remove one with /onboarding step remove <n>."))


@REGISTRY.command("onboarding step remove",
                  Param("n", P.INT, N_("the step's number in /onboarding step list"), minimum=1,
                        maximum=1000),
                  help=N_("Remove an onboarding step."), moderator=True)
def step_remove(ctx: Ctx, n: int) -> Reply:
    own = store.steps(ctx.session, ctx.tenant_id)
    if n > len(own):
        raise NotFound(N_("There is no step {n}; /onboarding step list shows them."), n=n)
    step = own[n - 1]
    store.remove_step(ctx.session, ctx.tenant_id, step.id or 0)
    return Reply(text=ctx.t(N_("Removed step {n} (day {day}): {text}"), n=n, day=step.day,
                            text=UserText(step.text)))


@REGISTRY.command("onboarding preview",
                  help=N_("What a newcomer gets: the welcome, then each step by day."),
                  moderator=True)
def preview(ctx: Ctx) -> Reply:
    steps = plan(ctx.session, ctx.tenant_id)
    lines = []
    for step in steps[1:]:
        if step.kind == "text":
            words = step_text(ctx.translations, step)
        else:
            words = _step_words(ctx, step)
        lines.append(Line(text=words, meta=ctx.t(N_("day {day}"), day=step.day).plain()))
    return Reply(title=ctx.t(N_("The welcome, as a newcomer gets it:")),
                 text=welcome_text(ctx.session, ctx.translations, ctx.tenant), lines=lines,
                 footer=ctx._("Steps after the welcome go in working hours (09:00-18:00, "
                              "Monday to Friday) of the newcomer's time zone."))


@REGISTRY.command("onboarding status",
                  help=N_("How many newcomers are at each step; small groups are hidden."),
                  moderator=True)
def status(ctx: Ctx) -> Reply:
    k = ctx.tenant.anonymity_k
    journeys = store.active(ctx.session, since=ctx.now - WINDOW, tenant_ids=[ctx.tenant_id])
    steps = plan(ctx.session, ctx.tenant_id)
    keys = [s.key for s in steps]
    gone = "?"  # the last step they got was removed since
    sizes = {key: 0 for key in ["", *keys, gone]}
    for j in journeys:
        sizes[j.last_step if j.last_step in sizes else gone] += 1
    hidden = suppressed(sizes, k)

    def count(key: str) -> Rich:
        if key in hidden:
            return ctx.t(N_("fewer than {k}"), k=k)
        return Rich((str(sizes[key]),))

    total = len(journeys)
    lines = [Line(text=ctx.t(N_("waiting for the welcome")), meta=count("").plain())]
    lines += [Line(text=_step_words(ctx, s), meta=ctx.t(N_("day {day}: {count}"), day=s.day,
                                                         count=count(s.key)).plain())
              for s in steps]
    if sizes[gone]:
        lines.append(Line(text=ctx.t(N_("at a step removed since")), meta=count(gone).plain()))
    shown_total = ctx.t(N_("fewer than {k}"), k=k) if total < k else Rich((str(total),))
    return Reply(text=ctx.t(N_("Newcomers on their onboarding journey: {n}. Each is counted "
                               "at the last step they got:"), n=shown_total),
                 lines=lines,
                 footer=ctx.t(N_("Groups of fewer than {k} are not shown, so nobody can be "
                                 "told apart."), k=k).plain())


# -- your data -------------------------------------------------------------------------


def my_journey(ctx: Ctx) -> list[Field]:
    """For ``/hromada mydata``: the journey Hromada keeps about this member."""
    journey = store.journey_of(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    if journey is None:
        return []
    parts = [_aware(journey.started_at).strftime("%Y-%m-%d")]
    if journey.tz:
        parts.append(journey.tz)
    if journey.last_step:
        step = next((s for s in plan(ctx.session, ctx.tenant_id) if s.key == journey.last_step),
                    None)
        words = _step_words(ctx, step) if step is not None else Rich((journey.last_step,))
        parts.append(ctx.t(N_("last step: {step}"), step=words).plain())
    if journey.left_at is not None:
        parts.append(ctx._("stopped: you left"))
    fields = [Field(ctx._("Onboarding journey"), Rich((" · ".join(parts),)))]
    if journey.buddy_id is not None:
        fields.append(Field(ctx._("Coffee buddy"), ctx.member_name(journey.buddy_id)))
    return fields


def _erase(ctx: Ctx, member: Member) -> None:
    store.forget(ctx.session, ctx.tenant_id, member.id or 0)


privacy.ERASERS.append(_erase)
privacy.VIEWERS.append(my_journey)
