"""The pulse answer migration keeps every answer and drops what ordered them; k is at least 3.

Runs on a fresh SQLite file and, with HROMADA_TEST_DATABASE_URL, a fresh PostgreSQL database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from storage.db import downgrade, upgrade
from tests.storage.test_migrations import fresh_url  # noqa: F401 - the shared fixture

BEFORE = "0006"
NOW = datetime(2026, 3, 2, 9, 30, 17, tzinfo=UTC)


def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for tenant, k in (("t", 2), ("u", 7)):
                conn.execute(text(
                    "INSERT INTO tenant (id, name, language, anonymity_k, company_values, "
                    "moderators, moderator_roles, digest_weekday, digest_time, digest_tz, "
                    "digest_enabled, created_at) VALUES (:id, '', 'en', :k, '', '', '', 0, "
                    "'09:00', 'UTC', true, :now)"), {"id": tenant, "k": k, "now": NOW})
            for number, status in ((1, "open"), (2, "closed")):
                conn.execute(text(
                    "INSERT INTO item (tenant_id, kind, number, title, body, status, anonymous, "
                    "search_text, created_at, updated_at) VALUES ('t', 'pulse', :number, 'Q', "
                    "'', :status, false, 'q', :now, :now)"),
                    {"number": number, "status": status, "now": NOW})
            for number, prefix in ((1, "k"), (2, "c")):
                item_id = conn.execute(text("SELECT id FROM item WHERE number = :n"),
                                       {"n": number}).scalar_one()
                for n, (key, value, dept) in enumerate((("3", 3, "Sales"), ("1", 1, None),
                                                        ("2", 5, "Sales"))):
                    conn.execute(text(
                        "INSERT INTO pulse_answer (tenant_id, item_id, answer_key, value, "
                        "department, created_at) VALUES ('t', :item, :key, :value, :dept, :at)"),
                        {"item": item_id, "key": prefix + key, "value": value, "dept": dept,
                         "at": NOW.replace(minute=n)})
    finally:
        engine.dispose()


def _answers(url: str, number: int = 1) -> list[tuple[str, int, str | None]]:
    """The answers of pulse P-<number>: key, value, department."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted((str(r[0]), int(r[1]), r[2]) for r in conn.execute(text(
                "SELECT a.answer_key, a.value, a.department FROM pulse_answer a "
                "JOIN item i ON i.id = a.item_id WHERE i.number = :n"), {"n": number}))
    finally:
        engine.dispose()


def test_answers_survive_without_id_or_time_and_k_rises_to_3(fresh_url):  # noqa: F811
    upgrade(fresh_url, BEFORE)
    _seed(fresh_url)
    kept, closed = _answers(fresh_url), _answers(fresh_url, 2)
    upgrade(fresh_url)
    assert _answers(fresh_url) == kept == [("k1", 1, None), ("k2", 5, "Sales"),
                                           ("k3", 3, "Sales")]
    # The closed pulse's answers are all there, each under a new random key.
    sealed = _answers(fresh_url, 2)
    assert sorted(r[1:] for r in sealed) == sorted(r[1:] for r in closed)
    assert not {r[0] for r in sealed} & {r[0] for r in closed}
    assert all(len(r[0]) == 64 for r in sealed)
    engine = create_engine(fresh_url)
    try:
        found = inspect(engine)
        assert {c["name"] for c in found.get_columns("pulse_answer")} == {
            "item_id", "answer_key", "tenant_id", "value", "department"}
        assert found.get_pk_constraint("pulse_answer")["constrained_columns"] == [
            "item_id", "answer_key"]
        assert "pulse_answer_tmp" not in found.get_table_names()
        with engine.connect() as conn:
            ks = dict(conn.execute(text("SELECT id, anonymity_k FROM tenant")).all())
            assert ks == {"t": 3, "u": 7}
            if engine.dialect.name == "sqlite":
                with pytest.raises(DBAPIError):
                    conn.execute(text("SELECT rowid FROM pulse_answer"))
            else:
                owned = conn.execute(text(
                    "SELECT count(*) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                    "WHERE s.relkind = 'S' AND d.refobjid = 'pulse_answer'::regclass"
                )).scalar_one()
                assert owned == 0  # no sequence behind any column
    finally:
        engine.dispose()
    # And back: the old shape returns with every answer (the times are gone for good).
    downgrade(fresh_url, BEFORE)
    assert _answers(fresh_url) == kept
    upgrade(fresh_url)
    assert _answers(fresh_url) == kept
