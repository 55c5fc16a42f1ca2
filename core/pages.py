"""What the web pages show, as plain values: the risk register, knowledge and culture.

Nothing here counts or searches on its own. Each figure comes from the function chat uses
(``risks.matrix_counts`` for ``/risk matrix``, ``knowledge.find`` for ``/kb``,
``stats.department_weeks`` and ``pulses.compute`` with the tenant's threshold, ``kudos.counts``
for the digest), and every change goes through the registry's command, its permission check
included, exactly as a typed command would. An anonymous item's author is never looked up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from core import freshness, items, knowledge, kudos, pulses, risks, stats
from core.commands import REGISTRY
from core.context import Ctx
from core.errors import Forbidden, InvalidInput, NotFound
from core.i18n import N_
from core.permissions import MODERATORS_ONLY
from core.permissions import check as check_permission
from core.registry import MemberArg
from core.replies import Reply
from storage import culture, repos
from storage.models import Item, Member, Vote

NOBODY = 0  # the owner filter's "nobody owns it"
REGISTER_LIMIT = 500  # risks one register page lists
CULTURE_WEEKS = 8
PULSES_SHOWN = 12
MEMBERS_LISTED = 500
NOT_SHOWN = N_("fewer than {k} people, or showing it would uncover a smaller group")


def run_command(ctx: Ctx, path: tuple[str, ...], options: dict[str, Any]) -> Reply:
    """Run a registry command inside this unit of work: the same binding, the same
    permission check and the same handler as a typed command."""
    cmd = REGISTRY.find(path)
    args = cmd.bind(options)
    check_permission(ctx, cmd, args)
    return cmd.handler(ctx, **args)


def may_run(ctx: Ctx, path: tuple[str, ...], options: dict[str, Any]) -> bool:
    """Whether the registry's permission rule lets the actor run this command."""
    cmd = REGISTRY.find(path)
    try:
        check_permission(ctx, cmd, cmd.bind(options))
    except Forbidden:
        return False
    return True


# -- risks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    member_id: int
    name: str


@dataclass(frozen=True)
class RiskFilter:
    """``status`` one of ``risks.STATUSES`` or None (all); ``owner`` a member id, ``NOBODY``
    or None (anyone); ``min_score`` the least likelihood × impact (0: unrated ones too)."""

    status: str | None = None
    owner: int | None = None
    min_score: int = 0

    @classmethod
    def parse(cls, status: str | None, owner: str | None, min_score: str | None) -> RiskFilter:
        """From query parameters; anything unknown is ignored, never an error page."""
        chosen = status if status in risks.STATUSES else None
        who = int(owner) if owner and owner.isdigit() else None
        try:
            least = max(0, min(25, int(min_score or 0)))
        except ValueError:
            least = 0
        return cls(chosen, who, least)


@dataclass(frozen=True)
class RiskRow:
    ref: str
    number: int
    title: str
    status: str
    likelihood: int | None
    impact: int | None
    score: int | None
    owner: Person | None
    seen_too: int  # "I see it too": members who voted it up


@dataclass
class RiskRegister:
    rows: list[RiskRow]
    grid: list[list[int]]  # grid[likelihood-1][impact-1], as /risk matrix counts it
    unrated: int
    owners: list[Person]  # for the owner filter: every member who owns a risk
    filter: RiskFilter


def _row(ctx: Ctx, item: Item, seen_too: int, names: dict[int, Member]) -> RiskRow:
    owner = names.get(item.owner_id) if item.owner_id is not None else None
    rated = item.likelihood is not None and item.impact is not None
    return RiskRow(
        ref=items.ref(item), number=item.number, title=item.title, status=item.status,
        likelihood=item.likelihood, impact=item.impact,
        score=risks.score(item) if rated else None,
        owner=Person(owner.id or 0, _shown_name(ctx, owner)) if owner is not None else None,
        seen_too=seen_too)


