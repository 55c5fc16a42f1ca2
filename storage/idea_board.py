"""The idea board's one query: ideas with their tally, the viewer's own vote, and the net
votes of the last days (trending), sorted and paged in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from storage.models import Item, Vote


@dataclass(frozen=True)
class BoardRow:
    item: Item
    up: int
    down: int
    recent: int  # net votes cast (or changed) since ``since``
    mine: int  # the viewer's vote: 1, -1 or 0


def board_rows(session: Session, tenant_id: str, *, member_id: int, since: datetime,
               order: str = "top", statuses: Sequence[str] | None = None,
               exclude: Sequence[str] = (), ids: Sequence[int] | None = None,
               limit: int = 20, offset: int = 0) -> list[BoardRow]:
    """Ideas of one tenant (only ``ids`` when given). ``order``: ``top`` (net votes), ``new``
    (newest), ``trending`` (net votes since ``since``), ``relevance`` (the order of ``ids``:
    search rank)."""
    value = col(Vote.value)
    up = func.coalesce(func.sum(case((value > 0, 1), else_=0)), 0).label("up")
    down = func.coalesce(func.sum(case((value < 0, 1), else_=0)), 0).label("down")
    recent = func.coalesce(func.sum(case((col(Vote.created_at) >= since, value), else_=0)),
                           0).label("recent")
    mine = func.coalesce(func.max(case((col(Vote.member_id) == member_id, value),
                                       else_=None)), 0).label("mine")
    stmt = (
        select(Item, up, down, recent, mine)
        .outerjoin(Vote, and_(col(Vote.item_id) == col(Item.id),
                              col(Vote.tenant_id) == tenant_id))
        .where(col(Item.tenant_id) == tenant_id, col(Item.kind) == "idea")
        .group_by(col(Item.id))
    )
    if statuses:
        stmt = stmt.where(col(Item.status).in_(list(statuses)))
    if exclude:
        stmt = stmt.where(col(Item.status).not_in(list(exclude)))
    if ids is not None:
        stmt = stmt.where(col(Item.id).in_(list(ids)))
    net = func.coalesce(func.sum(value), 0)
    newest = col(Item.number).desc()
    if order == "top":
        stmt = stmt.order_by(net.desc(), newest)
    elif order == "trending":
        stmt = stmt.order_by(recent.desc(), net.desc(), newest)
    else:
        stmt = stmt.order_by(newest)
    ranked = ids is not None and order == "relevance"
    if not ranked:
        stmt = stmt.limit(limit).offset(offset)
    rows = [BoardRow(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]))
            for r in session.execute(stmt).all()]
    if ranked and ids is not None:
        rank = {i: n for n, i in enumerate(ids)}
        rows.sort(key=lambda r: rank.get(r.item.id or 0, len(rank)))
        rows = rows[offset:offset + limit]
    return rows
