"""What the store holds, read straight from it: end-to-end tests check tallies here, not in
the bot's own words."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.app import Hromada
from storage.models import Item, Vote


def count(hromada: Hromada, model: Any) -> int:
    with hromada.db.uow() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def score(hromada: Hromada, kind: str, number: int, *, tenant: str | None = None) -> int:
    """The net votes of an item (of the one tenant in play, unless ``tenant`` names one)."""
    with hromada.db.uow() as session:
        stmt = select(Item).where(Item.kind == kind, Item.number == number)
        if tenant is not None:
            stmt = stmt.where(Item.tenant_id == tenant)
        item = session.execute(stmt).scalar_one()
        return int(session.execute(select(func.coalesce(func.sum(Vote.value), 0))
                                   .where(Vote.item_id == item.id)).scalar_one())