def _shown_name(ctx: Ctx, member: Member) -> str:
    return ctx._("a former member") if member.former else member.display_name


def _seen_too(ctx: Ctx, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    n = func.count().label("n")
    rows = ctx.session.execute(
        select(col(Vote.item_id), n).where(
            col(Vote.tenant_id) == ctx.tenant_id, col(Vote.item_id).in_(ids),
            col(Vote.value) > 0).group_by(col(Vote.item_id))).all()
    return {int(row[0]): int(row[1]) for row in rows}


def risk_register(ctx: Ctx, flt: RiskFilter) -> RiskRegister:
    """The register, most serious first, filtered; the heat map counts what /risk matrix does."""
    listed = repos.list_items(ctx.session, ctx.tenant_id, "risk",
                              statuses=[flt.status] if flt.status else None, order="risk",
                              limit=REGISTER_LIMIT)
    everyone = [it for it, _ in repos.list_items(ctx.session, ctx.tenant_id, "risk",
                                                 order="risk", limit=REGISTER_LIMIT)]
    owner_ids = {it.owner_id for it in everyone if it.owner_id is not None}
    names = repos.members_by_ids(ctx.session, ctx.tenant_id, list(owner_ids))
    chosen = []
    for item, _net in listed:
        if flt.owner == NOBODY and item.owner_id is not None:
            continue
        if flt.owner not in (None, NOBODY) and item.owner_id != flt.owner:
            continue
        if flt.min_score and risks.score(item) < flt.min_score:
            continue
        chosen.append(item)
    seen = _seen_too(ctx, [it.id or 0 for it in chosen])
    rows = [_row(ctx, it, seen.get(it.id or 0, 0), names) for it in chosen]
    owners = sorted((Person(m.id or 0, _shown_name(ctx, m)) for m in names.values()),
                    key=lambda p: p.name.lower())
    return RiskRegister(rows=rows, grid=risks.matrix_counts(ctx),
                        unrated=risks.unrated_count(ctx),
                        owners=owners, filter=flt)


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    text: str


@dataclass
class RiskPage:
    row: RiskRow
    body: str
    raised_by: str  # "anonymous" for an anonymous risk: its author is never looked up
    source_link: str | None
    history: list[HistoryEntry]
    can_edit: bool
    members: list[Person] = field(default_factory=list)  # owner choices, for editors only
    statuses: tuple[str, ...] = risks.STATUSES


def risk_page(ctx: Ctx, number: int) -> RiskPage:
    item = items.get(ctx, "risk", number)
    names = repos.members_by_ids(ctx.session, ctx.tenant_id,
                                 [item.owner_id] if item.owner_id is not None else [])
    seen = _seen_too(ctx, [item.id or 0])
    can_edit = may_run(ctx, ("risk", "status"), {"ref": str(number), "status": "open"})
    return RiskPage(
        row=_row(ctx, item, seen.get(item.id or 0, 0), names),
        body=item.body if item.body != item.title else "",
        raised_by=items.author_name(ctx, item).plain(),
        source_link=item.source_link,
        history=[HistoryEntry(line.meta, line.text.plain())
                 for line in items.history_lines(ctx, item)],
        can_edit=can_edit,
        members=members(ctx) if can_edit else [],
    )


def members(ctx: Ctx) -> list[Person]:
    """The tenant's current members by name: who a risk can be handed to."""
    rows: list[Member] = list(ctx.session.execute(
        select(Member).where(col(Member.tenant_id) == ctx.tenant_id,
                             col(Member.former).is_(False))
        .order_by(func.lower(col(Member.display_name)), col(Member.id)).limit(MEMBERS_LISTED)
    ).scalars())
    return [Person(m.id or 0, m.display_name or m.user_id) for m in rows]


def change_risk(ctx: Ctx, number: int, *, status: str | None = None, note: str = "",
                owner: int | None = None, likelihood: str | None = None,
                impact: str | None = None) -> list[Reply]:
    """One form's changes, each through its command (/risk status, owner, rate) and its
    permission check, in this one transaction: all of them or none."""
    ref = str(number)
    done: list[Reply] = []
    item = items.get(ctx, "risk", number)
    if likelihood or impact:
        if (likelihood, impact) != (str(item.likelihood), str(item.impact)):
            done.append(run_command(ctx, ("risk", "rate"), {
                "ref": ref, "likelihood": likelihood, "impact": impact}))
    if owner is not None and owner != item.owner_id:
        person = repos.members_by_ids(ctx.session, ctx.tenant_id, [owner]).get(owner)
        if person is None or person.former:
            raise NotFound(N_("No single member is called {name}."), name=str(owner))
        done.append(run_command(ctx, ("risk", "owner"), {
            "ref": ref, "member": MemberArg(person.user_id, person.display_name)}))
    if status and status != item.status:
        done.append(run_command(ctx, ("risk", "status"), {
            "ref": ref, "status": status, "note": note.strip() or None}))
    if not done:
        raise InvalidInput(N_("Nothing was changed."))
    return done


# -- knowledge --------------------------------------------------------------------------


@dataclass(frozen=True)
class SnippetRow:
    ref: str
    number: int
    title: str
    stale: bool
    tags: list[str]


@dataclass
class SearchResults:
    query: str
    exact: SnippetRow | None
    matches: list[SnippetRow]
    near: list[SnippetRow]  # "did you mean", only when nothing matched


def _snippet_row(ctx: Ctx, item: Item) -> SnippetRow:
    return SnippetRow(items.ref(item), item.number, item.title,
                      freshness.is_stale(ctx.tenant, item, ctx.now),
                      repos.tags_of(ctx.session, ctx.tenant_id, item.id or 0))


def search_knowledge(ctx: Ctx, query: str) -> SearchResults:
    """``/kb <query>``'s search (``knowledge.find``), as rows for a page."""
    found = knowledge.find(ctx, query)
    return SearchResults(
        query=query,
        exact=_snippet_row(ctx, found.exact) if found.exact is not None else None,
        matches=[_snippet_row(ctx, it) for it in found.matches],
        near=[_snippet_row(ctx, it) for it in found.near])


def recent_snippets(ctx: Ctx, limit: int = 20) -> list[SnippetRow]:
    rows = repos.list_items(ctx.session, ctx.tenant_id, "snippet", exclude=("archived",),
                            limit=limit)
    return [_snippet_row(ctx, it) for it, _ in rows]


def onboarding_path(ctx: Ctx) -> list[SnippetRow]:
    """``/kb onboarding``: the snippets tagged #onboarding, in order."""
    return [_snippet_row(ctx, it) for it in knowledge.onboarding_path(ctx)]


@dataclass
class SnippetPage:
    ref: str
    number: int
    title: str
    body: str
    tags: list[str]
    aliases: list[str]
    owner: str
    saved_by: str  # "anonymous" when it was saved anonymously
    originally_by: str | None
    source_link: str | None
    source_deleted_on: str | None
    verify_by: str
    stale: bool
    earlier_versions: int


def snippet_page(ctx: Ctx, number: int) -> SnippetPage:
    """What ``/kb show`` shows, as values: owner, verify-by (stale or not) and the source."""
    item = items.get(ctx, "snippet", number)
    deleted = item.source_deleted_at
    return SnippetPage(
        ref=items.ref(item), number=item.number, title=item.title, body=item.body,
        tags=repos.tags_of(ctx.session, ctx.tenant_id, item.id or 0),
        aliases=repos.aliases_of(ctx.session, ctx.tenant_id, item.id or 0),
        owner=ctx.member_name(freshness.owner_id(item)).plain(),
        saved_by=items.author_name(ctx, item).plain(),
        originally_by=item.source_author,
        source_link=item.source_link,
        source_deleted_on=freshness.aware(deleted).strftime("%Y-%m-%d") if deleted else None,
        verify_by=freshness.verify_by(ctx.tenant, item).strftime("%Y-%m-%d"),
        stale=freshness.is_stale(ctx.tenant, item, ctx.now),
        earlier_versions=freshness.revision_count(ctx.session, item),
    )


# -- culture ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupLine:
    name: str  # department, "" for none
    text: str  # the words chat uses: numbers, or "not enough answers yet"
    shown: bool


@dataclass
class PulseView:
    ref: str
    title: str
    closed: bool
    asked_on: str
    closed_on: str | None
    answered: str  # thresholded: "fewer than k answers", "at least 10 answers", "12 answers"
    average: float | None  # overall average, only for a closed pulse past the threshold
    overall: str
    departments: list[GroupLine]


@dataclass
class Culture:
    k: int
    pulses: list[PulseView]
    weeks: list[datetime]  # week starts, oldest first
    departments: list[str]  # "" for members without a department
    participation: dict[str, list[int | None]]  # department -> contributors per week
    overall: list[int | None]  # all departments together, per week
    kudos: list[tuple[str, int]]  # per company value, over the same weeks
    kudos_since: datetime


def require_culture(ctx: Ctx) -> None:
    """Culture analytics are for moderators: a refusal that says who may."""
    ctx.require_moderator(MODERATORS_ONLY)


def _closed_on(ctx: Ctx, item: Item) -> str | None:
    for change in reversed(repos.history(ctx.session, ctx.tenant_id, item.id or 0)):
        if change.new_status == pulses.CLOSED:
            return freshness.aware(change.created_at).strftime("%Y-%m-%d")
    return None


def pulse_views(ctx: Ctx, limit: int = PULSES_SHOWN) -> list[PulseView]:
    """Recent pulses, oldest first. An open pulse shows only how many answered (in steps of
    k), never a result; a closed one shows ``pulses.compute``'s groups, each under k hidden."""
    k = ctx.tenant.anonymity_k
    out = []
    for item, _ in reversed(repos.list_items(ctx.session, ctx.tenant_id, "pulse", limit=limit)):
        closed = item.status == pulses.CLOSED
        n = culture.answer_count(ctx.session, ctx.tenant_id, item.id or 0)
        view = PulseView(
            ref=items.ref(item), title=item.title, closed=closed,
            asked_on=freshness.aware(item.created_at).strftime("%Y-%m-%d"),
            closed_on=_closed_on(ctx, item) if closed else None,
            answered=pulses.answered(ctx, n, k, closed).plain(),
            average=None, overall="", departments=[])
        if closed:
            result = pulses.compute(ctx.session, ctx.tenant, item)
            overall, lines = pulses.describe(ctx.translations, result)
            view.overall = overall.plain()
            view.average = result.overall.average if result.overall.shown else None
            view.departments = [GroupLine(g.name, line.text.plain(), g.shown)
                                for g, line in zip(result.departments, lines, strict=True)]
        out.append(view)
    return out


def culture_page(ctx: Ctx, weeks: int = CULTURE_WEEKS) -> Culture:
    """Pulses, participation by department × week, kudos by value; moderators only."""
    require_culture(ctx)
    per_week = stats.department_weeks(ctx.session, ctx.tenant, ctx.now, weeks)
    names = sorted({d for w in per_week for d in w.departments},
                   key=lambda d: (d == "", d.lower()))
    grid = {d: [w.departments[d].contributors if d in w.departments else None
                for w in per_week] for d in names}
    since = per_week[0].start if per_week else ctx.now
    until = (per_week[-1].start if per_week else ctx.now) + timedelta(days=7)
    return Culture(
        k=ctx.tenant.anonymity_k,
        pulses=pulse_views(ctx),
        weeks=[w.start for w in per_week],
        departments=names,
        participation=grid,
        overall=[w.overall.contributors for w in per_week],
        kudos=kudos.counts(ctx.session, ctx.tenant_id, since, until),
        kudos_since=since,
    )
