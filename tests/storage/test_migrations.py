"""Migrations: up, down, up again on a fresh store; models match the schema; unique rules hold."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text
from sqlmodel import SQLModel

import storage.culture  # noqa: F401 - every modelled table is registered
import storage.digests  # noqa: F401
import storage.gateway  # noqa: F401
import storage.keys  # noqa: F401
import storage.models  # noqa: F401
import storage.weblogin  # noqa: F401
from core.errors import Conflict
from storage import repos
from storage.db import Database, StoreConflict, downgrade, upgrade
from storage.models import Counter, Item, Member, ProcessedEvent, Tenant, Vote

PG_URL = os.environ.get("HROMADA_TEST_DATABASE_URL")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Tables and indexes the models do not describe on purpose: the search index (FTS5 on SQLite,
# pg_trgm on PostgreSQL) and the tables slack_sdk's own stores define.
UNMODELLED_PREFIXES = ("item_fts", "slack_")
UNMODELLED_INDEXES = {"ix_item_search_trgm", "ix_item_body_words"}


def modelled(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and name.startswith(UNMODELLED_PREFIXES):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and table.name.startswith(UNMODELLED_PREFIXES))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty store: a new SQLite file, or a new PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not PG_URL:
        pytest.skip("HROMADA_TEST_DATABASE_URL is not set")
    admin_url = make_url(PG_URL)
    name = f"hromada_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": modelled})
            return list(compare_metadata(ctx, SQLModel.metadata))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url):
    modelled_tables = set(SQLModel.metadata.tables)
    upgrade(fresh_url)
    assert modelled_tables <= table_names(fresh_url)
    assert schema_diff(fresh_url) == []
    downgrade(fresh_url, "base")
    left = table_names(fresh_url) - {"alembic_version"}
    assert left == set()
    upgrade(fresh_url)
    assert modelled_tables <= table_names(fresh_url)
    assert schema_diff(fresh_url) == []
    # the search index is back and works after the round trip
    db = Database(fresh_url)
    try:
        with db.uow() as session:
            repos.ensure_tenant(session, "t")
            session.add(Item(tenant_id="t", kind="snippet", number=1, title="VPN access",
                             search_text="vpn access", created_at=NOW, updated_at=NOW))
        with db.uow() as session:
            found = repos.search_candidates(session, "t", ["snippet"], "vpn acess")
        assert [title for _, title in found] == ["vpn access"]
    finally:
        db.dispose()


def test_the_comparison_would_notice_a_drift(fresh_url):
    """Guard the guard: a column the migrations do not have shows up as a difference."""
    upgrade(fresh_url)
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE counter ADD COLUMN stray INTEGER"))
    finally:
        engine.dispose()
    diff = schema_diff(fresh_url)
    assert any("stray" in repr(d) for d in diff)


def add_rows(db: Database, *rows: object) -> None:
    with db.uow() as session:
        for row in rows:
            session.add(row)


@pytest.fixture
def item_and_member(db: Database) -> tuple[int, int]:
    with db.uow() as session:
        repos.ensure_tenant(session, "t")
        member = repos.ensure_member(session, "t", "u1", "U One")
        item = repos.add(session, Item(tenant_id="t", kind="idea", number=1, title="x",
                                       created_at=NOW, updated_at=NOW))
        return item.id or 0, member.id or 0


def test_one_vote_row_per_member_per_item(db, item_and_member):
    item_id, member_id = item_and_member
    add_rows(db, Vote(tenant_id="t", item_id=item_id, member_id=member_id, value=1,
                      created_at=NOW))
    with pytest.raises(StoreConflict):
        add_rows(db, Vote(tenant_id="t", item_id=item_id, member_id=member_id, value=-1,
                          created_at=NOW))
    with db.uow() as session:
        assert repos.tally(session, "t", item_id) == (1, 0)


def test_one_item_per_ref(db, item_and_member):
    with pytest.raises(StoreConflict):
        add_rows(db, Item(tenant_id="t", kind="idea", number=1, title="again",
                          created_at=NOW, updated_at=NOW))
    # the same number is fine for another kind and another tenant
    with db.uow() as session:
        repos.ensure_tenant(session, "t2")
    add_rows(db, Item(tenant_id="t", kind="risk", number=1, title="r", created_at=NOW,
                      updated_at=NOW),
             Item(tenant_id="t2", kind="idea", number=1, title="i", created_at=NOW,
                  updated_at=NOW))


def test_one_processed_event_per_key(db):
    add_rows(db, ProcessedEvent(tenant_id="t", key="Ev1", created_at=NOW))
    with pytest.raises(StoreConflict):
        add_rows(db, ProcessedEvent(tenant_id="t", key="Ev1", created_at=NOW))
    add_rows(db, ProcessedEvent(tenant_id="t2", key="Ev1", created_at=NOW))
    with db.uow() as session:
        assert repos.claim_event(session, "t", "Ev1") is False
        assert repos.claim_event(session, "t", "Ev2") is True


def test_unique_members_and_counters(db):
    add_rows(db, Tenant(id="t", created_at=NOW))
    add_rows(db, Member(tenant_id="t", user_id="u1", created_at=NOW))
    with pytest.raises(StoreConflict):
        add_rows(db, Member(tenant_id="t", user_id="u1", created_at=NOW))
    add_rows(db, Counter(tenant_id="t", kind="idea", last=3))
    with pytest.raises(StoreConflict):
        add_rows(db, Counter(tenant_id="t", kind="idea", last=0))


def test_a_store_conflict_reaches_the_core_as_conflict(hromada, actor):
    """A unique rule refusing a write inside a use case is a core Conflict, and nothing stays."""
    alice = actor("alice")
    hromada.run(alice, "idea", "Dark mode for the wiki")
    with pytest.raises(Conflict):
        with hromada.context(alice) as ctx:
            item = repos.item_by_ref(ctx.session, ctx.tenant_id, "idea", 1)
            assert item is not None
            ctx.session.add(Item(tenant_id=ctx.tenant_id, kind="idea", number=2, title="half",
                                 created_at=NOW, updated_at=NOW))
            ctx.session.flush()
            ctx.session.add(Vote(tenant_id=ctx.tenant_id, item_id=item.id or 0,
                                 member_id=ctx.member.id or 0, value=1, created_at=NOW))
            ctx.session.add(Vote(tenant_id=ctx.tenant_id, item_id=item.id or 0,
                                 member_id=ctx.member.id or 0, value=-1, created_at=NOW))
    assert [ln.ref for ln in hromada.run(alice, "idea", "list").lines] == ["I-1"]
    assert "Score: +0" in hromada.run(alice, "idea", "show 1").plain()
