"""Uninstall, keep for the retention period, purge: idempotent, complete, tenant by tenant."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from core import lifecycle, schedule
from core.errors import Forbidden, InvalidInput
from storage import culture
from storage import lifecycle as store
from tests.core.support import snapshot, submit


def fill(hromada, actor, tenant: str) -> None:
    alice, mod = actor("alice", tenant=tenant), actor("mod", admin=True, tenant=tenant)
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    hromada.run(alice, "idea", "anon Pay transparency bands")
    hromada.run(alice, "risk", "The build server may run out of disk")
    hromada.run(mod, "kb", "add VPN access | Ask IT #onboarding")
    hromada.run(mod, "pulse", "ask How clear is our strategy?")
    hromada.run(alice, "coffee", "join")
    hromada.run(replace(mod, channel_id="C-digest"), "digest", "here")


def test_uninstall_is_idempotent_and_the_first_one_starts_the_clock(hromada, actor, clock):
    fill(hromada, actor, "console:a")
    first = clock.now()
    assert lifecycle.uninstalled(hromada.db, "console:a", first) is True
    clock.advance(timedelta(days=3))
    # tokens_revoked after app_uninstalled, or a retry: the period does not restart
    assert lifecycle.uninstalled(hromada.db, "console:a", clock.now()) is False
    [row] = [r for r in lifecycle.tenants(hromada.db) if r.id == "console:a"]
    assert row.uninstalled_at == first and row.purge_at == first + timedelta(days=30)
    assert lifecycle.uninstalled(hromada.db, "console:nobody", clock.now()) is False


def test_an_uninstalled_tenant_is_not_scheduled(hromada, actor, clock):
    fill(hromada, actor, "console:a")
    fill(hromada, actor, "console:b")
    clock.advance(timedelta(days=8))
    with hromada.db.uow() as session:
        assert {t for t, _ in schedule.due(session, clock.now())} == {"console:a", "console:b"}
        assert set(culture.coffee_tenants(session)) == {"console:a", "console:b"}
    lifecycle.uninstalled(hromada.db, "console:a", clock.now())
    with hromada.db.uow() as session:
        assert {t for t, _ in schedule.due(session, clock.now())} == {"console:b"}
        assert culture.coffee_tenants(session) == ["console:b"]
    # back within the period: scheduled again, everything where it was
    assert lifecycle.installed(hromada.db, "console:a") is True
    assert lifecycle.installed(hromada.db, "console:a") is False
    with hromada.db.uow() as session:
        assert {t for t, _ in schedule.due(session, clock.now())} == {"console:a", "console:b"}
    assert "Dark mode" in hromada.run(actor("bob", tenant="console:a"), "idea", "list").plain()


def test_purge_waits_for_the_retention_period_then_removes_every_row(hromada, actor, clock, db):
    fill(hromada, actor, "console:a")
    fill(hromada, actor, "console:b")
    hromada.run(actor("mod", admin=True, tenant="console:a"), "hromada", "settings retention 7")
    with db.engine.connect() as conn:
        before_b = store.footprint(conn, "console:b")
        assert len(store.footprint(conn, "console:a")) >= 8
    lifecycle.uninstalled(hromada.db, "console:a", clock.now())
    clock.advance(timedelta(days=6, hours=23))
    assert lifecycle.purge_due(hromada.db, clock.now()) == []
    clock.advance(timedelta(hours=1))
    assert lifecycle.purge_due(hromada.db, clock.now()) == ["console:a"]
    assert lifecycle.purge_due(hromada.db, clock.now()) == []
    with db.engine.connect() as conn:
        assert store.footprint(conn, "console:a") == {}
        assert store.footprint(conn, "console:b") == before_b
        # nothing of the tenant anywhere, in any column of any table (search index included)
        for name, rows in snapshot(db).items():
            assert "console:a" not in repr(rows), name
        if db.is_sqlite:
            left = conn.execute(text("SELECT count(*) FROM item_fts")).scalar_one()
            with db.uow() as session:
                items = session.execute(text("SELECT count(*) FROM item")).scalar_one()
            assert left == items


def test_retention_is_a_moderators_setting_with_bounds(hromada, actor, db):
    mod, alice = actor("mod", admin=True), actor("alice")
    assert "30" in hromada.run(mod, "hromada", "settings").plain()
    before = snapshot(db)
    with pytest.raises(Forbidden):
        hromada.run(alice, "hromada", "settings retention 1")
    for bad in ("0", "3651", "soon", ""):
        with pytest.raises(InvalidInput):
            hromada.run(mod, "hromada", f"settings retention {bad}")
    assert snapshot(db) == before
    hromada.run(mod, "hromada", "settings retention 90")
    assert "90" in hromada.run(mod, "hromada", "settings").plain()
