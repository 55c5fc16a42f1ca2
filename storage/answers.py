"""Queries for answers where questions are asked: watched channels, snippet feedback and
knowledge gaps (flush, never commit; every query filters by tenant).

Counts are raised in SQL with insert-if-absent, so two processes counting at once both count
and neither fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from storage.models import (
    KnowledgeGap,
    KnowledgeGapAsker,
    SnippetFeedback,
    WatchedChannel,
)


def _insert(session: Session, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# -- watched channels ----------------------------------------------------------------------

def is_watched(session: Session, tenant_id: str, channel_id: str) -> bool:
    return session.get(WatchedChannel, (tenant_id, channel_id)) is not None


def watch(session: Session, tenant_id: str, channel_id: str, now: datetime) -> bool:
    """Watch a channel; False when it was watched already."""
    stmt = _insert(session, WatchedChannel).values(
        tenant_id=tenant_id, channel_id=channel_id, created_at=now).on_conflict_do_nothing(
    ).returning(WatchedChannel.channel_id)
    return session.execute(stmt).first() is not None


def unwatch(session: Session, tenant_id: str, channel_id: str) -> bool:
    """Stop watching a channel; False when it was not watched."""
    return bool(session.execute(delete(WatchedChannel).where(
        WatchedChannel.tenant_id == tenant_id,  # type: ignore[arg-type]
        WatchedChannel.channel_id == channel_id)).rowcount)  # type: ignore[arg-type]


def watched_channels(session: Session, tenant_id: str) -> list[str]:
    return list(session.execute(
        select(WatchedChannel.channel_id).where(WatchedChannel.tenant_id == tenant_id)
        .order_by(WatchedChannel.created_at)).scalars())  # type: ignore[arg-type]


# -- feedback ------------------------------------------------------------------------------

def add_helpful(session: Session, tenant_id: str, item_id: int) -> None:
    """One more "This answered it" for a snippet."""
    session.execute(_insert(session, SnippetFeedback).values(
        item_id=item_id, tenant_id=tenant_id, helpful=0).on_conflict_do_nothing())
    session.execute(update(SnippetFeedback).where(
        SnippetFeedback.tenant_id == tenant_id,  # type: ignore[arg-type]
        SnippetFeedback.item_id == item_id)  # type: ignore[arg-type]
        .values(helpful=SnippetFeedback.helpful + 1))


# Every /kb search runs it: built once (building it per call cost more than running it).
_HELPFUL = select(SnippetFeedback.item_id, SnippetFeedback.helpful).where(
    SnippetFeedback.tenant_id == bindparam("tenant_id"),  # type: ignore[arg-type]
    SnippetFeedback.item_id.in_(bindparam("ids", expanding=True)))  # type: ignore[attr-defined]


def helpful_counts(session: Session, tenant_id: str, item_ids: Iterable[int]) -> dict[int, int]:
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.execute(_HELPFUL, {"tenant_id": tenant_id, "ids": ids}).all()
    return {int(r[0]): int(r[1]) for r in rows}


# -- knowledge gaps ------------------------------------------------------------------------

def count_gap(session: Session, *, tenant_id: str, week: str, key: str, words: str,
              asker: str) -> None:
    """One more ask of a gap; one more asker when this keyed hash has not asked it yet."""
    session.execute(_insert(session, KnowledgeGap).values(
        tenant_id=tenant_id, week=week, key=key, words=words, asks=0,
        askers=0).on_conflict_do_nothing())
    gap_id = session.execute(select(KnowledgeGap.id).where(
        KnowledgeGap.tenant_id == tenant_id, KnowledgeGap.week == week,
        KnowledgeGap.key == key)).scalar_one()
    new = session.execute(_insert(session, KnowledgeGapAsker).values(
        gap_id=gap_id, asker=asker, tenant_id=tenant_id).on_conflict_do_nothing().returning(
        KnowledgeGapAsker.gap_id)).first() is not None
    session.execute(update(KnowledgeGap).where(
        KnowledgeGap.id == gap_id).values(  # type: ignore[arg-type]
        asks=KnowledgeGap.asks + 1, askers=KnowledgeGap.askers + (1 if new else 0)))


def visible_gaps(session: Session, tenant_id: str, week: str, *, least: int,
                 limit: int) -> list[KnowledgeGap]:
    """The week's gaps with at least ``least`` distinct askers, most asked first."""
    return list(session.execute(
        select(KnowledgeGap).where(KnowledgeGap.tenant_id == tenant_id,
                                   KnowledgeGap.week == week,
                                   KnowledgeGap.askers >= least)
        .order_by(KnowledgeGap.askers.desc(), KnowledgeGap.asks.desc(),  # type: ignore[attr-defined]
                  KnowledgeGap.words)
        .limit(limit)).scalars())


def gap_keys(session: Session, tenant_id: str) -> list[tuple[int, str, str]]:
    """(id, week, key) of every gap of the tenant."""
    rows = session.execute(select(KnowledgeGap.id, KnowledgeGap.week, KnowledgeGap.key).where(
        KnowledgeGap.tenant_id == tenant_id)).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def rekey_askers(session: Session, tenant_id: str, askers: dict[str, int],
                 new_key: Callable[[], str]) -> int:
    """Replace these asker hashes (hash -> gap id) with fresh keys; rows changed."""
    changed = 0
    for asker, gap_id in askers.items():
        changed += session.execute(update(KnowledgeGapAsker).where(
            KnowledgeGapAsker.tenant_id == tenant_id,  # type: ignore[arg-type]
            KnowledgeGapAsker.gap_id == gap_id,  # type: ignore[arg-type]
            KnowledgeGapAsker.asker == asker).values(asker=new_key())).rowcount  # type: ignore[arg-type]
    return changed
