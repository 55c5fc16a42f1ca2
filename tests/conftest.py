"""Shared fixtures: a real store (SQLite, or PostgreSQL when HROMADA_TEST_DATABASE_URL is set),
the core on a fixed clock, and factories for actors.

On PostgreSQL each test session gets a database of its own (created and dropped here), so
parallel runs never meet; between tests every table is truncated.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from core.app import Hromada
from core.clock import ManualClock
from core.context import Actor
from storage.db import Database, upgrade

PG_URL = os.environ.get("HROMADA_TEST_DATABASE_URL")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def pytest_report_header() -> str:
    return f"hromada store: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated store: a SQLite file to copy, or a fresh PostgreSQL database."""
    if PG_URL:
        admin_url = make_url(PG_URL)
        name = f"hromada_t_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("store") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)


def _truncate(db: Database) -> None:
    with db.engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(store_template: str, tmp_path: Path) -> str:
    if PG_URL:
        return store_template
    target = tmp_path / "hromada.db"
    shutil.copyfile(store_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    if not database.is_sqlite:
        _truncate(database)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def hromada(db: Database, clock: ManualClock) -> Hromada:
    return Hromada(db, secret=b"test-secret", clock=clock)


@pytest.fixture
def actor():
    """Factory: actor("alice"), actor("boss", admin=True), actor("x", tenant="console:other")."""

    def make(name: str, *, admin: bool = False, tenant: str = "console:test",
             roles: tuple[str, ...] = ()) -> Actor:
        return Actor(tenant, name.lower(), name.capitalize(), is_admin=admin, roles=roles)

    return make


@pytest.fixture
def all_logs():
    from tests.core.support import Everything

    handler = Everything()
    root = logging.getLogger()
    old = root.level
    ours = [logging.getLogger(name) for name in ("core", "storage", "bots")]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for logger in ours:
        logger.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)
    for logger in ours:
        logger.setLevel(logging.NOTSET)
