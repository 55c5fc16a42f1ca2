"""What the web's idea pages show, as plain values: the board and one idea's page.

The same store, the same search and the same votes as chat: ``board`` searches with
``core.search.ranked`` (what ``/idea search`` uses), ``vote`` goes through ``core.votes`` (what
a 👍/👎 button does: one vote per member, the latest wins), and status changes and merges go
through the registered ``/idea status`` and ``/idea merge`` commands (``Hromada.invoke``).

Nothing here names an anonymous author: ``IdeaPage.author`` is None for them, and no value
carries a member id, a hash or a sealed reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from core import items, votes
from core.context import Ctx
from core.errors import InvalidInput
from core.i18n import N_
from core.ideas import SETTABLE, STATUSES
from core.search import ranked
from core.text import Rich
from storage import idea_board, repos

SORTS = ("top", "new", "trending")
# "Trending": net votes cast (or changed) in the last TRENDING_DAYS days, then all-time score.
TRENDING_DAYS = 7
PAGE_SIZE = 20
SEARCH_LIMIT = 100
FILTERS = (*STATUSES, "withdrawn")
HIDDEN = ("merged", "withdrawn")  # left off the board unless asked for by status
CLOSED = ("merged", "withdrawn")  # no votes, no status changes


@dataclass(frozen=True)
class IdeaRow:
    ref: str
    number: int
    title: str
    status: str
    up: int
    down: int
    recent: int
    mine: int

    @property
    def score(self) -> int:
        return self.up - self.down


@dataclass(frozen=True)
class Board:
    rows: list[IdeaRow]
    sort: str
    status: str | None
    query: str
    page: int
    more: bool


@dataclass(frozen=True)
class HistoryEntry:
    date: str
    text: str


@dataclass
class IdeaPage:
    ref: str
    number: int
    title: str
    body: str
    status: str
    author: str | None  # None: anonymous (or no longer known); never who wrote it
    up: int
    down: int
    mine: int
    created: str
    history: list[HistoryEntry] = field(default_factory=list)
    merged_into: IdeaRow | None = None
    merged_from: list[IdeaRow] = field(default_factory=list)
    votable: bool = True
    moderator: bool = False
    next_statuses: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return self.up - self.down


def board(ctx: Ctx, *, sort: str = "top", status: str | None = None, query: str = "",
          page: int = 1) -> Board:
    """One page of the board. ``query``: fuzzy search as in chat, best match first unless a
    sort is asked for; ``status``: only ideas with it (merged and withdrawn ones show only
    when asked for)."""
    query = " ".join(query.split())[:200]
    if sort not in (*SORTS, "relevance"):
        sort = "top"
    if status is not None and status not in FILTERS:
        raise InvalidInput(N_("Unknown status {status}."), status=status)
    page = max(1, min(page, 1000))
    exclude = () if status else HIDDEN
    ids = None
    if query:
        found = ranked(ctx.session, ctx.tenant_id, ["idea"], query, limit=SEARCH_LIMIT,
                       exclude=exclude)
        ids = [i for i, _ in found]
    elif sort == "relevance":
        sort = "top"
    rows = idea_board.board_rows(
        ctx.session, ctx.tenant_id, member_id=ctx.member.id or 0,
        since=ctx.now - timedelta(days=TRENDING_DAYS), order=sort,
        statuses=[status] if status else None, exclude=exclude, ids=ids,
        limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return Board(rows=[_row(r) for r in rows[:PAGE_SIZE]], sort=sort, status=status,
                 query=query, page=page, more=len(rows) > PAGE_SIZE)


def _row(r: idea_board.BoardRow) -> IdeaRow:
    return IdeaRow(ref=items.ref(r.item), number=r.item.number, title=r.item.title,
                   status=r.item.status, up=r.up, down=r.down, recent=r.recent, mine=r.mine)


def _rows_for(ctx: Ctx, ids: list[int]) -> list[IdeaRow]:
    if not ids:
        return []
    rows = idea_board.board_rows(ctx.session, ctx.tenant_id, member_id=ctx.member.id or 0,
                                 since=ctx.now - timedelta(days=TRENDING_DAYS),
                                 order="relevance", ids=ids, limit=len(ids))
    return [_row(r) for r in rows]


def idea(ctx: Ctx, number: int) -> IdeaPage:
    """One idea: text, author (unless anonymous), tally, the viewer's vote, status history,
    and for moderators the statuses it may move to."""
    item = items.get(ctx, "idea", number)
    up, down = repos.tally(ctx.session, ctx.tenant_id, item.id or 0)
    mine = _my_vote(ctx, item.id or 0)
    author = None
    if not item.anonymous and item.author_id is not None:
        author = items.author_name(ctx, item).plain()
    page = IdeaPage(
        ref=items.ref(item), number=item.number, title=item.title,
        body=item.body if item.body != item.title else "", status=item.status, author=author,
        up=up, down=down, mine=mine, created=item.created_at.strftime("%Y-%m-%d"),
        history=[HistoryEntry(line.meta, line.text.plain())
                 for line in items.history_lines(ctx, item)],
        votable=item.status not in CLOSED,
        moderator=ctx.is_moderator,
    )
    if item.merged_into_id:
        into = _rows_for(ctx, [item.merged_into_id])
        page.merged_into = into[0] if into else None
    page.merged_from = _rows_for(ctx, _merged_from(ctx, item.id or 0))
    if page.moderator and page.votable:
        page.next_statuses = [s for s in SETTABLE if s not in ("new", item.status)]
    return page


def _merged_from(ctx: Ctx, item_id: int) -> list[int]:
    from sqlmodel import select

    from storage.models import Item

    return list(ctx.session.execute(select(Item.id).where(
        Item.tenant_id == ctx.tenant_id, Item.merged_into_id == item_id)).scalars())


def _my_vote(ctx: Ctx, item_id: int) -> int:
    from sqlmodel import select

    from storage.models import Vote

    value = ctx.session.execute(select(Vote.value).where(
        Vote.tenant_id == ctx.tenant_id, Vote.item_id == item_id,
        Vote.member_id == ctx.member.id)).scalar_one_or_none()
    return int(value or 0)


def vote(ctx: Ctx, number: int, value: int) -> Rich:
    """The viewer's vote on an idea, as a 👍/👎 button casts it: ``1`` or ``-1`` (replacing
    any earlier vote), ``0`` takes the vote back."""
    if value not in (-1, 0, 1):
        raise InvalidInput(N_("A vote is up, down or none."))
    item = items.get(ctx, "idea", number)
    if item.status in CLOSED:
        raise InvalidInput(N_("{ref} is {status}; it takes no votes."), ref=items.ref(item),
                           status=ctx._(item.status))
    if value == 0:
        current = _my_vote(ctx, item.id or 0)
        if current:
            votes.apply(ctx, item, current, added=False, event_key=None)
    else:
        votes.apply(ctx, item, value, added=True, event_key=None)
    up, down = repos.tally(ctx.session, ctx.tenant_id, item.id or 0)
    return ctx.t(N_("Your vote is counted: {ref} now has {score}."), ref=items.ref(item),
                 score=items.score_text(up, down))
