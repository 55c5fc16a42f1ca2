"""Coffee pairing: opted-in members meet weekly, across departments, never the same pair twice
within four rounds, one triple when the count is odd.

The scheduler calls ``run_all(hromada)`` (or ``run_round(hromada, tenant_id, round_key(now))``
per tenant) at least once a week and hands the returned notices to the platform; a unique
(tenant, round key) row makes each week's round run exactly once however many processes try.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from gettext import NullTranslations
from itertools import combinations
from typing import Protocol

from sqlmodel import Session

from core.clock import Clock
from core.commands import REGISTRY
from core.context import Ctx
from core.i18n import N_, gettext_for
from core.replies import Field, Notice, Reply
from core.text import Mention, Rich, UserText, fmt, join
from storage import culture, digests, repos
from storage.culture import CoffeeMatch, CoffeeMember
from storage.models import Member

NO_REPEAT_ROUNDS = 4
INTRODUCTION_JOB = "coffee-intro"  # one claim per group per round: sent once, retried
ATTEMPTS = 40

Pair = frozenset[int]


def round_key(when: datetime) -> str:
    """The ISO week a round belongs to, like 2026-W10: one round per tenant per week."""
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


# -- pairing (pure: members and history in, groups out) ---------------------------------


def pairs_of(group: Sequence[int]) -> list[Pair]:
    return [frozenset(p) for p in combinations(group, 2)]


def pair_members(
    departments: Mapping[int, str | None],
    recent: Sequence[Sequence[int]],
    rng: random.Random,
    *,
    attempts: int = ATTEMPTS,
) -> tuple[list[list[int]], list[int]]:
    """Groups of two (one of three when the count is odd) and the members left unmatched.

    No pair that met in ``recent`` meets again. Among valid pairings the one matching the most
    members wins, then the one with the most cross-department pairs; randomised greedy
    (most-constrained member first) with restarts finds it.
    """
    forbidden = {p for g in recent for p in pairs_of(g)}
    ids = sorted(departments)
    dept = {m: (departments[m] or "").strip().lower() for m in ids}
    allowed = {m: {o for o in ids if o != m and frozenset((m, o)) not in forbidden} for m in ids}
    best: tuple[int, int] | None = None
    best_groups: list[list[int]] = []
    best_left: list[int] = list(ids)
    for _ in range(max(1, attempts)):
        groups, left = _greedy(ids, dept, allowed, rng)
        matched = sum(len(g) for g in groups)
        cross = sum(1 for g in groups for p in pairs_of(g) if len({dept[m] for m in p}) == 2)
        score = (matched, cross)
        if best is None or score > best:
            best, best_groups, best_left = score, groups, left
        if matched == len(ids) and cross == sum(len(pairs_of(g)) for g in groups):
            break
    return best_groups, best_left


def _greedy(ids: list[int], dept: dict[int, str], allowed: dict[int, set[int]],
            rng: random.Random) -> tuple[list[list[int]], list[int]]:
    order = ids[:]
    rng.shuffle(order)
    rank = {m: i for i, m in enumerate(order)}
    free = set(order)
    groups: list[list[int]] = []
    left: list[int] = []
    while len(free) >= 2:
        m = min(free, key=lambda x: (len(allowed[x] & free), rank[x]))
        options = allowed[m] & free
        if not options:
            free.discard(m)
            left.append(m)
            continue
        partner = min(options, key=lambda o: (dept[o] == dept[m], len(allowed[o] & free),
                                              rng.random()))
        free -= {m, partner}
        groups.append([m, partner])
    left.extend(free)
    # One triple: a leftover joins a pair it has not met, preferring other departments.
    if left and groups:
        for extra in sorted(left, key=lambda x: rank[x]):
            fits = [g for g in groups if all(o in allowed[extra] for o in g)]
            if fits:
                g = min(fits, key=lambda g: (sum(dept[o] == dept[extra] for o in g),
                                             rng.random()))
                g.append(extra)
                left.remove(extra)
                break
    return groups, sorted(left, key=lambda x: rank[x])


def random_pairing(ids: Sequence[int], rng: random.Random) -> list[list[int]]:
    """The baseline: shuffle and pair neighbours (a triple at the end when odd)."""
    order = list(ids)
    rng.shuffle(order)
    groups = [order[i:i + 2] for i in range(0, len(order) - 1, 2)]
    if len(order) % 2 and groups:
        groups[-1].append(order[-1])
    return groups


# -- rounds ----------------------------------------------------------------------------


class HasStore(Protocol):
    """What ``run_round`` needs from the core facade: its store and its clock."""

    @property
    def db(self) -> object: ...

    @property
    def clock(self) -> Clock: ...


def run_round(target: Session | HasStore, tenant_id: str, key: str, *,
              seed: int | str | None = None, when: datetime | None = None) -> list[Notice]:
    """Pair this round's members and return the introductions (one notice per group).

    ``target`` is a ``Session`` (the caller owns the transaction) or the ``Hromada`` facade
    (one transaction here). Runs at most once per tenant and key: a second call returns [].
    """
    if isinstance(target, Session):
        done = _run(target, tenant_id, key, seed=seed, when=when)
    else:
        when = when or target.clock.now()
        with target.db.uow() as session:  # type: ignore[attr-defined]
            done = _run(session, tenant_id, key, seed=seed, when=when)
    return done[1] if done else []


def run_all(target: HasStore, when: datetime | None = None, *,
            platforms: Iterable[str] | None = None) -> dict[str, list[Notice]]:
    """This week's round for every tenant with coffee members: tenant id -> introductions.

    Safe to call from every process and as often as wanted: each tenant's round for the week
    runs once; later calls return no notices for it. ``platforms`` limits it to the tenants a
    process can deliver to (``slack``, ``discord``, ``console``), so no round is spent where
    its introductions could not be sent.
    """
    when = when or target.clock.now()
    with target.db.uow() as session:  # type: ignore[attr-defined]
        tenants = culture.coffee_tenants(session)
    if platforms is not None:
        wanted = tuple(f"{p}:" for p in platforms)
        tenants = [t for t in tenants if t.startswith(wanted)]
    out: dict[str, list[Notice]] = {}
    for tenant_id in tenants:
        notices = run_round(target, tenant_id, round_key(when), when=when)
        if notices:
            out[tenant_id] = notices
    return out


def _run(session: Session, tenant_id: str, key: str, *, seed: int | str | None,
         when: datetime | None, tr: NullTranslations | None = None, inline: bool = False,
         ) -> tuple[list[list[int]], list[Notice]] | None:
    """The round itself: (groups, notices); None when this tenant already ran this key.

    The introductions are recorded as owed, for the scheduler's coffee runner to send;
    ``inline``: the caller's reply carries them and the adapter sends them now (``/coffee
    pair``), so they are recorded as sent and the runner never sends them again."""
    when = when or datetime.now(UTC)
    tenant = repos.ensure_tenant(session, tenant_id)
    tr = tr or gettext_for(tenant.language)
    round_id = culture.claim_round(session, tenant_id, key, when)
    if round_id is None:
        return None
    members = repos.members_by_ids(session, tenant_id, culture.coffee_active(session, tenant_id))
    members = {i: m for i, m in members.items() if not m.former}
    recent = culture.recent_groups(session, tenant_id, round_id, NO_REPEAT_ROUNDS)
    rng = random.Random(seed if seed is not None else f"{tenant_id}|{key}")
    groups, left = pair_members({i: m.department for i, m in members.items()}, recent, rng)
    for n, group in enumerate(groups, 1):
        for member_id in group:
            session.add(CoffeeMatch(round_id=round_id, member_id=member_id, tenant_id=tenant_id,
                                    group_no=n))
    session.flush()
    # Each introduction is owed from now on, in the round's own transaction: whoever sends
    # it later (this process or another, now or after a failure) finds it here.
    for n in range(1, len(groups) + 1):
        digests.pending(session, tenant_id=tenant_id, job=INTRODUCTION_JOB,
                        period_key=f"{key}#{n}", now=when, settled=inline)
    notices = [introduction(tr, [members[i] for i in g]) for g in groups]
    if left:
        notices.append(Notice(tuple(members[i].user_id for i in left), Rich((tr.gettext(N_(
            "☕ No new coffee match for you this week; you are in the next round.")),))))
    return groups, notices


def owed_introduction(session: Session, tenant_id: str, claim_key: str) -> Notice | None:
    """An owed introduction (claim key ``<round>#<group>``) for the members it has not reached
    yet; None when nobody is left to tell. Once some were told, the rest hear it one by one."""
    round_key_, _, group = claim_key.partition("#")
    if not group.isdigit():
        return None
    ids = culture.group_members(session, tenant_id, round_key_, int(group))
    members = repos.members_by_ids(session, tenant_id, ids)
    row = digests.claim_row(session, tenant_id=tenant_id, job=INTRODUCTION_JOB,
                            period_key=claim_key)
    reached = set(filter(None, (row.reached if row is not None else "").split(",")))
    tenant = repos.ensure_tenant(session, tenant_id)
    group_members = [members[i] for i in ids if i in members and not members[i].former]
    notice = introduction(gettext_for(tenant.language), group_members)
    left = tuple(r for r in notice.recipients if r not in reached)
    if not left:
        return None
    return Notice(left, notice.text, group=notice.group and not reached)


def introduction(tr: NullTranslations, group: list[Member]) -> Notice:
    """The message that introduces a group: who they are, where they work from."""
    def who(m: Member) -> Rich:
        where = ", ".join(v for v in (m.department, m.location) if v)
        head = Rich((Mention(m.user_id, m.display_name),))
        return head + Rich((" (", UserText(where), ")")) if where else head

    text = fmt(tr.gettext(N_("☕ Coffee this week: {people}. Find half an hour to meet, in "
                             "person or on a call.")), people=join([who(m) for m in group], ", "))
    return Notice(tuple(m.user_id for m in group), text, group=True)


# -- commands --------------------------------------------------------------------------


@REGISTRY.command("coffee join", help=N_("Take part in the weekly coffee pairing."))
def join_(ctx: Ctx) -> Reply:
    row = culture.coffee_member(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    if row is None:
        repos.add(ctx.session, CoffeeMember(tenant_id=ctx.tenant_id, member_id=ctx.member.id or 0,
                                            active=True, joined_at=ctx.now))
    elif row.active:
        return Reply(text=ctx.t(N_("You already take part in coffee pairing.")))
    else:
        row.active, row.joined_at = True, ctx.now
        ctx.session.add(row)
    reply = Reply(text=ctx.t(N_("☕ You are in: each week you meet someone new, preferably from "
                                "another department. /coffee leave stops it.")))
    if not ctx.member.department:
        reply.footer = ctx._("Tip: set your department (/people me department <name>) so pairs "
                             "cross teams.")
    return reply


@REGISTRY.command("coffee leave", help=N_("Stop taking part in coffee pairing."))
def leave(ctx: Ctx) -> Reply:
    row = culture.coffee_member(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    if row is None or not row.active:
        return Reply(text=ctx.t(N_("You do not take part in coffee pairing. /coffee join to "
                                   "start.")))
    row.active = False
    ctx.session.add(row)
    return Reply(text=ctx.t(N_("You left coffee pairing. /coffee join brings you back.")))


@REGISTRY.command("coffee status", help=N_("Whether you take part, and your last match."))
def status(ctx: Ctx) -> Reply:
    row = culture.coffee_member(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    taking_part = row is not None and row.active
    count = len(culture.coffee_active(ctx.session, ctx.tenant_id))
    text = ctx.t(N_("You take part in coffee pairing.") if taking_part
                 else N_("You do not take part in coffee pairing. /coffee join to start."))
    fields = [Field(ctx._("Taking part"), Rich((str(count),)))]
    history = culture.matches_of(ctx.session, ctx.tenant_id, ctx.member.id or 0)
    if history:
        key, others = history[0]
        people = repos.members_by_ids(ctx.session, ctx.tenant_id, others)
        names = join([ctx.member_name(i) for i in others if i in people], ", ")
        fields.append(Field(ctx._("Last match"), fmt("{key}: {names}", key=key, names=names)))
    fields.append(Field(ctx._("This week"), Rich((round_key(ctx.now),))))
    return Reply(text=text, fields=fields)


@REGISTRY.command("coffee pair", help=N_("Run this week's coffee round now."), moderator=True)
def pair_now(ctx: Ctx) -> Reply:
    key = round_key(ctx.now)
    done = _run(ctx.session, ctx.tenant_id, key, seed=None, when=ctx.now, tr=ctx.translations,
                inline=True)
    if done is None:
        return Reply(text=ctx.t(N_("This week's coffee round ({key}) already ran."), key=key))
    groups, notices = done
    return Reply(text=ctx.t(N_("☕ Coffee round {key}: {n} introductions sent."), key=key,
                            n=len(groups)), notices=notices)
