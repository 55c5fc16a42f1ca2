"""`hromada tenant list` and `hromada tenant purge`: what an operator needs by hand."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bots.cli import app
from core import lifecycle
from storage import lifecycle as store
from tests.core.support import snapshot


@pytest.fixture
def cli(db_url: str, tmp_path, monkeypatch):
    monkeypatch.setenv("HROMADA_DATABASE_URL", db_url)
    monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HROMADA_SECRET_KEY", "test-secret")
    return lambda *args: CliRunner().invoke(app, list(args))


def test_list_then_purge_only_with_yes(cli, hromada, actor, db, clock):
    for tenant in ("console:a", "console:b"):
        hromada.run(actor("alice", tenant=tenant), "idea", "Dark mode for the wiki")
    lifecycle.uninstalled(db, "console:b", clock.now())

    listed = cli("tenant", "list")
    assert listed.exit_code == 0, listed.output
    lines = {ln.split()[0]: ln for ln in listed.output.splitlines()[1:]}
    assert "active" in lines["console:a"]
    assert "uninstalled 2026-03-02, purged after 2026-04-01" in lines["console:b"]

    before = snapshot(db)
    refused = cli("tenant", "purge", "a")
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert snapshot(db) == before
    missing = cli("tenant", "purge", "slack:TNOPE", "--yes")
    assert missing.exit_code == 1 and "no tenant" in missing.output
    assert snapshot(db) == before

    done = cli("tenant", "purge", "a", "--yes")
    assert done.exit_code == 0, done.output
    with db.engine.connect() as conn:
        assert store.footprint(conn, "console:a") == {}
        assert store.footprint(conn, "console:b")["item"] == 1
    assert "console:a" not in cli("tenant", "list").output
