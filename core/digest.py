"""The weekly digest: one platform-neutral reply that pulls every part of Hromada together.

Sections, in this order, each left out when empty: top ideas of the week by net votes; the
week's new ideas nobody has voted on yet (so somebody sees them and votes); status changes;
new and escalated risks by likelihood × impact; new knowledge; open leadership questions by
votes; pulse results that passed the threshold; kudos by value; participation.
Every number comes from an SQL aggregate; no section loads every row of a table. A weekly build
runs one statement, built once per dialect: a UNION ALL of every section (the week's vote
aggregate for the top ideas, the stale snippets, participation's stored weeks and its last week
included), after the tenant's row. Weeks not stored yet are counted by another statement, and
the top ideas look at every item of the week by another only when the week's best items are
mostly not live ideas.

Participation counts contributors: members who submitted an item or gave kudos (anonymous
submissions count for nobody). Voters are not counted: another pass over a week of votes
would double the digest's cost. Counts of weeks that are over are kept, so the 8-week trend
is counted once, not every week.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlmodel import Session

from core import freshness, images, pulses, schedule
from core.commands import REGISTRY
from core.context import Ctx
from core.errors import InvalidInput
from core.i18n import N_, gettext_for
from core.refs import format_ref
from core.registry import P, Param
from core.replies import Field, Reply, Visibility
from core.schedule import Period
from core.stats import NO_DEPARTMENT, suppressed
from core.text import Rich, UserText, fmt, join
from storage import digests
from storage.culture import Kudos, PulseAnswer
from storage.digests import ParticipationWeek
from storage.models import Item, Member, StatusChange, Tenant, Vote

TOP = 5
FETCH_FACTOR = 10  # the week's best items read before ideas are picked from them
# The columns a digest shows: rows, not ORM objects, since these queries run every week.
ITEM_COLS = (Item.id, Item.kind, Item.number, Item.title, Item.status, Item.likelihood,
             Item.impact, Item.body)
KINDS = ("idea", "risk", "snippet", "question", "pulse")  # naming them lets the index serve
LIST = 8
TREND_WEEKS = 8
CLOSED_AFTER = timedelta(minutes=15)  # a week this long over takes no more late writes
IDEA_GONE = ("merged", "withdrawn")
RISK_CLOSED = ("closed",)
QUESTION_CLOSED = ("answered", "withdrawn", "merged", "closed")
_RATING = re.compile(r"^\s*(\?|\d)×(\?|\d)\s*→\s*(\d)×(\d)\s*$")

NEEDS_A_LOOK = N_("Needs a look")  # stale knowledge snippets (core.freshness)
SECTION_TITLES = (
    N_("Top ideas of the week"),
    N_("New ideas waiting for your vote"),
    N_("Status changes"),
    N_("New and escalated risks"),
    N_("New knowledge"),
    N_("Open questions for leadership"),
    N_("Pulse results"),
    N_("Kudos by value"),
    N_("Participation"),
)


@dataclass
class _Words:
    """The tenant's language, for a digest built without a member asking (the scheduler)."""

    tr: NullTranslations

    def _(self, msgid: str) -> str:
        return self.tr.gettext(msgid)

    def t(self, msgid: str, **values: object) -> Rich:
        return fmt(self._(msgid), **values)


def _lines(rows: list[Rich]) -> Rich:
    return join([Rich(("• ",)) + r for r in rows], "\n")


def _more(w: _Words, shown: int, total: int) -> list[Rich]:
    return [w.t(N_("…and {n} more"), n=total - shown)] if total > shown else []


# -- sections --------------------------------------------------------------------------


# Every statement below is built once (per dialect where it differs) with bound parameters and
# run on the session's connection from table columns, not ORM entities: rebuilding a dozen
# selects and their subqueries every week cost more than the SQL of all sections but one.
_ITEM, _SC = Item.__table__, StatusChange.__table__  # type: ignore[attr-defined]
_PA, _MEMBER = PulseAnswer.__table__, Member.__table__  # type: ignore[attr-defined]
_I, _V, _S = _ITEM.c, Vote.__table__.c, _SC.c  # type: ignore[attr-defined]
_P, _K, _M = _PA.c, Kudos.__table__.c, _MEMBER.c  # type: ignore[attr-defined]
_COLS = tuple(getattr(_I, c.key) for c in ITEM_COLS)
_TID, _START, _END = bindparam("tid"), bindparam("start"), bindparam("end")


