"""Migration 0016: existing rows get lemmatised search text and a searchable body; a changed
body reaches the in-process index (the version trigger watches ``search_body``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlmodel import select

from core.search import body_text, ranked
from storage import repos
from storage.db import Database, downgrade, upgrade
from storage.models import Item
from tests.storage.test_migrations import fresh_url  # noqa: F401 - the fixture

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_existing_rows_are_rewritten_in_dictionary_form(fresh_url):  # noqa: F811
    upgrade(fresh_url, "0014")
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO tenant (id, name, language, anonymity_k, company_values, moderators, "
                "moderator_roles, digest_weekday, digest_time, digest_tz, digest_enabled, "
                "created_at) VALUES ('t', 't', 'uk', 5, '', '', '', 0, '09:00', 'UTC', true, :now)"
            ), {"now": NOW})
            conn.execute(text(
                "INSERT INTO item (tenant_id, kind, number, title, body, search_text, anonymous, "
                "status, created_at, updated_at) VALUES ('t', 'snippet', 1, "
                "'Як подати заявку на відпустку', 'Наставник допоможе', "
                "'як подати заявку на відпустку', false, 'published', :now, :now)"
            ), {"now": NOW})
    finally:
        engine.dispose()
    upgrade(fresh_url)
    db = Database(fresh_url)
    try:
        with db.uow() as session:
            item = session.execute(select(Item)).scalars().one()
            assert item.search_text == "як подати заявка на відпустка"
            assert item.search_body == "наставник допомогти"
            assert [i for i, _, _ in repos.body_candidates(
                session, "t", ["snippet"], ["наставник"])] == [item.id]
            assert ranked(session, "t", ["snippet"], "відпусткою")[0][0] == item.id
            assert repos.exact_title(session, "t", "snippet", "як подати заявку на відпустку")
    finally:
        db.dispose()
    downgrade(fresh_url, "0014")
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT search_text FROM item")).scalar_one() == (
                "як подати заявку на відпустку")
    finally:
        engine.dispose()


def test_a_changed_body_reaches_the_in_process_index(db):
    with db.uow() as session:
        repos.ensure_tenant(session, "t")
        item = repos.add(session, Item(tenant_id="t", kind="snippet", number=1,
                                       title="Перший тиждень", search_text="перший тиждень",
                                       status="published", created_at=NOW, updated_at=NOW))
        item_id = item.id
    with db.uow() as session:
        assert ranked(session, "t", ["snippet"], "наставника") == []  # the index is loaded
    with db.uow() as session:
        item = session.get(Item, item_id)
        item.body = "Кожен новачок отримує наставника"
        item.search_body = body_text(item.body)
        session.add(item)
    with db.uow() as session:
        assert [i for i, _ in ranked(session, "t", ["snippet"], "наставник")] == [item_id]
