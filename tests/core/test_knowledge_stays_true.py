"""Knowledge that stays true: owners, verify-by dates, stale marks, weekly reminders once per
owner, the digest's "needs a look", and snippets that follow the message they came from."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bots.delivery import Deliveries
from bots.scheduler import KbReminderRunner
from core import freshness
from core.app import Hromada
from core.digest import build_digest
from core.errors import Forbidden, InvalidInput
from core.replies import Notice
from core.schedule import Period
from storage import digests
from storage.models import Item, ProcessedEvent, SnippetRevision

T = "console:test"


class Inbox:
    """A console delivery that keeps every direct message it was asked to send."""

    platform = "console"

    def __init__(self, *, fail: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    async def post(self, *_: object) -> str:
        raise AssertionError("reminders are direct messages")

    async def post_picture(self, *_: object) -> None:
        raise AssertionError("reminders are direct messages")

    async def notify(self, tenant_id: str, notices: list[Notice]) -> list[str]:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("platform down")
        self.sent += [(r, n.text.plain()) for n in notices for r in n.recipients]
        return []


def runner(hromada: Hromada, inbox: Inbox, owner: str) -> KbReminderRunner:
    deliveries = Deliveries()
    deliveries.add(inbox)
    return KbReminderRunner(hromada, deliveries, owner=owner)


def add(hromada: Hromada, who, text: str) -> str:
    reply = hromada.run(who, "kb", f"add {text}")
    return reply.plain().split("Saved as ")[1].split(":")[0]


def test_a_snippet_goes_stale_after_verify_days_and_verify_renews_it(hromada, actor, clock):
    alice = actor("alice")
    ref = add(hromada, alice, "VPN access | Ask IT for a token")
    clock.advance(timedelta(days=89))
    assert "stale" not in hromada.run(alice, "kb", f"show {ref}").plain()
    assert "within its verify-by date" in hromada.run(alice, "kb", "stale").plain()
    clock.advance(timedelta(days=1, seconds=1))
    shown = hromada.run(alice, "kb", f"show {ref}").plain()
    assert "stale since" in shown and f"/kb verify {ref}" in shown
    found = hromada.run(alice, "kb", "search vpn token")
    assert "stale" in found.plain(), found.plain()  # marked in search results too
    listed = hromada.run(alice, "kb", "stale")
    assert [ln.ref for ln in listed.lines] == [ref] and "Alice" in listed.plain()

    said = hromada.run(alice, "kb", f"verify {ref}").plain()
    expected = (clock.now() + timedelta(days=90)).strftime("%Y-%m-%d")
    assert expected in said
    assert "stale" not in hromada.run(alice, "kb", f"show {ref}").plain()
    assert "within its verify-by date" in hromada.run(alice, "kb", "stale").plain()
    clock.advance(timedelta(days=90, seconds=1))
    assert "stale since" in hromada.run(alice, "kb", f"show {ref}").plain()


def test_verify_days_is_a_setting_that_moves_every_date(hromada, actor, clock):
    alice, boss = actor("alice"), actor("boss", admin=True)
    ref = add(hromada, alice, "Parking | Level -2")
    clock.advance(timedelta(days=31))
    assert "stale" not in hromada.run(alice, "kb", f"show {ref}").plain()
    with pytest.raises(Forbidden):
        hromada.run(alice, "hromada", "settings verify-days 30")
    for bad in ("0", "many", "99999"):
        with pytest.raises(InvalidInput):
            hromada.run(boss, "hromada", f"settings verify-days {bad}")
    hromada.run(boss, "hromada", "settings verify-days 30")
    assert "stale since" in hromada.run(alice, "kb", f"show {ref}").plain()


def test_only_the_owner_or_a_moderator_verifies_and_hands_on(hromada, actor, clock):
    alice, bob, carol = actor("alice"), actor("bob"), actor("carol")
    boss = actor("boss", admin=True)
    ref = add(hromada, alice, "Release checklist | tag, build, announce")
    hromada.run(bob, "kb", "search x")  # bob is a member
    with pytest.raises(Forbidden):
        hromada.run(bob, "kb", f"verify {ref}")
    with pytest.raises(Forbidden):
        hromada.run(bob, "kb", f"owner {ref} <@bob|Bob>")
    reply = hromada.run(alice, "kb", f"owner {ref} <@bob|Bob>")
    assert [n.recipients for n in reply.notices] == [("bob",)]
    assert "Owner: Bob" in hromada.run(carol, "kb", f"show {ref}").plain()
    with pytest.raises(Forbidden):  # the saver handed it on: no longer theirs
        hromada.run(alice, "kb", f"verify {ref}")
    hromada.run(bob, "kb", f"verify {ref}")
    hromada.run(boss, "kb", f"verify {ref}")  # moderators may
    mine = hromada.run(bob, "hromada", "mydata").plain()
    assert "Snippets you own: 1" in mine and "Risks you own" not in mine


def test_each_owner_gets_one_batched_reminder_a_week_however_many_runners(hromada, actor,
                                                                        clock, db):
    alice, bob = actor("alice"), actor("bob")
    a1 = add(hromada, alice, "VPN | token from IT")
    a2 = add(hromada, alice, "Wifi | ask reception")
    b1 = add(hromada, bob, "Deploys | Fridays never")
    clock.advance(timedelta(days=80))
    fresh = add(hromada, alice, "Lunch | at noon")
    clock.advance(timedelta(days=11))
    inbox = Inbox()
    first, second = runner(hromada, inbox, "one"), runner(hromada, inbox, "two")

    async def both() -> list[int]:
        return list(await asyncio.gather(first.tick(), second.tick()))

    assert sum(asyncio.run(both())) == 2
    assert sorted(r for r, _ in inbox.sent) == ["alice", "bob"]
    to_alice = next(t for r, t in inbox.sent if r == "alice")
    assert a1 in to_alice and a2 in to_alice and b1 not in to_alice and fresh not in to_alice
    # later the same week: nobody is reminded again, by either runner
    clock.advance(timedelta(hours=30))
    assert sum(asyncio.run(both())) == 0 and len(inbox.sent) == 2
    # next week, still stale: reminded again, once each
    clock.advance(timedelta(days=7))
    assert sum(asyncio.run(both())) == 2 and len(inbox.sent) == 4
    with db.uow() as session:
        claims = digests.claims_of(session, T, freshness.REMINDER_JOB)
    assert len(claims) == 4 and {c.status for c in claims} == {digests.POSTED}


def test_a_reminder_that_failed_is_retried_not_lost_nor_doubled(hromada, actor, clock):
    alice = actor("alice")
    add(hromada, alice, "VPN | token from IT")
    clock.advance(timedelta(days=91))
    inbox = Inbox(fail=1)
    one = runner(hromada, inbox, "one")
    assert asyncio.run(one.tick()) == 0 and inbox.sent == []
    assert asyncio.run(one.tick()) == 0  # backing off
    clock.advance(timedelta(minutes=1))
    assert asyncio.run(one.tick()) == 1 and len(inbox.sent) == 1
    assert asyncio.run(one.tick()) == 0 and len(inbox.sent) == 1


def test_verified_snippets_get_no_reminder(hromada, actor, clock):
    alice = actor("alice")
    ref = add(hromada, alice, "VPN | token from IT")
    clock.advance(timedelta(days=91))
    hromada.run(alice, "kb", f"verify {ref}")
    inbox = Inbox()
    assert asyncio.run(runner(hromada, inbox, "one").tick()) == 0 and inbox.sent == []


def test_the_digest_has_a_needs_a_look_section_only_when_something_is_stale(hromada, actor,
                                                                            clock, db):
    alice = actor("alice")
    ref = add(hromada, alice, "VPN access | token from IT")

    def digest_text() -> str:
        now = clock.now()
        period = Period("p", now - timedelta(days=7), now)
        with db.uow() as session:
            return build_digest(session, T, period, now=now).plain()

    assert "Needs a look" not in digest_text()
    clock.advance(timedelta(days=91))
    text = digest_text()
    assert "Needs a look" in text and f"{ref} “VPN access”" in text
    hromada.run(alice, "kb", f"verify {ref}")
    assert "Needs a look" not in digest_text()


def saved_from(hromada: Hromada, who, text: str, message: str) -> str:
    reply = hromada.save_message(who, text=text, link="https://x/1", source_author="Olena",
                                 source_message=freshness.source_key("C1", message))
    assert reply is not None
    return reply.plain().split("Saved as ")[1].split(":")[0]


def test_an_edited_message_moves_its_snippet_and_keeps_the_earlier_text(hromada, actor, clock,
                                                                        db):
    alice = actor("alice")
    ref = saved_from(hromada, alice, "Deploys go out on Tuesdays\nask Taras", "m1")
    clock.advance(timedelta(hours=1))
    assert hromada.source_edited(T, channel_id="C1", message_id="m1",
                                 text="Deploys go out on Thursdays\nask Taras",
                                 event_key="ev-1") == 1
    shown = hromada.run(alice, "kb", f"show {ref}").plain()
    assert "Thursdays" in shown and "Tuesdays" not in shown
    assert "Deploys go out on Thursdays" in shown.splitlines()[0]  # the title followed
    assert "Tuesdays" in hromada.run(alice, "kb", f"history {ref}").plain()
    # the same event again (a platform retry) changes nothing
    assert hromada.source_edited(T, channel_id="C1", message_id="m1", text="again",
                                 event_key="ev-1") == 0
    assert "again" not in hromada.run(alice, "kb", f"show {ref}").plain()
    assert hromada.source_deleted(T, channel_id="C1", message_id="m1", event_key="ev-2") == 1
    shown = hromada.run(alice, "kb", f"show {ref}").plain()
    assert "was deleted on" in shown and "Thursdays" in shown  # the snippet stays


def test_a_title_written_by_hand_stays_when_the_message_changes(hromada, actor, db):
    alice = actor("alice")
    ref = saved_from(hromada, alice, "Deploys go out on Tuesdays", "m1")
    with db.uow() as session:
        item = session.execute(select(Item).where(Item.kind == "snippet")).scalar_one()
        item.title = "Deploy day"
        session.add(item)
    hromada.source_edited(T, channel_id="C1", message_id="m1", text="Thursdays now")
    assert "Deploy day" in hromada.run(alice, "kb", f"show {ref}").plain()


def test_other_messages_edited_or_deleted_leave_no_trace(hromada, actor, db):
    alice = actor("alice")
    saved_from(hromada, alice, "Deploys go out on Tuesdays", "m1")

    def counts() -> tuple[int, int]:
        with db.uow() as session:
            return (session.execute(select(func.count()).select_from(ProcessedEvent))
                    .scalar_one(),
                    session.execute(select(func.count()).select_from(SnippetRevision))
                    .scalar_one())

    before = counts()
    assert hromada.source_edited(T, channel_id="C1", message_id="m2", text="secret plans",
                                 event_key="ev-9") == 0
    assert hromada.source_edited(T, channel_id="C2", message_id="m1", text="secret plans",
                                 event_key="ev-10") == 0
    assert hromada.source_deleted(T, channel_id="C1", message_id="m2", event_key="ev-11") == 0
    assert counts() == before


def test_the_owner_and_verify_commands_read_from_typed_options(hromada, actor):
    alice = actor("alice")
    ref = add(hromada, alice, "VPN | token from IT")
    said = hromada.invoke(alice, ("kb", "verify"), {"ref": ref}).plain()
    assert "is verified" in said
