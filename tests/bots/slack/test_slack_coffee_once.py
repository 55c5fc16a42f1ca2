"""Coffee introductions on Slack are sent or retried, never lost with the round, and never
sent twice to the same person."""

from __future__ import annotations

from datetime import timedelta

import bots.slack.app as slack_app
from bots.delivery import Deliveries
from bots.scheduler import CoffeeRunner
from core import coffee
from core.app import Hromada
from core.clock import ManualClock
from storage import digests
from tests.bots.slack.harness import SlackHarness, user_id

HTTP_TRIES = 1 + slack_app.SERVER_ERROR_RETRIES  # one call and slack_sdk's retries of a 5xx



async def _join(slack: SlackHarness, *people: tuple[str, str]) -> None:
    for name, dept in people:
        await slack.command(name, "/people", f"me department {dept}")
        await slack.command(name, "/coffee", "join")


def _intro_claims(hromada: Hromada) -> list[digests.JobClaim]:
    with hromada.db.uow() as session:
        return digests.claims_of(session, "slack:T1", coffee.INTRODUCTION_JOB)


async def test_a_round_claimed_by_a_process_that_died_is_still_introduced_once(
        hromada: Hromada) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _join(slack, ("alice", "Eng"), ("bob", "Sales"))
        # Another process ran this week's round and died before sending anything.
        assert set(coffee.run_all(hromada)) == {"slack:T1"}
        assert slack.group_dms() == []
        runner = CoffeeRunner(hromada, deliveries)
        assert await runner.tick() == {"slack:T1": 2}
        assert await runner.tick() == {}
        await slack.settle()
        [(group, call)] = slack.group_dms()
        assert group == {user_id("alice"), user_id("bob")}
        assert "Coffee this week" in call.params["text"]
        assert [c.status for c in _intro_claims(hromada)] == ["posted"]


async def test_a_failed_dm_is_retried_later_for_that_person_only(hromada: Hromada,
                                                                 clock: ManualClock,
                                                                 caplog) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _join(slack, ("alice", "Eng"), ("bob", "Sales"))
        # The group DM is refused, and so is Alice's own DM; Bob's goes through.
        slack.fake.fail_next("conversations.open", status=200, error="missing_scope")
        slack.fake.fail_next("conversations.open", status=200, error="user_not_visible")
        runner = CoffeeRunner(hromada, deliveries)
        assert await runner.tick() == {"slack:T1": 1}
        await slack.settle()
        assert len(slack.dms("bob")) == 1 and slack.dms("alice") == []
        assert "coffee introduction" in caplog.text and "try 1 of" in caplog.text
        [claim] = _intro_claims(hromada)
        assert claim.status == "claimed" and claim.reached == user_id("bob")

        assert await runner.tick() == {}  # backing off: not yet
        clock.advance(timedelta(minutes=1))
        assert await runner.tick() == {"slack:T1": 1}
        await slack.settle()
        assert len(slack.dms("alice")) == 1 and len(slack.dms("bob")) == 1
        assert user_id("bob") in slack.dms("alice")[0].params["text"]
        assert slack.group_dms() == []
        clock.advance(timedelta(days=1))
        assert await runner.tick() == {}
        assert [c.status for c in _intro_claims(hromada)] == ["posted"]


async def test_an_unreachable_person_is_given_up_after_bounded_tries(hromada: Hromada,
                                                                     clock: ManualClock,
                                                                     caplog) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        await _join(slack, ("alice", "Eng"), ("bob", "Sales"))
        for _ in range(200):
            slack.fake.fail_next("conversations.open", status=500, error="internal_error")
        runner = CoffeeRunner(hromada, deliveries)
        for _ in range(50):
            await runner.tick()
            clock.advance(timedelta(minutes=10))
        await slack.settle()
        opened = slack.calls_of("conversations.open")
        # Each try: the group DM, then one DM each (each call through slack_sdk's retries of
        # a 5xx); bounded by the outbox's attempts.
        assert len(opened) == (1 + 2) * HTTP_TRIES * 7
        assert "given up after 7 tries" in caplog.text
        assert [c.status for c in _intro_claims(hromada)] == ["failed"]


async def test_coffee_pair_now_introduces_once_and_the_runner_never_again(
        hromada: Hromada) -> None:
    deliveries = Deliveries()
    async with SlackHarness.running(hromada, deliveries=deliveries) as slack:
        slack.add_user("boss", admin=True)
        await _join(slack, ("alice", "Eng"), ("bob", "Sales"))
        await slack.command("boss", "/coffee", "pair")
        await slack.settle()
        assert len(slack.group_dms()) == 1
        assert await CoffeeRunner(hromada, deliveries).tick() == {}
        await slack.settle()
        assert len(slack.group_dms()) == 1
