"""Socket Mode, multi-workspace OAuth installs, and what scheduled work reaches Slack with."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import func, select, text

from bots.delivery import Deliveries
from core.app import Hromada
from core.replies import Notice, Reply, Visibility
from core.text import plain
from storage.models import Item, Vote
from tests.bots.slack.harness import SlackHarness, block_text, user_id


async def test_socket_mode_submit_and_vote(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada, socket_mode=True) as slack:
        assert slack.calls_of("apps.connections.open")
        ack = await slack.command("alice", "/idea", "Lunch and learn sessions")
        assert ack.body is None
        [msg] = slack.posted("C1")
        assert "I-1" in msg.text
        await slack.react("bob", "C1", msg.ts, "+1", event_id="EvS1")
        await slack.react("bob", "C1", msg.ts, "+1", event_id="EvS1")  # redelivered
        await slack.react("carol", "C1", msg.ts, "+1", event_id="EvS2")
        listed = await slack.command("dan", "/idea", "list top")
        assert "+2" in block_text(listed.body["blocks"])
        status, state = await slack.health()
        assert status == 200 and state["slack"] is True
        # The HTTP events endpoint is closed in Socket Mode.
        refused = await slack.post_raw("{}", slack.signed_headers(
            "{}", content_type="application/json"))
        assert refused.status == 404


async def test_two_workspaces_installed_by_oauth_see_only_their_own(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada, teams=("T1", "T2"), oauth=True) as slack:
        assert await slack.install("T1") == 200
        assert await slack.install("T2") == 200
        with hromada.db.uow() as session:
            teams = session.execute(text("SELECT team_id FROM slack_bots ORDER BY team_id")
                                    ).scalars().all()
        assert teams == ["T1", "T2"]

        await slack.command("alice", "/idea", "Four-day week pilot", team="T1")
        await slack.command("zoe", "/idea", "Team offsite in Lviv", team="T2")
        one, two = slack.posted("C1", team="T1"), slack.posted("C1", team="T2")
        assert "Four-day" in one[0].text and "Lviv" in two[0].text
        # Each post used its own workspace's token.
        tokens = {c.params["text"][:12]: c.token for c in slack.calls_of("chat.postMessage")}
        assert set(tokens.values()) == {"xoxb-T1", "xoxb-T2"}

        await slack.react("bob", "C1", one[0].ts, "+1", team="T1")
        # The same channel and ts in the other workspace is not that idea.
        await slack.react("yan", "C1", one[0].ts, "+1", team="T2")
        seen_one = await slack.command("bob", "/idea", "list", team="T1")
        seen_two = await slack.command("yan", "/idea", "list", team="T2")
        assert "Four-day" in seen_one.body["text"] and "Lviv" not in seen_one.body["text"]
        assert "Lviv" in seen_two.body["text"] and "Four-day" not in seen_two.body["text"]
        with hromada.db.uow() as session:
            by_tenant = dict(session.execute(
                select(Item.tenant_id, func.count()).group_by(Item.tenant_id)).all())
            votes = dict(session.execute(
                select(Vote.tenant_id, func.count()).group_by(Vote.tenant_id)).all())
        assert by_tenant == {"slack:T1": 1, "slack:T2": 1}
        assert votes == {"slack:T1": 1}

        # A workspace that never installed gets nothing done.
        slack.fake.add_workspace("T3")
        await slack.command("mallory", "/idea", "Sneaky", team="T3")
        with hromada.db.uow() as session:
            assert session.execute(select(func.count()).select_from(Item)).scalar_one() == 2


async def test_delivery_posts_attaches_uploads_and_sends_one_dm_each(hromada: Hromada,
                                                                    tmp_path: Path) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        delivery = deliveries.for_tenant("slack:T1")
        assert delivery is not None and delivery.platform == "slack"
        await slack.command("alice", "/idea", "Share the roadmap monthly")
        image = tmp_path / "matrix.png"
        Image.new("RGB", (8, 8), "white").save(image)
        await delivery.post("slack:T1", "C9", Reply(text=plain("Weekly digest <!here>"),
                                                  visibility=Visibility.PUBLIC, image=image))
        [digest] = slack.posted("C9")
        assert "&lt;!here&gt;" in digest.text
        [done] = slack.calls_of("files.completeUploadExternal")
        assert done.params["channel_id"] == "C9"
        assert slack.calls_of("upload")[0].params["size"] == image.stat().st_size
        await delivery.notify("slack:T1", [Notice((user_id("bob"), user_id("bob"),
                                                   user_id("carol")), plain("Hello"))])
        assert len(slack.dms("bob")) == 1 and len(slack.dms("carol")) == 1
