"""Participation analytics by department, this week against last, with every small cell hidden.

A contributor is a member who submitted an item, voted or gave kudos in the week; pulse
answers are anonymous and never counted per person.

Anything broken down by department goes through ``suppressed``: a group smaller than the
tenant's threshold k is never shown, and when the hidden groups together are still smaller than
k, the next smallest group is hidden too, so nobody can subtract the shown groups from the
total to uncover a hidden one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from core.commands import REGISTRY
from core.context import Ctx
from core.i18n import N_
from core.replies import Line, Reply
from core.text import Rich, UserText
from storage.culture import Kudos
from storage.models import Item, Member, Tenant, Vote

NO_DEPARTMENT = N_("no department")
NOT_ENOUGH = N_("not enough answers yet")
SUBMISSION_KINDS = ("idea", "risk", "question")
METRICS = (N_("contributors"), N_("submissions"), N_("votes"), N_("snippets"))


def suppressed(sizes: Mapping[str, int], k: int) -> set[str]:
    """The groups to hide: each under k, plus the smallest others until the hidden sum ≥ k."""
    hidden = {g for g, n in sizes.items() if n < k}
    shown = sorted((n, g) for g, n in sizes.items() if g not in hidden)
    hidden_total = sum(sizes[g] for g in hidden)
    while 0 < hidden_total < k and shown:
        n, g = shown.pop(0)
        hidden.add(g)
        hidden_total += n
    return hidden


def week_start(when: datetime, tz: str = "UTC") -> datetime:
    """Monday 00:00 of the week holding ``when``, in the tenant's time zone."""
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                              microsecond=0)
    return monday


@dataclass
class Cell:
    """One department in one week. ``None`` values are hidden (under k)."""

    contributors: int | None
    submissions: int | None
    votes: int | None
    snippets: int | None

    def get(self, metric: str) -> int | None:
        value: int | None = getattr(self, metric)
        return value


@dataclass
class Participation:
    k: int
    this_week: datetime
    rows: dict[str, tuple[Cell, Cell]] = field(default_factory=dict)  # department -> (now, last)
    overall: tuple[Cell, Cell] | None = None


@dataclass
class _Raw:
    people: set[int] = field(default_factory=set)
    submissions: int = 0
    votes: int = 0
    snippets: int = 0
    # Who each number is computed from: a number is shown only when they are k or more.
    submitters: set[int] = field(default_factory=set)
    voters: set[int] = field(default_factory=set)
    savers: set[int] = field(default_factory=set)


def _counts(session: Session, tenant_id: str, start: datetime, end: datetime) -> dict[str, _Raw]:
    """Raw per-department numbers for one window; '' is the department-less group."""
    dept = func.coalesce(Member.department, "")
    out: dict[str, _Raw] = {}
    rows = session.execute(
        select(dept, Item.kind, Item.author_id, func.count())
        .join(Member, Member.id == Item.author_id)  # type: ignore[arg-type]
        .where(Item.tenant_id == tenant_id, Item.created_at >= start, Item.created_at < end,
               Item.author_id.is_not(None))  # type: ignore[union-attr]
        .group_by(dept, Item.kind, Item.author_id)
    ).all()
    for d, kind, author_id, n in rows:
        slot = out.setdefault(str(d), _Raw())
        slot.people.add(int(author_id))
        if kind in SUBMISSION_KINDS:
            slot.submissions += int(n)
            slot.submitters.add(int(author_id))
        elif kind == "snippet":
            slot.snippets += int(n)
            slot.savers.add(int(author_id))
    votes = session.execute(
        select(dept, Vote.member_id, func.count())
        .join(Member, Member.id == Vote.member_id)  # type: ignore[arg-type]
        .where(Vote.tenant_id == tenant_id, Vote.created_at >= start, Vote.created_at < end)
        .group_by(dept, Vote.member_id)
    ).all()
    for d, member_id, n in votes:
        slot = out.setdefault(str(d), _Raw())
        slot.people.add(int(member_id))
        slot.votes += int(n)
        slot.voters.add(int(member_id))
    givers = session.execute(
        select(dept, Kudos.giver_id).distinct()
        .join(Member, Member.id == Kudos.giver_id)  # type: ignore[arg-type]
        .where(Kudos.tenant_id == tenant_id, Kudos.created_at >= start, Kudos.created_at < end)
    ).all()
    for d, member_id in givers:
        out.setdefault(str(d), _Raw()).people.add(int(member_id))
    return out


def _cell(raw: _Raw, k: int, hide: bool) -> Cell:
    n = len(raw.people)
    if hide or n < k:
        return Cell(None, None, None, None)
    # 12 votes from 2 voters are 2 people's numbers: shown only when k or more are behind them.
    return Cell(n, *(v if len(who) >= k else None for v, who in
                     ((raw.submissions, raw.submitters), (raw.votes, raw.voters),
                      (raw.snippets, raw.savers))))