def _consts(values: tuple[str, ...]) -> list[Any]:
    """Fixed values written into the SQL: an IN list of bound values is re-rendered each run."""
    return [literal_column("'" + v.replace("'", "''") + "'") for v in values]


def _const(value: str) -> Any:
    """One fixed value written into the SQL: PostgreSQL's cached (generic) plan of a prepared
    statement then knows it, as it knows the IN lists above, instead of guessing."""
    return _consts((value,))[0]


def _rows(session: Session, stmt: Any, tenant_id: str, period: Period | None = None,
          **extra: Any) -> list[Any]:
    params: dict[str, Any] = {"tid": tenant_id, **extra}
    if period is not None:
        params.update(start=period.start, end=period.end)
    return list(session.connection().execute(stmt, params).all())


def top_ideas(session: Session, tenant_id: str, period: Period, limit: int = TOP, *,
              first: list[tuple[Any, int, int]] | None = None) -> list[tuple[Any, int, int]]:
    """Ideas by net votes cast in the window: (idea, net, votes), best first, net above 0.

    Reads the window's votes through ix_vote_tenant_created only. On SQLite ``+item_id`` keeps
    the planner off the UNIQUE(item_id, member_id) index, which would walk every vote. The
    aggregate keeps the week's best few items (votes also land on risks, questions and ideas
    since merged); only when too few of those are live ideas is every item looked at.
    ``first``: that first read, when it came with the digest's other sections.
    """
    if first is None:
        first = _scored(_top(session, tenant_id, period, limit, limit * FETCH_FACTOR))
    if len(first) < limit:
        first = _scored(_top(session, tenant_id, period, limit, None))
    return [found for found in first if found[1] > 0]


def _scored(rows: list[Any]) -> list[tuple[Any, int, int]]:
    return [(row, int(row.net), int(row.n)) for row in rows]


