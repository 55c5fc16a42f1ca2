"""Slack's uninstall events, in the shapes Slack sends them, in either order and twice over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from core import lifecycle, schedule
from core.app import Hromada
from tests.bots.slack.harness import SlackHarness


def installs(hromada: Hromada) -> dict[str, int]:
    with hromada.db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("slack_installations", "slack_bots")}


def state(hromada: Hromada, tenant_id: str):
    return next((r for r in lifecycle.tenants(hromada.db) if r.id == tenant_id), None)


def tokens_revoked(slack: SlackHarness, team: str) -> dict:
    """The Events API's tokens_revoked: ``tokens`` lists user ids per token type."""
    return {"type": "tokens_revoked",
            "tokens": {"oauth": ["UINSTALLER"], "bot": [slack.fake.workspaces[team].bot_user_id]}}


@pytest.mark.parametrize("order", [("tokens_revoked", "app_uninstalled"),
                                   ("app_uninstalled", "tokens_revoked")])
async def test_uninstall_deletes_tokens_stops_scheduling_keeps_data_then_purges(
        hromada: Hromada, order: tuple[str, str]) -> None:
    async with SlackHarness.running(hromada, teams=("T1", "T2"), oauth=True) as slack:
        assert await slack.install("T1") == 200
        assert await slack.install("T2") == 200
        for team in ("T1", "T2"):
            slack.add_user("boss", admin=True, team=team)
            await slack.command("alice", "/idea", f"Four-day week pilot in {team}", team=team)
            await slack.command("boss", "/digest", "here", team=team)
        assert installs(hromada) == {"slack_installations": 2, "slack_bots": 2}

        for kind in (*order, *order):  # each twice, as Slack's retries would
            event = tokens_revoked(slack, "T1") if kind == "tokens_revoked" else {
                "type": "app_uninstalled"}
            answer = await slack.event(event, team="T1")
            assert answer.status == 200  # handled, not "unhandled request" 404

        # T1's tokens and installation are gone at once; T2's are untouched.
        assert installs(hromada) == {"slack_installations": 1, "slack_bots": 1}
        gone = state(hromada, "slack:T1")
        assert gone is not None and gone.uninstalled_at is not None and gone.items == 1
        assert state(hromada, "slack:T2").uninstalled_at is None
        later = hromada.clock.now() + timedelta(days=8)
        with hromada.db.uow() as session:
            assert [t for t, _ in schedule.due(session, later)] == ["slack:T2"]

        # Reinstalled within the retention period: it picks up where it was.
        assert await slack.install("T1") == 200
        back = state(hromada, "slack:T1")
        assert back is not None and back.uninstalled_at is None and back.items == 1
        listed = await slack.command("bob", "/idea", "list", team="T1")
        assert "Four-day week pilot in T1" in listed.body["text"]

        # Uninstalled again and left: purged when the period runs out, T2 untouched.
        await slack.event({"type": "app_uninstalled"}, team="T1")
        after = hromada.clock.now() + timedelta(days=lifecycle.DEFAULT_RETENTION_DAYS, hours=1)
        assert lifecycle.purge_due(hromada.db, after) == ["slack:T1"]
        assert state(hromada, "slack:T1") is None
        assert state(hromada, "slack:T2").items == 1
        assert installs(hromada) == {"slack_installations": 1, "slack_bots": 1}


async def test_a_single_workspace_token_install_handles_uninstall_too(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("alice", "/idea", "Share the roadmap monthly")
        answer = await slack.event({"type": "app_uninstalled"})
        assert answer.status == 200
        assert state(hromada, "slack:T1").uninstalled_at is not None