def _cells(raw: dict[str, _Raw], k: int) -> tuple[dict[str, Cell], Cell]:
    hidden = suppressed({d: len(r.people) for d, r in raw.items()}, k)
    total = _Raw()
    for r in raw.values():
        total.people |= r.people
        total.submitters |= r.submitters
        total.voters |= r.voters
        total.savers |= r.savers
        total.submissions += r.submissions
        total.votes += r.votes
        total.snippets += r.snippets
    return {d: _cell(r, k, d in hidden) for d, r in raw.items()}, _cell(total, k, False)


def participation(session: Session, tenant: Tenant, now: datetime) -> Participation:
    """This week and last, per department and overall, every cell under k set to None."""
    start = week_start(now, tenant.digest_tz)
    prev = start - timedelta(days=7)
    k = tenant.anonymity_k
    this_cells, this_all = _cells(_counts(session, tenant.id, start, start + timedelta(days=7)), k)
    last_cells, last_all = _cells(_counts(session, tenant.id, prev, start), k)
    empty = Cell(None, None, None, None)
    result = Participation(k=k, this_week=start, overall=(this_all, last_all))
    for d in sorted(set(this_cells) | set(last_cells), key=lambda x: (x == "", x.lower())):
        result.rows[d] = (this_cells.get(d, empty), last_cells.get(d, empty))
    return result


def weekly_contributors(session: Session, tenant: Tenant, now: datetime,
                        weeks: int = 8) -> list[tuple[datetime, int | None]]:
    """Distinct contributors per week, oldest first, for a trend chart; None when under k."""
    start = week_start(now, tenant.digest_tz)
    out: list[tuple[datetime, int | None]] = []
    for back in range(weeks - 1, -1, -1):
        s = start - timedelta(days=7 * back)
        raw = _counts(session, tenant.id, s, s + timedelta(days=7))
        people: set[int] = set()
        for r in raw.values():
            people |= r.people
        out.append((s, len(people) if len(people) >= tenant.anonymity_k else None))
    return out


@dataclass
class DepartmentWeek:
    """One week of the department × week map: the same cells ``/hromada stats`` shows."""

    start: datetime
    departments: dict[str, Cell]
    overall: Cell


def department_weeks(session: Session, tenant: Tenant, now: datetime,
                     weeks: int = 8) -> list[DepartmentWeek]:
    """Participation per department for each of the last ``weeks`` weeks, oldest first.

    Every week goes through the same thresholding as ``/hromada stats`` (``_cells``): a group
    under k, or one that would uncover a hidden group, carries no numbers at all."""
    start = week_start(now, tenant.digest_tz)
    out: list[DepartmentWeek] = []
    for back in range(weeks - 1, -1, -1):
        s = start - timedelta(days=7 * back)
        cells, overall = _cells(_counts(session, tenant.id, s, s + timedelta(days=7)),
                                tenant.anonymity_k)
        out.append(DepartmentWeek(s, cells, overall))
    return out


def _show(ctx: Ctx, value: int | None) -> str:
    return str(value) if value is not None else f"<{ctx.tenant.anonymity_k}"


def cell_text(ctx: Ctx, now: Cell, last: Cell) -> Rich:
    if now.contributors is None and last.contributors is None:
        return Rich((ctx._(NOT_ENOUGH_PEOPLE),))
    parts = [
        ctx.t(N_("{metric} {now} (last week {last})"), metric=ctx._(m),
              now=_show(ctx, now.get(m)), last=_show(ctx, last.get(m))).plain()
        for m in METRICS
    ]
    return Rich((" · ".join(parts),))


NOT_ENOUGH_PEOPLE = N_("not enough people yet")


@REGISTRY.command("hromada stats",
                  help=N_("Participation by department, this week against last; small groups "
                          "hidden."))
def stats(ctx: Ctx) -> Reply:
    data = participation(ctx.session, ctx.tenant, ctx.now)
    lines = []
    for dept, (now, last) in data.rows.items():
        name = Rich((UserText(dept),)) if dept else Rich((ctx._(NO_DEPARTMENT),))
        lines.append(Line(text=name + Rich((": ",)) + cell_text(ctx, now, last)))
    assert data.overall is not None
    overall = cell_text(ctx, *data.overall)
    return Reply(
        text=ctx.t(N_("Participation, week of {date}. Overall: {overall}"),
                   date=data.this_week.strftime("%Y-%m-%d"), overall=overall),
        lines=lines,
        footer=ctx.t(N_("Groups and numbers under {k} are hidden (<{k})."),
                     k=data.k).plain(),
    )
