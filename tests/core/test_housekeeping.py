"""The hourly sweep: event keys and drafts go after a day; nothing younger is touched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import housekeeping
from storage.models import Draft, ProcessedEvent
from tests.core.support import react, submit


def count(db, model) -> int:
    with db.uow() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_sweep_keeps_the_retry_window_and_drops_what_is_older(hromada, actor, db, clock):
    alice, bob = actor("alice"), actor("bob")
    idea = submit(hromada, alice, "idea", "Dark mode for the wiki")
    assert react(hromada, bob, idea, key="Ev-old") is True
    hromada.run(bob, "idea", "dark mode for the wiki!")  # a duplicate prompt: one draft
    assert count(db, ProcessedEvent) == 1 and count(db, Draft) == 1

    clock.advance(timedelta(hours=20))
    assert react(hromada, actor("carol"), idea, key="Ev-new") is True
    assert housekeeping.sweep(db, clock.now()) == {"processed_event": 0, "draft": 0,
                                                   "tenants": 0}
    # inside the window a re-delivery still counts once
    assert react(hromada, bob, idea, key="Ev-old") is False

    clock.advance(timedelta(hours=5))
    removed = housekeeping.sweep(db, clock.now())
    assert removed == {"processed_event": 1, "draft": 1, "tenants": 0}
    assert count(db, ProcessedEvent) == 1 and count(db, Draft) == 0
    assert housekeeping.sweep(db, clock.now())["processed_event"] == 0
