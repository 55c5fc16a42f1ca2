"""Every manifest `hromada manifest slack` prints is one Slack accepts.

Slack's "Create New App -> From an app manifest" validates against its published JSON schema
(a copy with its source lives in ``schema/``); a manifest that fails here fails there, for every
new user, on their first step.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from bots.cli import app
from bots.slack import manifest as manifest_module
from bots.slack.manifest import build_manifest

SCHEMA = json.loads((Path(__file__).parent / "schema" / "manifest.schema.1.0.0.json")
                    .read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
ROOT = Path(__file__).resolve().parents[3]


def _errors(manifest: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(manifest)]


def _printed(*args: str) -> dict:
    result = CliRunner().invoke(app, ["manifest", "slack", *args])
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize("args", [(), ("--socket-mode",), ("--url", "https://chat.example.org"),
                                  ("--url", "https://chat.example.org:8443/hromada/")])
def test_every_printed_manifest_validates_against_slacks_schema(args: tuple[str, ...]) -> None:
    manifest = _printed(*args)
    assert _errors(manifest) == []
    assert manifest["_metadata"]["major_version"] == 1


def test_the_checked_in_manifest_validates() -> None:
    checked_in = yaml.safe_load((ROOT / "manifests" / "slack.yaml").read_text(encoding="utf-8"))
    assert _errors(checked_in) == []


def test_the_schema_copy_refuses_what_slack_refuses() -> None:
    """The copy is the real thing: the 25-character shortcut name Slack refused fails here."""
    bad = build_manifest()
    bad["features"]["shortcuts"][0]["name"] = "Save to Hromada knowledge"
    assert any("shortcuts" in e and "too long" in e for e in _errors(bad))
    bad = build_manifest()
    bad["features"]["slash_commands"][0]["command"] = "idea"  # no leading slash
    assert _errors(bad)


def test_a_longer_shortcut_name_cannot_be_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "SHORTCUT_NAME", "x" * 25)
    with pytest.raises(ValueError, match="24"):
        build_manifest()


@pytest.mark.parametrize("url", ["http://chat.example.org", "chat.example.org", "ftp://x.org",
                                 "https://", "javascript:alert(1)"])
def test_url_must_be_https(url: str) -> None:
    result = CliRunner().invoke(app, ["manifest", "slack", "--url", url])
    assert result.exit_code == 2
    assert "https://" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(ValueError):
        build_manifest(base_url=url)
