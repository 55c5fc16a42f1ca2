"""Export of a tenant's items as CSV and JSON, through core/export.py and `hromada export`."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from core.export import COLUMNS, export
from tests.core.support import react, submit


@pytest.fixture
def filled(hromada, actor):
    alice, bob, mod = actor("alice"), actor("bob"), actor("mod", admin=True)
    idea = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, idea)
    react(hromada, mod, idea, "-1")
    react(hromada, alice, idea)
    hromada.run(bob, "idea", "anon Pay transparency bands")
    submit(hromada, bob, "risk", "Only one person can renew the TLS certificates")
    hromada.run(bob, "risk", "rate 1 4 5")
    hromada.run(bob, "risk", "owner 1 <@alice|Alice>")
    hromada.run(alice, "kb",
                "add VPN access | Ask IT, newline\nand a \"quote\", comma #onboarding #it")
    submit(hromada, actor("zed", tenant="console:other"), "idea", "Secret plan of another tenant")
    return hromada


def do_export(hromada, tenant_id: str, fmt: str) -> str:
    with hromada.db.uow() as session:
        return export(session, tenant_id, fmt)


def test_json_has_every_item_of_the_tenant_only(filled):
    data = json.loads(do_export(filled, "console:test", "json"))
    assert data["tenant"] == "console:test"
    by_ref = {row["ref"]: row for row in data["items"]}
    assert sorted(by_ref) == ["I-1", "I-2", "K-1", "R-1"]
    assert all(set(row) == set(COLUMNS) for row in data["items"])
    idea = by_ref["I-1"]
    assert (idea["author"], idea["score"], idea["up"], idea["down"]) == ("Alice", 1, 2, 1)
    assert by_ref["I-2"]["author"] == "anonymous"
    risk = by_ref["R-1"]
    assert (risk["likelihood"], risk["impact"], risk["owner"], risk["status"]) == (4, 5, "Alice",
                                                                                   "open")
    snippet = by_ref["K-1"]
    assert snippet["tags"] == "it onboarding" and "\"quote\"" in snippet["body"]
    assert "Secret plan" not in json.dumps(data)
    assert idea["created_at"] == "2026-03-02T09:00:00+00:00"


def test_csv_round_trips(filled):
    text = do_export(filled, "console:test", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == COLUMNS
    by_ref = {row["ref"]: row for row in rows}
    assert sorted(by_ref) == ["I-1", "I-2", "K-1", "R-1"]
    assert by_ref["K-1"]["body"] == "Ask IT, newline\nand a \"quote\", comma"
    assert by_ref["I-2"]["author"] == "anonymous"
    assert by_ref["I-1"]["score"] == "1"
    assert "Secret plan" not in text


def test_an_empty_tenant_exports_nothing(hromada):
    assert json.loads(do_export(hromada, "console:empty", "json"))["items"] == []
    assert do_export(hromada, "console:empty", "csv").strip() == ",".join(COLUMNS)


@pytest.fixture
def cli_env(db_url: str, tmp_path, monkeypatch) -> Iterator[None]:
    """Point the CLI at the test store; put the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setenv("HROMADA_DATABASE_URL", db_url)
    monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run_cli(*args: str) -> str:
    from bots.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_export_json_and_csv(filled, cli_env):
    data = json.loads(run_cli("export", "--tenant", "test", "--format", "json"))
    assert data["tenant"] == "console:test"
    assert sorted(r["ref"] for r in data["items"]) == ["I-1", "I-2", "K-1", "R-1"]
    rows = list(csv.DictReader(io.StringIO(run_cli("export", "--tenant", "console:other",
                                                   "--format", "csv"))))
    assert [r["title"] for r in rows] == ["Secret plan of another tenant"]


def test_cli_export_refuses_an_unknown_format(cli_env):
    from bots.cli import app

    result = CliRunner().invoke(app, ["export", "--tenant", "x", "--format", "xml"])
    assert result.exit_code != 0
