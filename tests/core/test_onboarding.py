"""Onboarding journeys in the core: one journey per member, steps once each in working hours of
the member's zone, nothing to someone who left, counts only from k newcomers up, moderators'
steps only from moderators, and the journey is the member's data (mydata, forget-me)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bots.delivery import Deliveries
from bots.onboarding import OnboardingRunner
from core import onboarding
from core.app import Hromada
from core.clock import ManualClock
from core.errors import Forbidden, InvalidInput, NotFound
from core.replies import Notice
from storage import digests
from storage import onboarding as store
from storage.culture import PulseAnswer
from storage.models import Member

T = "console:test"


class Inbox:
    """A console delivery that keeps every direct message; ``fail`` sends fail first."""

    platform = "console"

    def __init__(self, *, fail: int = 0) -> None:
        self.sent: list[Notice] = []
        self.fail = fail

    async def post(self, *_: object) -> str:
        raise AssertionError("onboarding sends direct messages only")

    async def post_picture(self, *_: object) -> None:
        raise AssertionError("onboarding sends direct messages only")

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the platform is down")
        self.sent.extend(notices)
        return []

    def to(self, user_id: str) -> list[str]:
        return [n.text.plain() for n in self.sent if user_id in n.recipients]


def runner(hromada: Hromada, inbox: Inbox, owner: str | None = None) -> OnboardingRunner:
    deliveries = Deliveries()
    deliveries.add(inbox)
    return OnboardingRunner(hromada, deliveries, owner=owner)


def tick(r: OnboardingRunner) -> int:
    return asyncio.run(r.tick())


def join(r: OnboardingRunner, user: str, tz: str = "") -> bool:
    return asyncio.run(r.welcome(T, user, user.capitalize(), tz=tz))


def _claims(hromada: Hromada) -> list[digests.JobClaim]:
    with hromada.db.uow() as session:
        return digests.claims_of(session, T, onboarding.ONBOARDING_JOB)


# -- working hours ---------------------------------------------------------------------


@pytest.mark.parametrize(("when", "zone", "expected"), [
    # Monday 10:00 in Kyiv: at work, as it is.
    (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "Europe/Kyiv", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
    # Monday 23:00 in Kyiv: Tuesday 09:00 there.
    (datetime(2026, 3, 2, 21, 0, tzinfo=UTC), "Europe/Kyiv",
     datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),
    # Friday 18:30 in New York: Monday 09:00 there.
    (datetime(2026, 3, 6, 23, 30, tzinfo=UTC), "America/New_York",
     datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
    # Saturday noon in Tokyo: Monday 09:00 Tokyo (Monday 00:00 UTC).
    (datetime(2026, 3, 7, 3, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 3, 9, 0, 0, tzinfo=UTC)),
    # 06:00 on a Wednesday, no zone known: 09:00 UTC.
    (datetime(2026, 3, 4, 6, 0, tzinfo=UTC), "", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)),
])
def test_working_time_is_the_next_working_hours_moment_in_the_zone(when, zone, expected):
    assert onboarding.working_time(when, onboarding.zone_of(zone)) == expected


# -- journeys --------------------------------------------------------------------------


def test_a_join_starts_one_journey_and_one_welcome_however_often_it_comes(hromada, actor):
    hromada.run(actor("ann"), "kb", "add VPN setup | Use the corporate VPN #onboarding")
    inbox = Inbox()
    r = runner(hromada, inbox)
    assert join(r, "carol") is True
    assert join(r, "carol") is False  # the same event again, or a second process
    assert tick(r) == 0
    [welcome] = inbox.to("carol")
    assert "Welcome" in welcome and "VPN setup" in welcome and "K-1" in welcome
    with hromada.db.uow() as session:
        assert session.execute(select(func.count()).select_from(store.OnboardingJourney)
                               ).scalar_one() == 1


def test_defaults_day_three_buddy_from_another_department_and_day_thirty_pulse(
        hromada, actor, clock: ManualClock):
    for name, dept in (("ann", "Eng"), ("bob", "Sales")):
        hromada.run(actor(name), "people", f"me department {dept}")
        hromada.run(actor(name), "coffee", "join")
    hromada.run(actor("carol"), "people", "me department Eng")
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    clock.advance(timedelta(days=1, hours=23))
    assert tick(r) == 0  # day 2: nothing
    clock.advance(timedelta(hours=1))
    assert tick(r) == 1 and tick(r) == 0
    [intro] = [n for n in inbox.sent if n.group]
    # From another department: Bob (Sales), never Ann (Eng, like Carol).
    assert set(intro.recipients) == {"carol", "bob"} and "Coffee buddy" in intro.text.plain()
    clock.advance(timedelta(days=27))
    assert tick(r) == 1 and tick(r) == 0
    pulse = inbox.sent[-1]
    assert pulse.recipients == ("carol",) and len(pulse.actions) == 15
    assert "three private questions" in pulse.text.plain()
    # Answered privately with a button: a plain pulse answer, under a keyed hash.
    reply = hromada.press(actor("carol"), pulse.actions[3].action_id, pulse.actions[3].value)
    assert "your answer to P-1 is 4" in reply.plain()
    # Results follow the pulse rule: nothing from fewer than k newcomers, even once closed.
    hromada.run(actor("boss", admin=True), "pulse", "close P-1")
    assert "4" not in hromada.run(actor("boss", admin=True), "pulse", "results P-1").text.plain()
    with hromada.db.uow() as session:
        journey = store.journey_of(session, T, _member_id(session, "carol"))
        assert journey is not None and journey.buddy_id == _member_id(session, "bob")
        assert journey.last_step == onboarding.PULSE
    assert [c.status for c in _claims(hromada)] == ["posted"] * 3


def _member_id(session, user_id: str) -> int:
    return session.execute(select(Member.id).where(Member.tenant_id == T,
                                                   Member.user_id == user_id)).scalar_one()


def test_the_onboarding_buttons_answer_only_for_a_newcomer_of_that_workspace(
        hromada, actor, clock):
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    clock.advance(timedelta(days=29))
    tick(r)
    button = inbox.sent[-1].actions[0]
    assert button.action_id == onboarding.PULSE_ACTION
    # Someone who is not a newcomer here, pressing a copied button: refused, nothing stored.
    with pytest.raises(NotFound):
        hromada.press(actor("mallory"), button.action_id, button.value)
    # A button naming another workspace is not known here.
    forged = button.value.replace(T, "console:elsewhere")
    with pytest.raises(InvalidInput):
        hromada.press(actor("carol"), button.action_id, forged)
    with hromada.db.uow() as session:
        assert session.execute(select(func.count()).select_from(PulseAnswer)).scalar_one() == 0


def test_a_step_that_falls_due_at_night_waits_for_working_hours_in_the_member_zone(
        hromada, actor, clock):
    hromada.run(actor("boss", admin=True), "onboarding", "step add 2 Meet your team lead")
    inbox = Inbox()
    r = runner(hromada, inbox)
    # Monday 09:00 UTC is 18:00 in Tokyo: day 2 falls due on Tuesday at 18:00 there.
    join(r, "kenji", tz="Asia/Tokyo")
    clock.advance(timedelta(days=1))  # Tuesday 09:00 UTC: working hours in UTC, not in Tokyo
    assert tick(r) == 0
    clock.advance(timedelta(hours=14, minutes=59))  # Tuesday 23:59 UTC, 08:59 in Tokyo
    assert tick(r) == 0
    clock.advance(timedelta(minutes=1))  # Wednesday 09:00 in Tokyo
    assert tick(r) == 1
    assert "Meet your team lead" in inbox.to("kenji")[-1]


def test_a_late_tick_at_night_sends_nothing_until_morning(hromada, actor, clock):
    """A scheduler that was down when a step fell due does not send it at night."""
    hromada.run(actor("boss", admin=True), "onboarding", "step add 2 Read the handbook")
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "dana", tz="Europe/Kyiv")  # Monday 11:00 in Kyiv
    clock.advance(timedelta(days=1, hours=12))  # Tuesday 23:00 in Kyiv: due since 11:00
    assert tick(r) == 0 and len(r.waiting) == 1
    clock.advance(timedelta(hours=9, minutes=59))  # Wednesday 08:59 in Kyiv
    assert tick(r) == 0
    clock.advance(timedelta(minutes=1))  # Wednesday 09:00 in Kyiv
    assert tick(r) == 1


def test_a_member_who_left_gets_nothing_more(hromada, actor, clock):
    hromada.run(actor("ann"), "coffee", "join")
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    assert onboarding.leave(hromada.db, T, "carol", now=clock.now()) is True
    clock.advance(timedelta(days=40))
    assert tick(r) == 0
    assert len(inbox.sent) == 1  # the welcome, before leaving; nobody was introduced


def test_a_step_owed_when_the_member_left_is_settled_without_sending(hromada, actor, clock):
    """The member left between the tick that found the step and its send."""
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    clock.advance(timedelta(days=2))
    [due] = r._owed()
    onboarding.leave(hromada.db, T, "carol", now=clock.now())
    assert asyncio.run(r.send(due.tenant_id, due.key)) is False
    assert len(inbox.sent) == 1
    assert tick(r) == 0


def test_two_runners_send_each_step_once(hromada, actor, clock):
    inbox = Inbox()
    first, second = runner(hromada, inbox, "one"), runner(hromada, inbox, "two")
    for name in ("carol", "dave", "erin"):
        join(first, name)
    clock.advance(timedelta(days=29))

    async def both() -> list[int]:
        return list(await asyncio.gather(first.tick(), second.tick()))

    assert sum(asyncio.run(both())) == 6  # day 3 and day 30, for three newcomers
    assert sum(asyncio.run(both())) == 0
    for name in ("carol", "dave", "erin"):
        assert len(inbox.to(name)) == 3


def test_a_failure_before_the_send_is_retried_and_then_sent_once(hromada, actor, clock):
    inbox = Inbox(fail=1)
    r = runner(hromada, inbox)
    join(r, "carol")  # the welcome's send fails: owed, retried by the scheduler
    assert inbox.sent == []
    assert tick(r) == 0  # backing off
    clock.advance(timedelta(minutes=1))
    assert tick(r) == 1 and tick(r) == 0
    assert len(inbox.to("carol")) == 1


def test_a_step_added_after_its_day_passed_is_not_sent_late(hromada, actor, clock):
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    clock.advance(timedelta(days=5))
    hromada.run(actor("boss", admin=True), "onboarding", "step add 2 Meet the team")
    hromada.run(actor("boss", admin=True), "onboarding", "step add 7 Pick a first task")
    assert tick(r) == 0
    clock.advance(timedelta(days=2))  # day 7 is a Sunday: it goes on Monday morning
    assert tick(r) == 1
    assert "Pick a first task" in inbox.to("carol")[-1]
    assert not any("Meet the team" in t for t in inbox.to("carol"))


# -- commands --------------------------------------------------------------------------


def test_a_plain_member_cannot_add_or_remove_steps(hromada, actor):
    boss, bob = actor("boss", admin=True), actor("bob")
    hromada.run(boss, "onboarding", "step add 2 Meet your team lead")
    with pytest.raises(Forbidden) as refused:
        hromada.run(bob, "onboarding", "step add 1 Ignore the handbook")
    assert "moderator" in hromada.error_reply(T, refused.value).plain().lower()
    with pytest.raises(Forbidden):
        hromada.run(bob, "onboarding", "step remove 1")
    listed = hromada.run(bob, "onboarding", "step list").plain()
    assert "Meet your team lead" in listed and "Ignore the handbook" not in listed
    with hromada.db.uow() as session:
        assert [s.text for s in store.steps(session, T)] == ["Meet your team lead"]


def test_steps_are_listed_numbered_and_removed_by_number(hromada, actor):
    boss = actor("boss", admin=True)
    assert "defaults" in hromada.run(boss, "onboarding", "step list").text.plain()
    hromada.run(boss, "onboarding", "step add 5 Shadow a support call")
    hromada.run(boss, "onboarding", "step add 2 Meet your team lead")
    listed = hromada.run(boss, "onboarding", "step list").plain()
    assert listed.index("1. Meet your team lead") < listed.index("2. Shadow a support call")
    hromada.run(boss, "onboarding", "step remove 1")
    with pytest.raises(NotFound):
        hromada.run(boss, "onboarding", "step remove 2")
    with pytest.raises(InvalidInput):
        hromada.run(boss, "onboarding", "step add 0 Too early")
    with pytest.raises(InvalidInput):
        hromada.run(boss, "onboarding", "step add 91 Too late")
    with hromada.db.uow() as session:
        assert [s.text for s in store.steps(session, T)] == ["Shadow a support call"]
    preview = hromada.run(boss, "onboarding", "preview").plain()
    assert "Welcome" in preview and "day 5" in preview and "Shadow a support call" in preview


@pytest.mark.parametrize("spread", [
    {"": 0, "welcome": 1, "d3": 0, "d30": 0},
    {"": 0, "welcome": 3, "d3": 1, "d30": 0},
    {"": 0, "welcome": 3, "d3": 3, "d30": 1},
    {"": 0, "welcome": 4, "d3": 2, "d30": 3},
    {"": 1, "welcome": 5, "d3": 3, "d30": 0},
    {"": 0, "welcome": 7, "d3": 3, "d30": 3},
])
def test_status_never_shows_a_count_under_k(hromada, actor, clock, spread):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings threshold 3")
    k = 3
    with hromada.db.uow() as session:
        n = 0
        for step, count in spread.items():
            for _ in range(count):
                n += 1
                member = Member(tenant_id=T, user_id=f"new{n}", display_name=f"New {n}")
                session.add(member)
                session.flush()
                jid = store.start(session, tenant_id=T, member_id=member.id or 0, tz="",
                                  now=clock.now())
                assert jid is not None
                store.delivered(session, T, jid, step)
    reply = hromada.run(boss, "onboarding", "status")
    shown = reply.plain()
    counts = [line.meta.rsplit(": ", 1)[-1] for line in reply.lines]
    assert len(counts) == 4
    for count in counts:
        assert count == f"fewer than {k}" or int(count) >= k, shown
    total = sum(spread.values())
    assert (f"journey: {total}." in shown) == (total >= k), shown
    assert "New 1" not in shown and "new1" not in shown


def test_mydata_shows_the_journey_and_forget_me_erases_it(hromada, actor, clock):
    hromada.run(actor("ann"), "people", "me department Sales")
    hromada.run(actor("ann"), "coffee", "join")
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol", tz="Europe/Kyiv")
    clock.advance(timedelta(days=2))
    tick(r)
    mine = hromada.run(actor("carol"), "hromada", "mydata").plain()
    assert "Onboarding journey" in mine and "Europe/Kyiv" in mine and "Coffee buddy: Ann" in mine
    # The buddy's own forget-me leaves the newcomer's journey without them.
    hromada.run(actor("ann"), "hromada", "forget-me confirm")
    assert "Coffee buddy" not in hromada.run(actor("carol"), "hromada", "mydata").plain()
    hromada.run(actor("carol"), "hromada", "forget-me confirm")
    with hromada.db.uow() as session:
        assert session.execute(select(func.count()).select_from(store.OnboardingJourney)
                               ).scalar_one() == 0
    clock.advance(timedelta(days=40))
    assert tick(r) == 0


def test_closed_onboarding_pulses_give_the_next_newcomers_new_ones_made_once(
        hromada, actor, clock):
    inbox = Inbox()
    r = runner(hromada, inbox)
    join(r, "carol")
    clock.advance(timedelta(days=1))
    join(r, "dave")
    clock.advance(timedelta(days=28))
    assert tick(r) == 3  # Carol: day 3 and day 30 (no tick ran in between); Dave: day 3
    assert "(P-1)" in inbox.to("carol")[-1]
    boss = actor("boss", admin=True)
    for ref in ("P-1", "P-2", "P-3"):
        hromada.run(boss, "pulse", f"close {ref}")
    # Another process is making Dave's new first question right now: this one waits its turn
    # (the step is retried) instead of making a second one.
    with hromada.db.uow() as session:
        assert digests.claim(session, tenant_id=T, job=onboarding.PULSE_JOB,
                             period_key="onboarding-1#2", owner="other", now=clock.now(),
                             lease_until=clock.now() + timedelta(days=1))
    clock.advance(timedelta(days=1))
    assert tick(r) == 0
    with hromada.db.uow() as session:
        session.execute(digests.JobClaim.__table__.delete().where(
            digests.JobClaim.job == onboarding.PULSE_JOB))
    clock.advance(timedelta(minutes=1))
    assert tick(r) == 1
    assert "(P-4)" in inbox.to("dave")[-1] and "(P-6)" in inbox.to("dave")[-1]


def test_status_counts_newcomers_whose_step_was_removed_apart(hromada, actor, clock):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings threshold 3")
    hromada.run(boss, "onboarding", "step add 1 Read the handbook")
    inbox = Inbox()
    r = runner(hromada, inbox)
    for name in ("carol", "dave", "erin"):
        join(r, name)
    assert tick(r) == 3
    hromada.run(boss, "onboarding", "step remove 1")
    reply = hromada.run(boss, "onboarding", "status")
    assert [ln.meta for ln in reply.lines if "removed" in ln.text.plain()] == ["3"]
    assert "waiting for the welcome (fewer than 3)" in reply.plain()


def test_a_step_claimed_by_a_process_that_died_goes_once_its_lease_ran_out(
        hromada, actor, clock):
    inbox = Inbox()
    r = runner(hromada, inbox, "alive")
    join(r, "carol")
    clock.advance(timedelta(days=2))
    [due] = r._owed()
    # Another process claimed the day-3 step and died before sending it.
    from core import outbox

    assert outbox.claim(hromada.db, due.tenant_id, onboarding.ONBOARDING_JOB, due.key,
                        owner="dead", now=clock.now())
    assert tick(r) == 0
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert tick(r) == 1 and tick(r) == 0
    assert len(inbox.to("carol")) == 2  # the welcome, then the day-3 step once


def test_buddies_take_turns_and_each_newcomer_keeps_theirs(hromada, actor, clock):
    for name, dept in (("ann", "Eng"), ("bob", "Sales"), ("cid", "Ops")):
        hromada.run(actor(name), "people", f"me department {dept}")
        hromada.run(actor(name), "coffee", "join")
    inbox = Inbox()
    r = runner(hromada, inbox)
    for name in ("n1", "n2", "n3"):
        join(r, name)
    clock.advance(timedelta(days=2))
    assert tick(r) == 3
    buddies = [next(x for x in n.recipients if not x.startswith("n"))
               for n in inbox.sent if n.group]
    assert sorted(buddies) == ["ann", "bob", "cid"]  # nobody asked twice while others were not
