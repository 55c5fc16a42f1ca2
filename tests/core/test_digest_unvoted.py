"""The digest lists the week's new ideas nobody has voted on yet, so somebody sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core import schedule
from core.app import Hromada
from core.clock import ManualClock
from core.digest import build_digest
from core.replies import Reply
from core.text import UserText
from storage.models import Tenant
from tests.core.support import react, submit

T = "console:test"
WAITING = "New ideas waiting for your vote"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _digest(hromada: Hromada, tmp_path: Path, end: datetime) -> Reply:
    with hromada.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        return build_digest(session, tenant, schedule.period_ending(end, "UTC"),
                            image_dir=tmp_path, now=end)


def _section(reply: Reply, label: str) -> list[str]:
    (field,) = [f for f in reply.fields if f.label == label]
    return field.value.plain().splitlines()


def test_new_unvoted_ideas_are_listed_between_top_ideas_and_status_changes(
        hromada: Hromada, actor, clock: ManualClock, tmp_path: Path) -> None:
    alice, bob, cara, boss = actor("alice"), actor("bob"), actor("cara"), actor("boss", admin=True)
    clock.set(utc(2026, 2, 24, 10))  # the week before: never "new this week"
    old = submit(hromada, alice, "idea", "Old idea nobody voted on")
    clock.set(utc(2026, 3, 3, 10))  # Tuesday of the digest's week
    voted = submit(hromada, alice, "idea", "Standing desks for the support team")
    react(hromada, bob, voted)
    submit(hromada, bob, "idea", "Lunch talks every other Thursday <!channel> @everyone")
    submit(hromada, cara, "idea", "anon Shorter meetings on Fridays")
    even = submit(hromada, cara, "idea", "A plant for every desk")
    react(hromada, alice, even)
    react(hromada, bob, even, "-1")
    gone = submit(hromada, cara, "idea", "Withdrawn before anyone saw it")
    hromada.run(cara, "idea", f"withdraw {gone}")
    hromada.run(boss, "idea", f"status {old} reviewing")

    reply = _digest(hromada, tmp_path, utc(2026, 3, 6, 9))  # Friday
    labels = [f.label for f in reply.fields]
    assert labels[:3] == ["Top ideas of the week", WAITING, "Status changes"]
    assert _section(reply, WAITING) == [
        "• I-3 “Lunch talks every other Thursday <!channel> @everyone”",
        "• I-4 “Shorter meetings on Fridays”",
    ]
    parts = [p for f in reply.fields if f.label == WAITING for p in f.value.parts]
    assert UserText("Lunch talks every other Thursday <!channel> @everyone") in parts
    assert not any("<!channel>" in p for p in parts if isinstance(p, str))
    assert "Cara" not in reply.plain() and "cara" not in reply.plain()


def test_an_idea_drops_out_once_voted_and_the_list_is_capped(
        hromada: Hromada, actor, clock: ManualClock, tmp_path: Path) -> None:
    alice, bob = actor("alice"), actor("bob")
    clock.set(utc(2026, 3, 3, 10))
    titles = ["Standing desks", "Lunch talks", "Quiet room", "Bike racks", "Team offsite",
              "Open salaries", "Book club", "Shorter meetings", "Plant budget", "Night bus pass"]
    refs = [submit(hromada, alice, "idea", title) for title in titles]
    reply = _digest(hromada, tmp_path, utc(2026, 3, 6, 9))
    rows = _section(reply, WAITING)
    assert len(rows) == 9 and rows[-1] == "• …and 2 more"
    for ref in refs:
        react(hromada, bob, ref)
    reply = _digest(hromada, tmp_path, utc(2026, 3, 6, 9))
    assert WAITING not in [f.label for f in reply.fields]


def test_the_section_in_ukrainian(hromada: Hromada, actor, clock: ManualClock,
                                  tmp_path: Path) -> None:
    hromada.run(actor("boss", admin=True), "hromada", "settings language uk")
    clock.set(utc(2026, 3, 3, 10))
    submit(hromada, actor("alice"), "idea", "Lunch talks every other Thursday")
    reply = _digest(hromada, tmp_path, utc(2026, 3, 6, 9))
    assert [f.label for f in reply.fields] == ["Нові ідеї чекають на ваш голос"]
