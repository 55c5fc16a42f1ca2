"""The web view on Slack's own HTTP port, beside ``/slack/events`` and the probes: one
process, one port, one store; a status change made on the web reaches Slack as chat's does."""

from __future__ import annotations

import httpx

from bots.delivery import Deliveries
from bots.web.app import build_web
from core import web_login
from core.app import Hromada
from core.clock import SystemClock
from tests.bots.slack.harness import SlackHarness, user_id
from tests.bots.store_checks import score
from tests.web.conftest import csrf_in, web_settings


async def test_slack_and_the_web_share_the_port_the_tally_and_the_notices(
        hromada: Hromada) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        slack.server.ops.web = build_web(hromada, web_settings(public_url=slack.url),
                                         deliveries)
        slack.add_user("boss", admin=True)
        await slack.command("alice", "/idea", "Bike racks at the back entrance")
        ts = slack.posted("C1")[-1].ts
        await slack.react("bob", "C1", ts, "+1")

        token = web_login.issue(hromada.db, SystemClock(), tenant_id="slack:T1", name="Boss",
                                admin=True, user_id=user_id("boss"))
        async with httpx.AsyncClient(base_url=slack.url, follow_redirects=False) as web:
            assert (await web.get("/healthz")).status_code == 200
            assert (await web.get("/t/slack:T1/ideas")).status_code == 303  # not signed in
            page = await web.get(f"/login/link/{token}")
            signed = await web.post(f"/login/link/{token}", data={"csrf": csrf_in(page.text)})
            assert signed.status_code == 303
            idea = await web.get("/t/slack:T1/ideas/I-1")
            assert idea.status_code == 200 and 'data-score="1"' in idea.text
            voted = await web.post("/t/slack:T1/ideas/I-1/vote",
                                   data={"csrf": csrf_in(idea.text), "vote": "up"})
            assert voted.status_code == 303
            assert score(hromada, "idea", 1) == 2
            shown = await slack.command("erin", "/idea", "show I-1")
            assert "+2 (👍 2 · 👎 0)" in shown.body["text"]
            changed = await web.post("/t/slack:T1/ideas/I-1/status",
                                     data={"csrf": csrf_in(idea.text), "status": "planned",
                                           "note": "Budget approved"})
            assert changed.status_code == 303
        for name in ("alice", "bob"):
            [dm] = slack.dms(name)
            assert "planned" in dm.params["text"] and "Budget approved" in dm.params["text"]
        assert not slack.dms("boss")
        # Slack's own paths are still Slack's.
        later = await slack.command("alice", "/idea", "show I-1")
        assert "planned" in later.body["text"]
