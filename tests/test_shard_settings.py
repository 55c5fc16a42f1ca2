"""DISCORD_SHARD_IDS: which shards this process runs, checked before anything connects."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bots.cli import app
from core.config import Settings


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("DISCORD_SHARD_IDS", "DISCORD_SHARD_COUNT", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_shard_ids_from_the_environment(monkeypatch):
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2, 3")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.discord_shard_ids == (2, 3) and s.discord_shard_count == 4
    monkeypatch.setenv("DISCORD_SHARD_IDS", "")
    assert settings().discord_shard_ids is None  # empty: every shard of the count
    monkeypatch.setenv("DISCORD_SHARD_IDS", "1")  # one shard: the value reads as a number
    assert Settings(_env_file=None).discord_shard_ids == (1,)  # type: ignore[call-arg]


@pytest.mark.parametrize(("env", "says"), [
    ({"discord_shard_ids": "0,1"}, "needs DISCORD_SHARD_COUNT"),
    ({"discord_shard_ids": "0,1", "discord_shard_count": "0"}, "needs DISCORD_SHARD_COUNT"),
    ({"discord_shard_ids": "1,4", "discord_shard_count": "4"}, "[4] must be below"),
    ({"discord_shard_ids": "0;1", "discord_shard_count": "4"}, "separated by commas"),
    ({"discord_shard_ids": "-1", "discord_shard_count": "4"}, "separated by commas"),
    ({"discord_shard_ids": "²", "discord_shard_count": "4"}, "separated by commas"),
    ({"discord_shard_ids": "1,1", "discord_shard_count": "4"}, "names a shard twice"),
])
def test_wrong_shard_ids_are_refused_with_the_reason(env, says):
    with pytest.raises(ValidationError) as caught:
        settings(**env)
    assert says in str(caught.value)


def test_serve_refuses_wrong_shard_ids_in_one_line_and_starts_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "2")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "1,2")
    monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "DISCORD_SHARD_IDS [2] must be below DISCORD_SHARD_COUNT 2" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists(), "no store was opened"
