"""The digest of a seeded tenant: its sections, their order and contents, English and Ukrainian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from core import schedule
from core.app import Hromada
from core.clock import ManualClock
from core.digest import build_digest, top_ideas
from core.replies import Reply, Visibility
from core.text import UserText
from storage.db import Database
from storage.models import Item, Tenant
from tests.core.support import react, submit

T = "console:test"
ENGLISH = ["Top ideas of the week", "Status changes", "New and escalated risks", "New knowledge",
           "Open questions for leadership", "Pulse results", "Kudos by value", "Participation"]
UKRAINIAN = ["Найкращі ідеї тижня", "Зміни статусів", "Нові ризики та ризики, що зросли",
             "Нові знання", "Відкриті запитання до керівництва", "Результати опитувань",
             "Подяки за цінностями", "Участь"]
PERIOD_END = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC, the default schedule


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def seeded(hromada: Hromada, actor, clock: ManualClock) -> Hromada:
    """Two departments of three, a week before the period and a week inside it."""
    boss = actor("boss", admin=True)
    people = {n: actor(n) for n in ("alice", "bob", "cara", "dan", "eve", "fay")}
    clock.set(utc(2026, 2, 25, 10))
    hromada.run(boss, "hromada", "settings threshold 3")
    for name, who in people.items():
        dept = "Engineering" if name in ("alice", "bob", "cara") else "Sales"
        hromada.run(who, "people", f"me department {dept}")
    # The week before: not in this digest, but last week's participation and R-1's old rating.
    old_idea = submit(hromada, people["alice"], "idea", "Old idea about the coffee machine")
    hromada.run(people["bob"], "risk", "Vendor lock-in on the message queue")
    hromada.run(people["bob"], "risk", "rate R-1 2 2")
    submit(hromada, people["dan"], "idea", "Rotate the on-call rota across teams")
    # This week.
    clock.set(utc(2026, 3, 3, 10))
    wiki = submit(hromada, people["alice"], "idea", "Dark mode for the wiki <!channel> @everyone")
    quiet = submit(hromada, people["bob"], "idea", "Quiet hours on Wednesday mornings")
    anon = submit(hromada, people["cara"], "idea", "anon Pay for conference tickets up front")
    for who in ("bob", "cara", "dan", "eve"):
        react(hromada, people[who], wiki)
    react(hromada, people["fay"], wiki, "-1")
    for who in ("alice", "dan"):
        react(hromada, people[who], quiet)
    for who in ("alice", "bob", "dan", "eve", "fay"):
        react(hromada, people[who], anon)
    react(hromada, people["eve"], old_idea)
    hromada.run(boss, "idea", "status I-1 planned Budget approved")
    hromada.run(people["bob"], "risk", "rate R-1 4 5")
    hromada.run(people["cara"], "risk", "Nobody has tested restoring the backups")
    hromada.run(people["cara"], "risk", "rate R-2 3 3")
    hromada.run(people["cara"], "risk", "Office lease ends in June")
    hromada.run(people["alice"], "kb", "add VPN access | Ask in #it-help with your laptop serial "
                "#onboarding")
    why = submit(hromada, people["eve"], "ask", "Why do we use two issue trackers?")
    remote = submit(hromada, people["fay"], "ask", "What is the remote work policy for 2026?")
    for who in ("alice", "bob"):
        react(hromada, people[who], why)
    react(hromada, people["cara"], remote)
    hromada.run(boss, "pulse", "ask How sustainable was your workload this week?")
    for who, value in zip(("alice", "bob", "cara", "dan", "eve"), (4, 3, 5, 4, 2), strict=True):
        hromada.run(people[who], "pulse", f"answer P-1 {value}")
    hromada.run(boss, "pulse", "close P-1")  # results are shown once a pulse is closed
    hromada.run(people["alice"], "kudos", "@bob #teamwork for pairing on the outage")
    hromada.run(people["dan"], "kudos", "@eve #teamwork for the customer call")
    hromada.run(people["eve"], "kudos", "@fay #craft for the release notes")
    with hromada.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        tenant.created_at = utc(2026, 2, 1)
    clock.set(PERIOD_END)
    return hromada


def _digest(hromada: Hromada, tmp_path: Path) -> Reply:
    with hromada.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        period = schedule.current_period(tenant, PERIOD_END)
        assert (period.key, period.start, period.end) == ("2026-03-09", utc(2026, 3, 2, 9),
                                                          PERIOD_END)
        return build_digest(session, tenant, period, image_dir=tmp_path)


def _section(reply: Reply, label: str) -> list[str]:
    (field,) = [f for f in reply.fields if f.label == label]
    return field.value.plain().splitlines()


def test_digest_sections_in_order_with_their_contents(seeded: Hromada, tmp_path: Path) -> None:
    reply = _digest(seeded, tmp_path)
    assert [f.label for f in reply.fields] == ENGLISH
    assert reply.title is not None
    assert reply.title.plain() == "Weekly digest: 2026-03-02 – 2026-03-09"
    assert reply.visibility is Visibility.PUBLIC
    assert _section(reply, ENGLISH[0]) == [
        "• I-5 “Pay for conference tickets up front” · +5 (votes: 5)",
        "• I-3 “Dark mode for the wiki <!channel> @everyone” · +3 (votes: 5)",
        "• I-4 “Quiet hours on Wednesday mornings” · +2 (votes: 2)",
        "• I-1 “Old idea about the coffee machine” · +1 (votes: 1)",
    ]
    assert _section(reply, ENGLISH[1]) == [
        "• I-1 “Old idea about the coffee machine”: new → planned",
        "• P-1 “How sustainable was your workload this week?”: open → closed"]
    assert _section(reply, ENGLISH[2]) == [
        "• R-1 “Vendor lock-in on the message queue” · 4×5 = 20 · escalated from 2×2",
        "• R-2 “Nobody has tested restoring the backups” · 3×3 = 9 · new this week",
        "• R-3 “Office lease ends in June” · not rated · new this week",
    ]
    assert _section(reply, ENGLISH[3]) == ["• K-1 “VPN access”"]
    assert _section(reply, ENGLISH[4]) == [
        "• Q-1 “Why do we use two issue trackers?” · +2",
        "• Q-2 “What is the remote work policy for 2026?” · +1",
    ]
    (pulse,) = _section(reply, ENGLISH[5])
    assert pulse.startswith("• P-1 “How sustainable was your workload this week?”: 5 answers, "
                            "average 3.6")
    assert _section(reply, ENGLISH[6]) == ["• #teamwork: 2", "• #craft: 1"]
    # This week: Engineering 3 (alice, bob, cara: her anonymous idea does not count, her risks
    # do), Sales 3, and the boss alone without a department. The boss (1) is under k = 3, and
    # would be uncovered by subtracting the shown groups from the total, so the next smallest
    # group (Engineering) is hidden with him. Last week: Engineering 2, Sales 1: both hidden.
    assert _section(reply, ENGLISH[7]) == [
        "• Contributors this week: 7 (last week: 3)",
        "• Sales: 3 (last week: <3)",
        "• Departments with fewer than 3 contributors are not shown.",
    ]


def test_digest_text_is_inert_and_anonymous(seeded: Hromada, tmp_path: Path) -> None:
    reply = _digest(seeded, tmp_path)
    parts = [p for f in reply.fields for p in f.value.parts]
    assert UserText("Dark mode for the wiki <!channel> @everyone") in parts
    assert not any("<!channel>" in p for p in parts if isinstance(p, str))
    assert "Cara" not in reply.plain()  # the anonymous idea names nobody


def test_digest_picture_holds_heat_map_and_trend(seeded: Hromada, tmp_path: Path) -> None:
    reply = _digest(seeded, tmp_path)
    assert reply.image is not None and reply.image.parent == tmp_path
    with Image.open(reply.image) as img:
        assert img.format == "PNG"
        assert img.width > img.height  # two pictures side by side


def test_digest_in_ukrainian(seeded: Hromada, actor, tmp_path: Path) -> None:
    seeded.run(actor("boss", admin=True), "hromada", "settings language uk")
    reply = _digest(seeded, tmp_path)
    assert [f.label for f in reply.fields] == UKRAINIAN
    assert reply.title is not None
    assert reply.title.plain() == "Щотижневий дайджест: 2026-03-02 – 2026-03-09"
    assert _section(reply, UKRAINIAN[0])[0] == (
        "• I-5 “Pay for conference tickets up front” · +5 (голосів: 5)")
    assert _section(reply, UKRAINIAN[2])[0].endswith("зріс із 2×2")
    assert _section(reply, UKRAINIAN[7])[0] == "• Дописувачів цього тижня: 7 (минулого тижня: 3)"


def test_empty_sections_are_left_out(hromada: Hromada, actor, clock: ManualClock,
                                     tmp_path: Path) -> None:
    alice = actor("alice")
    hromada.run(alice, "kb", "add Printer setup | Use the second floor printer")
    clock.set(utc(2026, 3, 20))
    with hromada.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        quiet = build_digest(session, tenant, schedule.current_period(tenant, clock.now()),
                             image_dir=tmp_path)
        busy = build_digest(session, tenant, schedule.period_ending(utc(2026, 3, 3), "UTC"),
                            image_dir=tmp_path)
    assert quiet.fields == [] and quiet.image is None
    assert quiet.text.plain() == "A quiet week: nothing new to report."
    assert [f.label for f in busy.fields] == ["New knowledge"]


def test_preview_is_private_and_says_when_the_next_one_goes(seeded: Hromada, actor) -> None:
    reply = seeded.run(actor("dan"), "digest", "preview")
    assert reply.visibility is Visibility.PRIVATE
    assert [f.label for f in reply.fields][:1] == ["Top ideas of the week"]
    assert "/digest here" in reply.footer


def test_top_ideas_reads_the_time_index_not_the_unique_one(db: Database) -> None:
    """The planner trap: UNIQUE(item_id, member_id) must not drive the weekly aggregate."""
    if not db.is_sqlite:
        pytest.skip("SQLite's planner; PostgreSQL plans are checked by bench/bench_digest.py")
    period = schedule.period_ending(PERIOD_END, "UTC")
    with db.uow() as session:
        assert top_ideas(session, T, period) == []
        statements: list[tuple[str, object]] = []
        from sqlalchemy import event

        def grab(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            if "FROM vote" in statement:
                statements.append((statement, params))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            top_ideas(session, T, period)  # an empty week: the first read and the wider one
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        assert len(statements) == 2
        for sql, params in statements:
            plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                                        params).all()  # type: ignore[arg-type]
            details = " | ".join(str(r[-1]) for r in plan)
            assert "ix_vote_tenant_created" in details, details
            assert "uq_vote_member" not in details, details


def test_closed_weeks_are_counted_once_and_kept(seeded: Hromada, actor, clock: ManualClock,
                                               tmp_path: Path) -> None:
    from storage.digests import ParticipationWeek

    with seeded.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        period = schedule.current_period(tenant, PERIOD_END)
        # Built by the scheduler a minute after the period: its own week is not over for long.
        first = build_digest(session, tenant, period, image_dir=tmp_path,
                             now=PERIOD_END + timedelta(minutes=1))
    with seeded.db.uow() as session:
        kept = session.execute(select(ParticipationWeek.week_end)).scalars().all()
        assert len(kept) == 7 and max(kept).replace(tzinfo=None) == datetime(2026, 3, 2, 9)
    # Last week's authorship changes later (say a forgotten member): the kept count stands,
    # while the week still open is counted again.
    clock.set(utc(2026, 3, 9, 8, 59))
    seeded.run(actor("gus"), "people", "me department Sales")
    seeded.run(actor("gus"), "idea", "A late idea just before the digest")
    with seeded.db.uow() as session:
        session.execute(update(Item).where(Item.title == "Rotate the on-call rota across teams")
                        .values(author_id=None))
    with seeded.db.uow() as session:
        tenant = session.get(Tenant, T)
        assert tenant is not None
        again = build_digest(session, tenant, period, image_dir=tmp_path,
                             now=PERIOD_END + timedelta(minutes=2))
    assert _section(first, ENGLISH[7])[0] == "• Contributors this week: 7 (last week: 3)"
    assert _section(again, ENGLISH[7])[0] == "• Contributors this week: 8 (last week: 3)"


def test_top_ideas_look_further_when_other_items_take_the_best_places(
        hromada: Hromada, actor, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Votes on risks fill the first places of the week: the ideas below them still count."""
    from core import digest

    voters = [actor(f"v{i}") for i in range(4)]
    idea = submit(hromada, actor("alice"), "idea", "Idea with one vote")
    risks = [submit(hromada, actor("bob"), "risk", f"Risk number {i} about the {w}")
             for i, w in enumerate(("servers", "office", "budget"))]
    for risk in risks:
        for v in voters:
            react(hromada, v, risk)
    react(hromada, voters[0], idea)
    period = schedule.period_ending(clock.now() + timedelta(hours=1), "UTC")
    monkeypatch.setattr(digest, "FETCH_FACTOR", 1)
    with hromada.db.uow() as session:
        assert digest._top(session, T, period, 2, 2) == []  # only risks in the best two
        for limit in (1, 2, 3):  # the first read holds no idea: every item is looked at
            got = top_ideas(session, T, period, limit=limit)
            assert [(r[0].title, r[1]) for r in got] == [("Idea with one vote", 1)]