def _top(session: Session, tenant_id: str, period: Period, limit: int,
         fetch: int | None) -> list[Any]:
    """One statement: the window's aggregate (its best ``fetch`` items), then live ideas."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    return _rows(session, _top_stmt(sqlite, limit, fetch), tenant_id, period)


@cache
def _top_stmt(sqlite: bool, limit: int, fetch: int | None) -> Select[Any]:
    group_key = literal_column("+vote.item_id") if sqlite else _V.item_id
    net, n = func.sum(_V.value), func.count()
    week = (
        select(_V.item_id.label("item_id"), net.label("net"), n.label("n"))
        .where(_V.tenant_id == _TID, _V.created_at >= _START, _V.created_at < _END)
        .group_by(group_key)
    )
    if fetch is not None:  # ties go to the older item, in here and below alike
        week = week.order_by(net.desc(), n.desc(), _V.item_id).limit(fetch)
    sub = week.subquery("week_votes")
    return (
        select(*_COLS, sub.c.net, sub.c.n)
        .join(sub, sub.c.item_id == _I.id)
        .where(_I.tenant_id == _TID, _I.kind == _const("idea"),
               _I.status.not_in(_consts(IDEA_GONE)))
        .order_by(sub.c.net.desc(), sub.c.n.desc(), _I.id)
        .limit(limit)
    )


def _rating(text: str) -> tuple[int, int] | None:
    """The score before and after in a rating note "a×b → c×d" ("?" before counts as 0)."""
    m = _RATING.match(text)
    if not m:
        return None
    a, b, c, d = (0 if g == "?" else int(g) for g in m.groups())
    return a * b, c * d


def _score(row: Any) -> int:
    return int(row.likelihood or 0) * int(row.impact or 0)


def _risk_list(new: list[Any], rated: list[Any], *, note: str) -> list[tuple[Any, str, int]]:
    """(risk row, "new" or the earlier rating, score), most serious first.

    ``new``: the window's new risks; ``rated``: the window's re-ratings, oldest first, each
    with its rating note in the column named ``note``.
    """
    out: dict[int, tuple[Any, str, int]] = {row.id: (row, "new", _score(row)) for row in new}
    first_before: dict[int, tuple[Any, str, int]] = {}
    for row in rated:
        text = getattr(row, note)
        scores = _rating(text)
        if scores is not None and row.id not in first_before:
            first_before[row.id] = (row, text.split("→")[0].strip(), scores[0])
    for item_id, (row, before, score_before) in first_before.items():
        if item_id not in out and _score(row) > score_before:
            out[item_id] = (row, before, _score(row))
    return sorted(out.values(), key=lambda r: (-r[2], r[0].number))


# The open questions with their net votes, summed through the vote table's item index: one join
# and GROUP BY rather than a correlated subquery per question (the same sums, one aggregate).
_QUESTIONS = (
    select(*_COLS, func.coalesce(func.sum(_V.value), 0).label("n1"))
    .select_from(_ITEM).outerjoin(Vote.__table__, _V.item_id == _I.id)
    .where(_I.tenant_id == _TID, _I.kind == _const("question"), _I.answer.is_(None),
           _I.status.not_in(_consts(QUESTION_CLOSED)))
    .group_by(*_COLS)
    .subquery("questions")
)
# Pulses closed in the window: only a closed pulse's results are shown (they can no longer
# change, so no later view differs from this one by a single answer).
_CLOSED_IN_WINDOW = select(_S.item_id).where(
    _S.tenant_id == _TID, _S.new_status == _const(pulses.CLOSED), _S.created_at >= _START,
    _S.created_at < _END)
_PULSE_FOUND = (
    (_I.tenant_id == _TID) & (_I.kind == _const("pulse")) & (_I.status == _const(pulses.CLOSED))
    & _I.id.in_(_CLOSED_IN_WINDOW))
# Their answers of all time per value, in one GROUP BY (departments are not in the digest). The
# answers are those of items closed in the window; the join below keeps the pulses among them
# (one semi-join fewer to plan every week).
_PULSE_COUNTS = (
    select(_P.item_id, _P.value, func.count().label("votes"))
    .where(_P.tenant_id == _TID, _P.item_id.in_(_CLOSED_IN_WINDOW))
    .group_by(_P.item_id, _P.value)
    .subquery("answers")
)


def _pulse_results(tenant: Tenant,
                   rows: list[tuple[Any, int | None, int | None]]
                   ) -> list[tuple[Any, pulses.PulseResult]]:
    """(pulse row, answer value or None, answers) rows → the results that passed k, by number."""
    found: dict[int, Any] = {}
    counts: dict[int, dict[int, int]] = {}
    for row, value, n in rows:
        found.setdefault(row.id, row)
        if value is not None:
            counts.setdefault(row.id, {})[int(value)] = int(n or 0)
    out = []
    k = tenant.anonymity_k
    for item in sorted(found.values(), key=lambda r: r.number):
        by_value = counts.get(item.id or 0, {})
        n = sum(by_value.values())
        if n < k:
            continue
        full = {s: by_value.get(s, 0) for s in pulses.SCALE}
        average = round(sum(s * c for s, c in full.items()) / n, 1)
        enps = None
        if item.body == "enps":
            enps = round(100 * (full[5] - sum(full[s] for s in (1, 2, 3))) / n)
        overall = pulses.Group("", n, True, average, full)
        out.append((item, pulses.PulseResult(k=k, overall=overall, departments=[], enps=enps)))
    return out


def participation(session: Session, tenant_id: str, bounds: list[datetime], *,
                  now: datetime | None = None,
                  read: tuple[list[dict[str, int] | None], dict[str, int]] | None = None
                  ) -> list[dict[str, int]]:
    """Distinct contributors per week and department, one dict per week, oldest first.

    ``bounds`` are the n + 1 week boundaries. Weeks over for a while (``now`` − CLOSED_AFTER)
    are stored once counted, so each digest counts only the weeks it has not seen. ``read``:
    the stored weeks (None where not stored) and the last week's counts, already read.
    """
    now = now or datetime.now(UTC)
    weeks = list(zip(bounds[:-1], bounds[1:], strict=True))
    if read is None:
        known = digests.weeks_known(session, tenant_id, weeks)
        out = [known.get((_naive(s), _naive(e))) for s, e in weeks]
    else:
        out = list(read[0])
    missing = [i for i, counts in enumerate(out) if counts is None]
    if missing:
        first = missing[0]
        if read is not None and first == len(weeks) - 1:
            counted = [read[1]]  # only the last week is new: its counts came with the rest
        else:
            counted = _count_weeks(session, tenant_id, bounds[first:])
        closed = []
        for j, counts in enumerate(counted):
            i = first + j
            if out[i] is None:
                out[i] = counts
                if weeks[i][1] <= now - CLOSED_AFTER:
                    closed.append((weeks[i][0], weeks[i][1], counts))
        if closed:
            digests.remember_weeks(session, tenant_id, closed, now)
    return [counts or {} for counts in out]


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def _count_weeks(session: Session, tenant_id: str,
                 bounds: list[datetime]) -> list[dict[str, int]]:
    """One query over items and kudos of the weeks between ``bounds``."""
    params = {f"b{i}": b for i, b in enumerate(bounds)}
    weeks: list[dict[str, int]] = [{} for _ in bounds[:-1]]
    for week, department, n in _rows(session, _count_stmt(len(bounds) - 1), tenant_id,
                                     **params):
        weeks[int(week)][str(department)] = int(n)
    return weeks


@cache
def _count_stmt(n_weeks: int) -> Select[Any]:
    """Contributors per week bucket and department, for ``n_weeks`` weeks (bounds b0…bn)."""
    acts = _acts(n_weeks, 0).subquery("acts")
    dept = func.coalesce(_M.department, "")
    return (
        select(acts.c.week, dept, func.count(func.distinct(acts.c.member_id)))
        .join(_MEMBER, _M.id == acts.c.member_id)
        .where(_M.former.is_(False))
        .group_by(acts.c.week, dept)
    )


def _acts(n_weeks: int, first: int) -> Any:
    """Who submitted an item or gave kudos, and in which week, between b{first} and
    b{first + n_weeks} (anonymous submissions count for nobody)."""
    start, end = bindparam(f"b{first}"), bindparam(f"b{first + n_weeks}")

    def bucket(col: Any) -> Any:
        return case(*[(col >= bindparam(f"b{first + i}"), i)
                      for i in reversed(range(n_weeks))], else_=0)

    authors = select(_I.author_id.label("member_id"), bucket(_I.created_at).label("week")).where(
        _I.tenant_id == _TID, _I.kind.in_(_consts(KINDS)), _I.created_at >= start,
        _I.created_at < end, _I.author_id.is_not(None))
    givers = select(_K.giver_id.label("member_id"), bucket(_K.created_at).label("week")).where(
        _K.tenant_id == _TID, _K.created_at >= start, _K.created_at < end)
    return union_all(authors, givers)


def heatmap_file(grid: list[list[int]], w: _Words | Ctx,
                 directory: Path | None = None) -> Path:
    img = images.heatmap(grid, title=w._("Open risks: likelihood × impact"),
                         likelihood=w._("likelihood"), impact=w._("impact"))
    return images.save(img, "risks", directory)


# -- every section in one statement ---------------------------------------------------
#
# Each section is one branch of a UNION ALL, tagged, with the same columns: the item's, two
# texts (a, b) and two numbers (n1, n2). One statement instead of ten: on PostgreSQL each
# statement is a round trip and a plan, and these small ones cost more in that than in work.

_NULLS = {"a": String(), "b": String(), "n1": Integer(), "n2": Integer()}
_W = ParticipationWeek.__table__.c  # type: ignore[attr-defined]
_LAST_ACTS = _acts(1, TREND_WEEKS - 1).subquery("last_acts")
_LAST_DEPT = func.coalesce(_M.department, "")


def _branch(tag: str, stmt: Select[Any]) -> Select[Any]:
    """``stmt``'s rows in the common shape, tagged: the columns it lacks are typed NULLs."""
    sub = stmt.subquery(f"s_{tag}")
    parts = [literal(tag, String()).label("tag")]
    for col in _COLS:
        parts.append(sub.c[col.key] if col.key in sub.c else cast(null(), col.type).label(col.key))
    for name, kind in _NULLS.items():
        parts.append(sub.c[name] if name in sub.c else cast(null(), kind).label(name))
    return select(*parts)


