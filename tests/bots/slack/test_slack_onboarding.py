"""Onboarding on Slack, end to end: a signed ``team_join`` welcomes the newcomer once (however
often Slack retries it), later steps come through the scheduler once each, in working hours of
the member's zone, never after ``user_change`` says they were deactivated; step text pings
nobody, and only moderators shape the journey."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bots.delivery import Deliveries
from bots.onboarding import OnboardingRunner
from core.app import Hromada
from core.clock import ManualClock
from storage import onboarding as store
from tests.bots.slack.harness import SlackHarness, buttons, user_id


def team_join(name: str, *, tz: str = "Europe/Kyiv", deleted: bool = False,
              event: str = "team_join") -> dict[str, Any]:
    """The event as Slack sends it: the whole user object, with its time zone."""
    uid = user_id(name)
    return {"type": event, "event_ts": "1700000000.000100", "cache_ts": 1700000000,
            "user": {"id": uid, "team_id": "T1", "name": name, "deleted": deleted,
                     "real_name": name.capitalize(), "tz": tz, "tz_label": "Eastern European",
                     "tz_offset": 7200, "is_admin": False, "is_owner": False, "is_bot": False,
                     "is_app_user": False, "updated": 1700000000,
                     "profile": {"real_name": name.capitalize(),
                                 "display_name": name.capitalize(), "team": "T1"}}}


def dm_text(slack: SlackHarness, name: str) -> list[str]:
    return [str(c.params.get("text", "")) for c in slack.dms(name)]


async def test_a_retried_team_join_welcomes_once(hromada: Hromada) -> None:
    async with SlackHarness.running(hromada) as slack:
        await slack.command("ann", "/kb", "add VPN setup | Use the corporate VPN #onboarding")
        slack.fake.add_user("T1", user_id("carol"), "Carol")
        first = await slack.event(team_join("carol"), event_id="EvJOIN1")
        again = await slack.event(team_join("carol"), event_id="EvJOIN1", retry_num=1)
        later = await slack.event(team_join("carol"), event_id="EvJOIN1", retry_num=2)
        assert first.status == again.status == later.status == 200
        [welcome] = dm_text(slack, "carol")
        assert "Welcome" in welcome and "VPN setup" in welcome
        opened = [c for c in slack.calls_of("conversations.open")
                  if c.params.get("users") == user_id("carol")]
        assert len(opened) == 1
        with hromada.db.uow() as session:
            journeys = session.query(store.OnboardingJourney).all()
            assert [(j.tenant_id, j.tz) for j in journeys] == [("slack:T1", "Europe/Kyiv")]


async def test_buddy_and_pulse_arrive_on_their_days_and_the_pulse_is_answered_in_the_dm(
        hromada: Hromada, clock: ManualClock) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await slack.command("ann", "/people", "me department Sales")
        await slack.command("ann", "/coffee", "join")
        await slack.event(team_join("carol"))
        runner = OnboardingRunner(hromada, deliveries)
        assert await runner.tick() == 0
        clock.advance(timedelta(days=2))
        assert await runner.tick() == 1
        [(group, intro)] = slack.group_dms()
        assert group == {user_id("carol"), user_id("ann")}
        assert "Coffee buddy" in intro.params["text"]
        clock.advance(timedelta(days=27))
        assert await runner.tick() == 1 and await runner.tick() == 0
        pulse = slack.dms("carol")[-1]
        assert "three private questions" in pulse.params["text"]
        answers = buttons(pulse.params["blocks"])
        assert len(answers) == 15
        await slack.press("carol", answers[4], channel="D" + user_id("carol"))
        said = [c.params for c in slack.calls_of("response_url", "chat.postEphemeral",
                                                  "chat.postMessage")]
        assert any("your answer to P-1 is 5" in str(p) for p in said), said


async def test_a_deactivated_member_gets_nothing_more(hromada: Hromada,
                                                      clock: ManualClock) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await slack.command("ann", "/coffee", "join")
        await slack.event(team_join("carol"))
        await slack.event(team_join("carol", deleted=True, event="user_change"))
        runner = OnboardingRunner(hromada, deliveries)
        clock.advance(timedelta(days=31))
        assert await runner.tick() == 0
        assert len(dm_text(slack, "carol")) == 1  # the welcome only
        assert slack.group_dms() == [] and slack.dms("ann") == []


async def test_a_step_due_at_night_in_the_member_zone_waits_for_the_morning(
        hromada: Hromada, clock: ManualClock) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        slack.add_user("boss", admin=True)
        await slack.command("boss", "/onboarding", "step add 2 Meet your team lead")
        # Monday 09:00 UTC is 18:00 in Tokyo: day 2 falls due on Tuesday evening there.
        await slack.event(team_join("kenji", tz="Asia/Tokyo"))
        runner = OnboardingRunner(hromada, deliveries)
        clock.advance(timedelta(days=1))  # Tuesday 09:00 UTC, 18:00 in Tokyo
        assert await runner.tick() == 0
        clock.advance(timedelta(hours=14, minutes=59))
        assert await runner.tick() == 0
        clock.advance(timedelta(minutes=1))  # Wednesday 09:00 in Tokyo
        assert await runner.tick() == 1
        assert "Meet your team lead" in dm_text(slack, "kenji")[-1]


async def test_two_processes_send_each_step_once(hromada: Hromada, clock: ManualClock) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        for name in ("carol", "dave"):
            await slack.event(team_join(name, tz="UTC"))
        one = OnboardingRunner(hromada, deliveries, owner="host-a:1")
        two = OnboardingRunner(hromada, deliveries, owner="host-b:2")
        clock.advance(timedelta(days=29))
        sent = await asyncio.gather(one.tick(), two.tick(), one.tick(), two.tick())
        assert sum(sent) == 4  # day 3 (no buddy: a note) and day 30, for two newcomers
        for name in ("carol", "dave"):
            assert len(dm_text(slack, name)) == 3


async def test_step_text_pings_nobody_and_members_cannot_change_steps(
        hromada: Hromada, clock: ManualClock) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        refused = await slack.command("bob", "/onboarding", "step add 1 <!channel> free pizza")
        assert "moderator" in str(refused.body).lower()
        slack.add_user("boss", admin=True)
        assert "no steps of its own" in str((await slack.command(
            "bob", "/onboarding", "step list")).body)
        await slack.command("boss", "/onboarding",
                            "step add 1 Say hi in <!channel> and @everyone <!here|here>")
        await slack.event(team_join("carol", tz="UTC"))
        await OnboardingRunner(hromada, deliveries).tick()
        [_, step] = slack.dms("carol")
        text = str(step.params["text"]) + str(step.params["blocks"])
        assert "Say hi in" in text
        for ping in ("<!channel>", "<!here", "<!everyone>"):
            assert ping not in text, text
        with hromada.db.uow() as session:
            [only] = store.steps(session, "slack:T1")
            assert "free pizza" not in only.text
