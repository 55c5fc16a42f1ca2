"""A pulse answer leaves no trace that leads to a person (issue 10, section 1).

Each test attacks one promise: no reaction ever answers; no number from fewer than k people is
shown; an open pulse's visible results never move by one answer; the threshold is never below
3; answer rows carry nothing that orders them.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from core import pulses, schedule
from core.digest import build_digest
from core.errors import InvalidInput
from core.export import COLUMNS, rows
from core.replies import Visibility
from storage.culture import PulseAnswer
from storage.models import ProcessedEvent, Tenant
from tests.core.support import CHANNEL, message_id, post, react, submit

T = "console:test"
KEYCAPS = ("one", "two", "three", "four", "five", ":four:", "1\ufe0f\u20e3", "5\ufe0f\u20e3",
           "3\u20e3")
# A count of answers from 1 to 4 people (k = 5), however it is worded.
SMALL_COUNT = re.compile(r"\b[1-4] answers?\b|\banswers?: [1-4]\b")


def ask(hromada, actor, tenant: str = T) -> tuple[str, int]:
    reply = hromada.run(actor("boss", admin=True, tenant=tenant), "pulse",
                        "ask How clear are our goals?")
    item_id = post(hromada, reply, tenant)
    return reply.title.plain().split()[1], item_id


def answers(hromada) -> int:
    with hromada.db.uow() as session:
        return int(session.execute(select(func.count()).select_from(PulseAnswer)).scalar_one())


# -- private paths only -------------------------------------------------------------------


def test_a_keycap_reaction_on_a_pulse_card_answers_nothing(hromada, actor):
    ref, item_id = ask(hromada, actor)
    hromada.press(actor("alice"), "pulse.answer", f"{ref}:2")
    assert answers(hromada) == 1
    for n, emoji in enumerate(KEYCAPS):
        for added in (True, False):
            changed = hromada.react(actor("bob"), channel_id=CHANNEL,
                                    message_id=message_id(item_id), emoji=emoji, added=added,
                                    event_key=f"ev-{n}-{added}")
            assert changed is False, emoji
    assert answers(hromada) == 1  # the count did not move
    with hromada.db.uow() as session:  # nor was the event even taken as anything
        assert session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one() == 0
    assert "Your answer" not in hromada.run(actor("bob"), "pulse", f"results {ref}").plain()


def test_answers_are_acknowledged_privately_and_the_card_tells_who_sees_what(hromada, actor):
    boss = actor("boss", admin=True)
    card = hromada.run(boss, "pulse", "ask Do you feel heard?")
    assert card.visibility is Visibility.PUBLIC
    words = card.plain()
    for promise in ("only you see the confirmation", "stored without your name",
                    "Reactions on this message are public and do not count as answers",
                    "once a moderator closes the pulse", "groups of at least 5",
                    "answer privately with /pulse answer P-1"):
        assert promise in words, promise
    assert {a.action_id for a in card.actions} == {"pulse.answer"}
    post(hromada, card)
    for reply in (hromada.press(actor("alice"), "pulse.answer", "P-1:4"),
                  hromada.run(actor("bob"), "pulse", "answer P-1 2"),
                  hromada.run(actor("bob"), "pulse", "answer P-1 3")):
        assert reply.visibility is Visibility.PRIVATE
        assert not reply.notices and reply.item_id is None


# -- no number from fewer than k people ---------------------------------------------------


def test_pulse_list_never_shows_a_count_under_k_and_steps_by_k_while_open(hromada, actor):
    ref, _ = ask(hromada, actor)
    seen = []
    for n in range(1, 13):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} {n % 5 + 1}")
        listed = hromada.run(actor("watcher"), "pulse", "list").plain()
        assert not SMALL_COUNT.search(listed), listed
        seen.append(listed.split("(")[-1])
    assert seen[:4] == ["fewer than 5 answers · open)"] * 4
    assert seen[4:9] == ["at least 5 answers · open)"] * 5
    assert seen[9:] == ["at least 10 answers · open)"] * 3
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")
    assert "(12 answers · closed)" in hromada.run(actor("watcher"), "pulse", "list").plain()


def test_a_closed_pulse_with_fewer_than_k_answers_shows_no_count(hromada, actor):
    ref, _ = ask(hromada, actor)
    for n in range(4):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} 5")
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")
    for command in ("list", f"results {ref}"):
        shown = hromada.run(actor("watcher"), "pulse", command).plain()
        assert not SMALL_COUNT.search(shown) and "average" not in shown, shown


def test_stats_hide_a_number_computed_from_fewer_than_k_people(hromada, actor):
    people = [actor(f"eng{n}") for n in range(6)]
    for p in people:
        hromada.run(p, "people", "me department Engineering")
    topics = ("quiet rooms", "late lunches", "bike racks", "standing desks", "plant care",
              "tea kettle")
    ideas = [submit(hromada, p, "idea", f"Let us talk about {topic}")
             for p, topic in zip(people, topics, strict=True)]
    for item_id in ideas[1:]:  # one voter, five votes: five is one person's number
        react(hromada, people[0], item_id)
    shown = hromada.run(people[1], "hromada", "stats").plain()
    assert "Engineering: contributors 6" in shown and "submissions 6" in shown
    assert "votes <5" in shown and "votes 5" not in shown


# -- an open pulse's results never move by one answer -------------------------------------


def _views(hromada, actor, ref: str, tenant: str = T) -> tuple[str, ...]:
    """What a member who never answered and a moderator can see of the pulse."""
    watcher, boss = actor("watcher", tenant=tenant), actor("boss", admin=True, tenant=tenant)
    return (hromada.run(watcher, "pulse", f"results {ref}").plain(),
            hromada.run(boss, "pulse", f"results {ref}").plain(),
            hromada.run(watcher, "pulse", "list").plain())


def test_two_views_of_an_open_pulse_never_differ_by_one_answer(hromada, actor):
    ref, _ = ask(hromada, actor)
    before = _views(hromada, actor, ref)
    for n in range(1, 13):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} {n % 5 + 1}")
        after = _views(hromada, actor, ref)
        assert all("average" not in v for v in after)
        if n % 5:  # one more answer, not a step of k: nothing a person sees moved
            assert after == before, n
        before = after
        # An answer changed: no view moves either.
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} {(n + 2) % 5 + 1}")
        assert _views(hromada, actor, ref) == before, n


def test_open_views_tell_nothing_about_the_values(hromada, actor):
    """Two workspaces, the same people, opposite answers: every open view reads the same."""
    low, _ = ask(hromada, actor, "console:low")
    high, _ = ask(hromada, actor, "console:high")
    for n in range(7):
        hromada.run(actor(f"m{n}", tenant="console:low"), "pulse", f"answer {low} 1")
        hromada.run(actor(f"m{n}", tenant="console:high"), "pulse", f"answer {high} 5")
        assert _views(hromada, actor, low, "console:low") == _views(hromada, actor, high,
                                                                    "console:high")


def test_a_closed_pulse_takes_no_answer_and_its_results_stay(hromada, actor):
    ref, _ = ask(hromada, actor)
    for n in range(6):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} {n % 5 + 1}")
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")
    final = _views(hromada, actor, ref)
    assert "Overall: 6 answers, average 2.7" in final[0]
    with pytest.raises(InvalidInput):
        hromada.run(actor("late"), "pulse", f"answer {ref} 5")
    with pytest.raises(InvalidInput):
        hromada.press(actor("m1"), "pulse.answer", f"{ref}:5")
    hromada.run(actor("m2"), "hromada", "forget-me confirm")
    assert _views(hromada, actor, ref) == final


def test_the_digest_shows_a_pulse_only_once_closed(hromada, actor, clock):
    ref, _ = ask(hromada, actor)
    for n in range(6):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} 4")

    def digest_pulses() -> list[str]:
        with hromada.db.uow() as session:
            tenant = session.get(Tenant, T)
            period = schedule.current_period(tenant, clock.now() + timedelta(days=7))
            reply = build_digest(session, tenant, period)
            found = pulses.digest_results(session, tenant, period.start, period.end)
        fields = [f.value.plain() for f in reply.fields if f.label == "Pulse results"]
        return fields + [str(result.overall.n) for _item, result in found]

    assert digest_pulses() == []  # open: six answers, and still nothing
    clock.set(clock.now() + timedelta(hours=1))
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")
    [section, n] = digest_pulses()
    assert "P-1" in section and "6 answers, average 4.0" in section and n == "6"


# -- the threshold ------------------------------------------------------------------------


def test_the_threshold_cannot_be_set_below_3_and_defaults_to_5(hromada, actor, db):
    boss = actor("boss", admin=True)
    hromada.run(boss, "idea", "Make the tenant exist")
    with db.uow() as session:
        assert session.get(Tenant, T).anonymity_k == 5
    for low in ("2", "1"):
        with pytest.raises(InvalidInput) as refused:
            hromada.run(boss, "hromada", f"settings threshold {low}")
        message = refused.value.message.format(**refused.value.params)
        assert "cannot be below 3" in message and "work out the other's answer" in message
        assert refused.value.usage == "/hromada settings threshold <k>"
        with db.uow() as session:
            assert session.get(Tenant, T).anonymity_k == 5
    hromada.run(boss, "hromada", "settings threshold 3")
    with db.uow() as session:
        assert session.get(Tenant, T).anonymity_k == 3


# -- answer rows --------------------------------------------------------------------------


def test_answer_rows_carry_nothing_that_orders_them(hromada, actor, db):
    ref, _ = ask(hromada, actor)
    for n in range(3):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} 3")
    found = inspect(db.engine)
    columns = {c["name"]: c for c in found.get_columns("pulse_answer")}
    assert set(columns) == {"item_id", "answer_key", "tenant_id", "value", "department"}
    assert found.get_pk_constraint("pulse_answer")["constrained_columns"] == ["item_id",
                                                                               "answer_key"]
    for column in columns.values():  # no time of any grain, no sequence behind a column
        assert "DATE" not in str(column["type"]).upper()
        assert "TIME" not in str(column["type"]).upper()
        assert "nextval" not in str(column.get("default") or "")
        assert not column.get("identity")
    if db.is_sqlite:  # WITHOUT ROWID: not even the hidden insertion order is there
        with pytest.raises(DBAPIError), db.engine.connect() as conn:
            conn.execute(text("SELECT rowid FROM pulse_answer"))


def test_logs_name_no_answerer(hromada, actor, caplog):
    ref, _ = ask(hromada, actor)
    caplog.set_level(logging.DEBUG)
    hromada.press(actor("zoryana"), "pulse.answer", f"{ref}:4")
    hromada.run(actor("ostap"), "pulse", f"answer {ref} 2")
    for record in caplog.records:
        said = str(record.__dict__).lower()
        assert "zoryana" not in said and "ostap" not in said


def test_export_carries_no_pulse_count(hromada, actor, db):
    ref, _ = ask(hromada, actor)
    for n in range(3):
        hromada.run(actor(f"m{n}"), "pulse", f"answer {ref} 5")
    with db.uow() as session:
        [row] = [r for r in rows(session, T) if r["ref"] == ref]
    assert list(row) == COLUMNS
    assert (row["score"], row["up"], row["down"]) == (0, 0, 0)


def test_closing_seals_the_answers_so_nothing_leads_back_to_anyone(hromada, actor, db):
    """Once closed, no answer can change: each key (a keyed hash of the member) becomes a random
    one, so not even the server's secret finds anyone's answer; and PostgreSQL's bookkeeping
    (the writing transaction ``xmin``, the heap place ``ctid``) no longer follows the order
    people answered in."""
    ref, item_id = ask(hromada, actor)
    people = [actor(f"m{n}") for n in range(7)]
    for n, p in enumerate(people):
        hromada.run(p, "pulse", f"answer {ref} {n % 5 + 1}")
    hromada.run(people[3], "pulse", f"answer {ref} 1")  # a changed answer, written later

    def stored() -> list[tuple[str, int, str | None]]:
        with db.uow() as session:
            return sorted((a.answer_key, a.value, a.department)
                          for a in session.execute(select(PulseAnswer)).scalars())

    before = stored()
    mine = hromada.run(people[0], "hromada", "mydata").plain()
    assert "Your pulse answers (stored without your name): 1" in mine
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")
    after = stored()
    assert sorted(r[1:] for r in after) == sorted(r[1:] for r in before)  # every answer kept
    assert not {r[0] for r in after} & {r[0] for r in before}  # and no key survived
    links = {pulses.answer_key(b"test-secret", T, item_id, p.user_id) for p in people}
    assert not links & {r[0] for r in after}
    for p in people:
        assert "Your answer" not in hromada.run(p, "pulse", f"results {ref}").plain()
        assert "Your pulse answers (stored without your name): 0" in hromada.run(
            p, "hromada", "mydata").plain()
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT xmin::text, answer_key FROM pulse_answer WHERE item_id = :i "
                "ORDER BY ctid"), {"i": item_id}).all()
        assert len({r[0] for r in rows}) == 1
        assert [r[1] for r in rows] == sorted(r[1] for r in rows)