def _in_order(*keys: Any) -> Any:
    """The row's place in the section's SQL order: ties and collation stay the database's."""
    return func.row_number().over(order_by=keys)


_OTHERS = (
    # The week's new ideas nobody has voted on yet, so that someone sees them and votes.
    _branch("unvoted", select(*_COLS, func.count().over().label("n1"))
        .where(_I.tenant_id == _TID, _I.kind == _const("idea"), _I.created_at >= _START,
               _I.created_at < _END, _I.status.not_in(_consts(IDEA_GONE)),
               ~select(_V.id).where(_V.item_id == _I.id).exists())
        .order_by(_I.number).limit(LIST)),
    _branch("changes", select(
        *_COLS, _S.old_status.label("a"), _S.new_status.label("b"),
        func.count().over().label("n1"), _in_order(_S.created_at, _S.id).label("n2"))
        .join(_SC, _S.item_id == _I.id)
        .where(_S.tenant_id == _TID, _S.created_at >= _START, _S.created_at < _END,
               _S.old_status != _S.new_status, _I.tenant_id == _TID)
        .order_by(_S.created_at, _S.id).limit(LIST)),
    _branch("risk", select(*_COLS).where(
        _I.tenant_id == _TID, _I.kind == _const("risk"), _I.created_at >= _START,
        _I.created_at < _END, _I.status.not_in(_consts(RISK_CLOSED)))),
    _branch("rated", select(*_COLS, _S.note.label("a"),
                            _in_order(_S.created_at, _S.id).label("n2"))
        .join(_SC, _S.item_id == _I.id)
        .where(_S.tenant_id == _TID, _S.created_at >= _START, _S.created_at < _END,
               _S.old_status == _S.new_status, _I.kind == _const("risk"),
               _I.status.not_in(_consts(RISK_CLOSED)))),
    _branch("snippet", select(*_COLS, func.count().over().label("n1"))
        .where(_I.tenant_id == _TID, _I.kind == _const("snippet"), _I.created_at >= _START,
               _I.created_at < _END, _I.status != _const("archived"))
        .order_by(_I.number).limit(LIST)),
    # Snippets past their verify-by date when the period ended (core.freshness), and how many.
    _branch("stale", select(*_COLS, func.count().over().label("n1"),
                            _in_order(*freshness.STALE_ORDER).label("n2"))
        .where(*freshness.stale_where(_TID, bindparam("cutoff")))
        .order_by(*freshness.STALE_ORDER).limit(LIST)),
    _branch("question", select(_QUESTIONS, _in_order(_QUESTIONS.c.n1.desc(),
                                                     _QUESTIONS.c.id).label("n2"))
        .order_by(_QUESTIONS.c.n1.desc(), _QUESTIONS.c.id).limit(TOP)),
    _branch("pulse", select(*_COLS, _PULSE_COUNTS.c.votes.label("n1"),
                            _PULSE_COUNTS.c.value.label("n2"))
        .outerjoin(_PULSE_COUNTS, _PULSE_COUNTS.c.item_id == _I.id)
        .where(_PULSE_FOUND)),
    _branch("kudos", select(_K.value.label("a"), func.count().label("n1"),
                            _in_order(func.count().desc(), _K.value).label("n2"))
        .where(_K.tenant_id == _TID, _K.created_at >= _START, _K.created_at < _END)
        .group_by(_K.value)),
    _branch("grid", select(_I.likelihood, _I.impact, func.count().label("n1"))
        .where(_I.tenant_id == _TID, _I.kind == _const("risk"),
               _I.status.not_in(_consts(RISK_CLOSED)), _I.likelihood.is_not(None),
               _I.impact.is_not(None))
        .group_by(_I.likelihood, _I.impact)),
    # Participation: the trend's stored weeks (n2: the week whose start matches, n1: the week
    # whose end matches) and the contributors of the last week, b7…b8, never stored yet.
    _branch("known", select(
        _W.counts.label("a"),
        case(*[(_W.week_start == bindparam(f"b{i}"), i) for i in range(TREND_WEEKS)],
             else_=-1).label("n2"),
        case(*[(_W.week_end == bindparam(f"b{i + 1}"), i) for i in range(TREND_WEEKS)],
             else_=-2).label("n1"))
        .where(_W.tenant_id == _TID, _W.week_start >= bindparam("b0"),
               _W.week_start <= bindparam(f"b{TREND_WEEKS - 1}"))),
    _branch("last", select(_LAST_DEPT.label("a"),
                           func.count(func.distinct(_LAST_ACTS.c.member_id)).label("n1"))
        .join(_MEMBER, _M.id == _LAST_ACTS.c.member_id)
        .where(_M.former.is_(False))
        .group_by(_LAST_DEPT)),
)


