"""Tokens at rest: OAuth installs store no usable token; keys rotate; expiring tokens refresh.

The raw tables are read as text, every column of every row, on SQLite and PostgreSQL alike, and
must hold no Slack token (``xoxb-``, ``xoxp-``, ``xoxe-``) while the bot keeps working.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from core.app import Hromada
from storage.db import downgrade, upgrade
from storage.tokens import PREFIX, TokenCipher, WrongSecret
from tests.bots.slack.harness import SlackHarness

TOKEN_MARKS = ("xoxb-", "xoxp-", "xoxe-", "xoxe.")


def raw_dump(hromada: Hromada) -> str:
    """Every value of every table, as the database holds it."""
    out = []
    with hromada.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(f"{table}: " + " | ".join(str(v) for v in row))
    return "\n".join(out)


def stored_tokens(hromada: Hromada) -> list[str]:
    with hromada.db.engine.connect() as conn:
        return [v for v in conn.execute(text(
            "SELECT bot_token FROM slack_installations UNION ALL "
            "SELECT bot_token FROM slack_bots")).scalars() if v]


async def test_oauth_installs_keep_no_token_in_the_database(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada, teams=("T1", "T2"), oauth=True) as slack:
        assert await slack.install("T1") == 200
        assert await slack.install("T2") == 200
        dump = raw_dump(hromada)
        assert "slack_bots" in dump and "T1" in dump  # the rows are there ...
        assert not [m for m in TOKEN_MARKS if m in dump]  # ... without their tokens
        assert stored_tokens(hromada) and all(t.startswith(PREFIX) for t in stored_tokens(hromada))

        # The bot still works with the real tokens, decrypted in memory.
        await slack.command("alice", "/idea", "Four-day week pilot", team="T1")
        posts = slack.calls_of("chat.postMessage")
        assert posts and posts[-1].token == "xoxb-T1"


async def test_keys_rotate_re_encrypts_and_the_running_bot_follows(
        hromada: Hromada, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    async with SlackHarness.running(hromada, teams=("T1",), oauth=True) as slack:
        assert await slack.install("T1") == 200
        before = stored_tokens(hromada)
        with hromada.db.engine.connect() as conn:
            keys_before = conn.execute(text("SELECT id FROM token_keys")).scalars().all()

        monkeypatch.setenv("HROMADA_DATABASE_URL", db_url)
        monkeypatch.setenv("HROMADA_SECRET_KEY", hromada.secret.decode())
        monkeypatch.setenv("HROMADA_DATA_DIR", str(tmp_path))
        from bots.cli import app

        result = CliRunner().invoke(app, ["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "re-encrypted 2 tokens" in result.output  # the installation's and the bot's

        after = stored_tokens(hromada)
        assert len(after) == len(before) and not set(after) & set(before)
        with hromada.db.engine.connect() as conn:
            keys_after = conn.execute(text("SELECT id FROM token_keys")).scalars().all()
        assert len(keys_after) == 1 and keys_after[0] not in keys_before
        assert not [m for m in TOKEN_MARKS if m in raw_dump(hromada)]

        # The running app loaded the old key; it reloads and keeps answering.
        await slack.command("alice", "/idea", "Standing desks for everyone", team="T1")
        assert slack.calls_of("chat.postMessage")[-1].token == "xoxb-T1"


def test_another_secret_cannot_read_the_keys(hromada: Hromada) -> None:
    cipher = TokenCipher(hromada.db.engine, hromada.secret)
    sealed = cipher.encrypt("xoxb-secret-value")
    assert sealed and sealed.startswith(PREFIX) and "xoxb" not in sealed
    assert cipher.decrypt(sealed) == "xoxb-secret-value"
    with pytest.raises(WrongSecret, match="HROMADA_SECRET_KEY"):
        TokenCipher(hromada.db.engine, b"some other deployment").decrypt(sealed)


def _plain_install(conn, team: str) -> None:
    conn.execute(text(
        "INSERT INTO slack_bots (client_id, app_id, team_id, bot_token, bot_refresh_token, "
        "bot_id, bot_user_id, is_enterprise_install, installed_at) VALUES "
        "('c', 'A1', :team, :token, :refresh, 'B1', 'UB', false, CURRENT_TIMESTAMP)"),
        {"team": team, "token": f"xoxb-plain-{team}", "refresh": f"xoxe-1-plain-{team}"})


def test_the_migration_encrypts_tokens_stored_before_it(store_template: str, db_url: str,
                                                        hromada: Hromada) -> None:
    """A store from before encryption: its plaintext tokens are sealed by the upgrade."""
    downgrade(db_url, "0006", secret=hromada.secret)
    with hromada.db.engine.begin() as conn:
        _plain_install(conn, "T9")
    assert "xoxb-plain-T9" in raw_dump(hromada)
    upgrade(db_url, secret=hromada.secret)
    dump = raw_dump(hromada)
    assert not [m for m in TOKEN_MARKS if m in dump]
    cipher = TokenCipher(hromada.db.engine, hromada.secret)
    assert [cipher.decrypt(t) for t in stored_tokens(hromada)] == ["xoxb-plain-T9"]
    # Down again gives the plaintext back (a downgrade must not lose installs).
    downgrade(db_url, "0006", secret=hromada.secret)
    assert stored_tokens(hromada) == ["xoxb-plain-T9"]
    upgrade(db_url, secret=hromada.secret)


def test_a_start_seals_what_a_secretless_upgrade_left(hromada: Hromada) -> None:
    with hromada.db.engine.begin() as conn:
        _plain_install(conn, "T8")
    assert TokenCipher(hromada.db.engine, hromada.secret).encrypt_plaintext() == 2
    assert not [m for m in TOKEN_MARKS if m in raw_dump(hromada)]
    assert TokenCipher(hromada.db.engine, hromada.secret).encrypt_plaintext() == 0


async def test_expiring_bot_tokens_are_refreshed_and_stored_sealed(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada, teams=("T1",), oauth=True) as slack:
        ws = slack.fake.workspaces["T1"]
        ws.rotation_seconds = 600  # inside the refresh window: the next request refreshes
        assert await slack.install("T1") == 200
        first = ws.bot_token
        assert first.startswith("xoxe.xoxb-") and ws.refreshes == 0

        await slack.command("alice", "/idea", "Rotate all the things", team="T1")
        refreshes = [c for c in slack.calls_of("oauth.v2.access")
                     if c.params.get("grant_type") == "refresh_token"]
        assert refreshes and ws.refreshes >= 1
        assert ws.bot_token != first
        # The answer went out with the fresh token, and the store holds it sealed.
        assert slack.calls_of("chat.postMessage")[-1].token == ws.bot_token
        assert not [m for m in TOKEN_MARKS if m in raw_dump(hromada)]
        cipher = TokenCipher(hromada.db.engine, hromada.secret)
        assert ws.bot_token in [cipher.decrypt(t) for t in stored_tokens(hromada)]


async def test_scheduled_posts_refresh_an_expiring_token_too(hromada: Hromada) -> None:
    """A digest at 09:00 has no incoming request for Bolt to refresh the token on."""
    from bots.delivery import Deliveries
    from core.replies import Reply, Visibility
    from core.text import plain

    deliveries = Deliveries()
    async with SlackHarness.running(hromada, teams=("T1",), oauth=True,
                                    deliveries=deliveries) as slack:
        ws = slack.fake.workspaces["T1"]
        ws.rotation_seconds = 600
        assert await slack.install("T1") == 200
        installed = ws.bot_token
        delivery = deliveries.for_tenant("slack:T1")
        assert delivery is not None
        await delivery.post("slack:T1", "C9", Reply(text=plain("Weekly digest"),
                                                  visibility=Visibility.PUBLIC))
        assert ws.refreshes == 1 and ws.bot_token != installed
        [posted] = slack.calls_of("chat.postMessage")
        assert posted.token == ws.bot_token
        assert not [m for m in TOKEN_MARKS if m in raw_dump(hromada)]