@cache
def _week_stmt(sqlite: bool) -> Any:
    """The top ideas' first read (its SQL differs by dialect) and every other section."""
    top = _top_stmt(sqlite, TOP, TOP * FETCH_FACTOR).subquery("top")
    first = select(*(top.c[c.key] for c in _COLS), top.c.net.label("n1"), top.c.n.label("n2"))
    return union_all(_branch("top", first), *_OTHERS)


@dataclass
class _Week:
    """The rows of every merged section, as the per-section functions would return them."""

    top: list[tuple[Any, int, int]]
    unvoted: tuple[list[Any], int]
    changes: tuple[list[Any], int]
    risks: list[tuple[Any, str, int]]
    snippets: tuple[list[Any], int]
    stale: tuple[list[Any], int]
    questions: list[tuple[Any, int]]
    pulses: list[tuple[Any, pulses.PulseResult]]
    kudos: list[tuple[str, int]]
    grid: list[list[int]]
    participation: tuple[list[dict[str, int] | None], dict[str, int]]


def _week(session: Session, tenant: Tenant, period: Period, bounds: list[datetime]) -> _Week:
    """Every section from one statement (``bounds``: the trend's weeks); the top ideas as
    their first read (``top_ideas`` may look further)."""
    by: dict[str, list[Any]] = {}
    params = {f"b{i}": b for i, b in enumerate(bounds)}
    stmt = _week_stmt(session.get_bind().dialect.name == "sqlite")
    cutoff = freshness.stale_cutoff(tenant, period.end)
    for row in _rows(session, stmt, tenant.id, period, cutoff=cutoff, **params):
        by.setdefault(row.tag, []).append(row)
    known: list[dict[str, int] | None] = [None] * (len(bounds) - 1)
    for row in by.get("known", []):
        if row.n2 == row.n1:
            known[row.n2] = {str(k): int(v) for k, v in json.loads(row.a).items()}
    changes = sorted(by.get("changes", []), key=lambda r: r.n2)
    snippets = sorted(by.get("snippet", []), key=lambda r: r.number)
    stale = sorted(by.get("stale", []), key=lambda r: r.n2)
    top = sorted(by.get("top", []), key=lambda r: (-r.n1, -r.n2, r.id))
    unvoted = sorted(by.get("unvoted", []), key=lambda r: r.number)
    grid = [[0] * 5 for _ in range(5)]
    for row in by.get("grid", []):
        grid[int(row.likelihood) - 1][int(row.impact) - 1] = int(row.n1)
    return _Week(
        top=[(row, int(row.n1), int(row.n2)) for row in top],
        unvoted=(unvoted, int(unvoted[0].n1) if unvoted else 0),
        changes=(changes, int(changes[0].n1) if changes else 0),
        risks=_risk_list(by.get("risk", []),
                         sorted(by.get("rated", []), key=lambda r: r.n2), note="a"),
        snippets=(snippets, int(snippets[0].n1) if snippets else 0),
        stale=(stale, int(stale[0].n1) if stale else 0),
        questions=[(r, int(r.n1)) for r in sorted(by.get("question", []),
                                                   key=lambda r: r.n2)],
        pulses=_pulse_results(tenant, [(r, r.n2, r.n1) for r in by.get("pulse", [])]),
        kudos=[(str(r.a), int(r.n1)) for r in sorted(by.get("kudos", []), key=lambda r: r.n2)],
        grid=grid,
        participation=(known, {str(r.a): int(r.n1) for r in by.get("last", [])}),
    )


# -- the digest ------------------------------------------------------------------------


def _title(row: Any) -> Rich:
    """An item's ref and title from its row (an ``Item`` or the lighter ``ITEM_COLS`` row)."""
    return Rich((f"{format_ref(row.kind, row.number)} “", UserText(row.title), "”"))


def scheduled_digest(session: Session, tenant_id: str, period: Period, *,
                     image_dir: Path | None = None,
                     now: datetime | None = None) -> tuple[str | None, Reply | None]:
    """The channel and digest a scheduled run posts; (None, None) when the tenant is gone,
    switched off, or has no digest channel."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not tenant.digest_enabled or not tenant.digest_channel:
        return None, None
    return tenant.digest_channel, build_digest(session, tenant, period, image_dir=image_dir,
                                               now=now)


def scheduled_picture(session: Session, tenant_id: str, key: str, *,
                      image_dir: Path | None = None,
                      now: datetime | None = None) -> Reply | None:
    """The digest of a period already posted, drawn again for its picture (a follow-up that
    failed before); None when the tenant or the period is gone or there is no picture."""
    tenant = session.get(Tenant, tenant_id)
    period = schedule.period_of_key(tenant, key) if tenant is not None else None
    if tenant is None or period is None:
        return None
    reply = build_digest(session, tenant, period, image_dir=image_dir, now=now)
    return reply if reply.image is not None else None


def build_digest(session: Session, tenant: Tenant | str, period: Period, *,
                 image_dir: Path | None = None, now: datetime | None = None) -> Reply:
    """The digest of one tenant for one period, in the tenant's language.

    ``now`` (default: the system clock) tells which weeks are over, so their counts are kept.
    """
    if isinstance(tenant, str):
        found = session.get(Tenant, tenant)
        if found is None:
            raise InvalidInput(N_("That workspace is not known."))
        tenant = found
    w = _Words(gettext_for(tenant.language))
    tid = tenant.id
    sections: list[tuple[str, list[Rich]]] = []

    def add(title: str, rows: list[Rich]) -> None:
        if rows:
            sections.append((w._(title), rows))

    bounds = schedule.weeks_before(period, TREND_WEEKS)
    week = _week(session, tenant, period, bounds)

    add(SECTION_TITLES[0], [
        _title(item) + w.t(N_(" · {net:+d} (votes: {n})"), net=net, n=n)
        for item, net, n in top_ideas(session, tid, period, first=week.top)])

    unvoted, total = week.unvoted
    add(SECTION_TITLES[1], [_title(row) for row in unvoted] + _more(w, len(unvoted), total))

    changes, total = week.changes
    add(SECTION_TITLES[2], [
        _title(row) + w.t(N_(": {old} → {new}"), old=w._(row.a), new=w._(row.b))
        for row in changes] + _more(w, len(changes), total))

    risk_rows = []
    for item, how, score in week.risks[:LIST]:
        rating = (f"{item.likelihood}×{item.impact} = {score}" if item.likelihood
                  else w._("not rated"))
        tail = w._("new this week") if how == "new" else w.t(N_("escalated from {before}"),
                                                   before=how).plain()
        risk_rows.append(_title(item) + Rich((f" · {rating} · {tail}",)))
    add(SECTION_TITLES[3], risk_rows)

    snippets, total = week.snippets
    add(SECTION_TITLES[4], [_title(s) for s in snippets] + _more(w, len(snippets), total))

    # Snippets past their verify-by date when the period ended: their owners were reminded.
    stale, total = week.stale
    add(NEEDS_A_LOOK, [_title(s) for s in stale] + _more(w, len(stale), total))

    add(SECTION_TITLES[5], [_title(q) + Rich((f" · {score:+d}",))
                            for q, score in week.questions])

    pulse_rows = []
    for item, result in week.pulses:
        overall, _depts = pulses.describe(w.tr, result)
        pulse_rows.append(_title(item) + Rich((": ",)) + overall)
    add(SECTION_TITLES[6], pulse_rows)

    add(SECTION_TITLES[7], [Rich((f"#{value}: {n}",))
                            for value, n in week.kudos])

    weeks = participation(session, tid, bounds, now=now, read=week.participation)
    add(SECTION_TITLES[8], _participation_rows(w, weeks[-1], weeks[-2], tenant.anonymity_k))

    reply = Reply(
        title=w.t(N_("Weekly digest: {start} – {end}"),
                  start=period.local_start().strftime("%Y-%m-%d"),
                  end=period.local_end().strftime("%Y-%m-%d")),
        text=w.t(N_("What happened in Hromada this week.")) if sections else w.t(
            N_("A quiet week: nothing new to report.")),
        fields=[Field(title, _lines(rows), inline=False) for title, rows in sections],
        visibility=Visibility.PUBLIC,
    )
    reply.image = _picture(week.grid, w, bounds, weeks, tenant.anonymity_k, image_dir)
    return reply


def _participation_rows(w: _Words, now: dict[str, int], last: dict[str, int],
                        k: int) -> list[Rich]:
    """Totals and departments, every group under k (or that would uncover one) shown as <k."""
    total_now, total_last = sum(now.values()), sum(last.values())
    if total_now < k and total_last < k:
        return []  # nothing here passes the anonymity threshold

    def shown(n: int, hide: bool) -> str:
        return str(n) if n >= k and not hide else f"<{k}"

    rows = [w.t(N_("Contributors this week: {now} (last week: {last})"),
                now=shown(total_now, False), last=shown(total_last, False))]
    hidden_now, hidden_last = suppressed(now, k), suppressed(last, k)
    any_hidden = False
    for dept in sorted(set(now) | set(last), key=lambda d: (d == "", d.lower())):
        n, p = now.get(dept, 0), last.get(dept, 0)
        show_now = n >= k and dept not in hidden_now
        show_last = p >= k and dept not in hidden_last
        if not show_now and not show_last:
            any_hidden = True
            continue
        name = Rich((UserText(dept),)) if dept else Rich((w._(NO_DEPARTMENT),))
        rows.append(name + w.t(N_(": {now} (last week: {last})"),
                               now=shown(n, not show_now), last=shown(p, not show_last)))
    if any_hidden:
        rows.append(w.t(N_("Departments with fewer than {k} contributors are not shown."), k=k))
    return rows


def _picture(grid: list[list[int]], w: _Words, bounds: list[datetime],
             weeks: list[dict[str, int]], k: int, directory: Path | None) -> Path | None:
    """The heat map and the 8-week trend side by side; None when both would be empty.

    Drawing is deterministic, so a picture drawn from the same inputs is reused from disk.
    """
    has_grid = any(n for row in grid for n in row)
    bars = [n if n >= k else None for n in (sum(week.values()) for week in weeks)]
    has_bars = any(b is not None for b in bars)
    if not has_grid and not has_bars:
        return None
    labels = [b.strftime("%d.%m") for b in bounds[:-1]]
    words = (w._("Open risks: likelihood × impact"), w._("likelihood"), w._("impact"),
             w._("Contributors per week"))
    key = images.key_of(grid if has_grid else None, bars if has_bars else None, labels, words)
    found = images.existing("digest", key, directory)
    if found is not None:
        return found
    parts = []
    if has_grid:
        parts.append(images.heatmap(grid, title=words[0], likelihood=words[1], impact=words[2]))
    if has_bars:
        parts.append(images.trend(bars, labels, title=words[3]))
    return images.save(images.side_by_side(*parts), "digest", directory, key=key)


# -- commands --------------------------------------------------------------------------


@REGISTRY.command("digest preview", help=N_("The digest of the last seven days, only for you."))
def preview(ctx: Ctx) -> Reply:
    period = schedule.preview_period(ctx.tenant, ctx.now)
    reply = build_digest(ctx.session, ctx.tenant, period, now=ctx.now)
    reply.visibility = Visibility.PRIVATE
    reply.fields += _moderator_sections(ctx, period)
    reply.footer = _where_when(ctx)
    return reply


def _moderator_sections(ctx: Ctx, period: Period) -> list[Field]:
    """What only a moderator's own preview shows: the week's knowledge gaps (``core.gaps``);
    the digest posted in the channel never carries them."""
    from core import gaps  # its command is listed with the knowledge commands

    return gaps.digest_fields(ctx, period)


@REGISTRY.command("digest here", help=N_("Post the weekly digest in this channel."),
                  moderator=True)
def here(ctx: Ctx) -> Reply:
    channel = ctx.actor.channel_id
    if not channel:
        raise InvalidInput(N_("I cannot tell which channel this is; run it in a channel."))
    ctx.tenant.digest_channel = channel
    ctx.tenant.digest_enabled = True
    ctx.session.add(ctx.tenant)
    schedule.settle_current(ctx.session, ctx.tenant, ctx.now)
    return Reply(text=ctx.t(N_("The weekly digest will be posted in this channel.")),
                 footer=_where_when(ctx))


@REGISTRY.command("digest schedule",
                  Param("weekday", P.WORD, N_("the weekday, like monday")),
                  Param("time", P.WORD, N_("the time, HH:MM")),
                  Param("zone", P.WORD, N_("the time zone, Area/City")),
                  help=N_("Choose the weekday, time and time zone of the digest."),
                  moderator=True)
def set_schedule(ctx: Ctx, weekday: str, time: str, zone: str) -> Reply:
    day, hhmm, tz = schedule.parse_weekday(weekday), schedule.parse_time(time), \
        schedule.parse_zone(zone)
    ctx.tenant.digest_weekday, ctx.tenant.digest_time, ctx.tenant.digest_tz = day, hhmm, tz
    ctx.tenant.digest_enabled = True
    ctx.session.add(ctx.tenant)
    schedule.settle_current(ctx.session, ctx.tenant, ctx.now)
    return Reply(text=ctx.t(N_("The digest goes out every {weekday} at {time} ({zone})."),
                            weekday=ctx._(schedule.SHOWN_WEEKDAYS[day]), time=hhmm, zone=tz),
                 footer=_where_when(ctx))


@REGISTRY.command("digest off", help=N_("Stop the weekly digest."), moderator=True)
def off(ctx: Ctx) -> Reply:
    ctx.tenant.digest_enabled = False
    ctx.session.add(ctx.tenant)
    return Reply(text=ctx.t(N_("The weekly digest is off. Turn it on again with /digest "
                               "schedule or /digest here.")))


def _where_when(ctx: Ctx) -> str:
    t = ctx.tenant
    if not t.digest_enabled:
        return ctx._("The weekly digest is off.")
    if not t.digest_channel:
        return ctx._("No channel yet: a moderator runs /digest here in the channel for it.")
    when = schedule.next_run(t, ctx.now).astimezone(schedule.zone_of(t.digest_tz))
    return ctx.t(N_("Next digest: {when} ({zone}) in {channel}."),
                 when=when.strftime("%Y-%m-%d %H:%M"), zone=t.digest_tz,
                 channel=UserText(t.digest_channel)).plain()

