"""Pulse surveys: buttons and text answer the same, answers are anonymous, small groups hidden,
results shown once the pulse is closed."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from core import pulses
from core.errors import Forbidden, InvalidInput
from core.export import export
from core.i18n import gettext_for
from core.replies import Visibility
from storage.culture import PulseAnswer
from storage.models import Tenant
from tests.core.support import everything, post

NOT_ENOUGH = "not enough answers yet"


def crowd(hromada, actor, department: str | None, n: int, prefix: str) -> list:
    people = [actor(f"{prefix}{i}") for i in range(n)]
    for p in people:
        if department:
            hromada.run(p, "people", f"me department {department}")
    return people


def ask(hromada, actor, question: str = "How clear are our goals?") -> str:
    reply = hromada.run(actor("boss", admin=True), "pulse", f"ask {question}")
    post(hromada, reply)
    return reply.title.plain().split()[1]  # "📊 P-1 · ..." -> "P-1"


def test_ask_posts_publicly_with_five_buttons(hromada, actor):
    reply = hromada.run(actor("boss", admin=True), "pulse", "ask How clear are our goals?")
    assert reply.visibility is Visibility.PUBLIC and reply.item_id is not None
    assert [a.value for a in reply.actions] == [f"P-1:{n}" for n in range(1, 6)]
    assert {a.action_id for a in reply.actions} == {"pulse.answer"}
    with pytest.raises(Forbidden):
        hromada.run(actor("alice"), "pulse", "ask Me too?")


def close(hromada, actor, ref: str) -> None:
    hromada.run(actor("boss", admin=True), "pulse", f"close {ref}")


def test_button_and_text_answer_alike_and_replace(hromada, actor, db):
    ref = ask(hromada, actor)
    alice = actor("alice")
    pressed = hromada.press(alice, "pulse.answer", f"{ref}:3")
    assert "3" in pressed.plain() and pressed.visibility is Visibility.PRIVATE
    changed = hromada.run(alice, "pulse", f"answer {ref} 5")
    assert "now 5 (was 3)" in changed.plain() and changed.visibility is Visibility.PRIVATE
    assert "Your answer: 5" in hromada.run(alice, "pulse", f"results {ref}").plain()
    hromada.press(actor("bob"), "pulse.answer", f"{ref}:4")
    with db.uow() as session:
        values = sorted(a.value for a in session.execute(select(PulseAnswer)).scalars())
    assert values == [4, 5]


def test_bad_answers_write_nothing(hromada, actor, db):
    ref = ask(hromada, actor)
    alice = actor("alice")
    for text in [f"answer {ref} 7", f"answer {ref} 0", f"answer {ref}", "answer I-1 3",
                 f"answer {ref} three"]:
        with pytest.raises(InvalidInput):
            hromada.run(alice, "pulse", text)
    with pytest.raises(InvalidInput):
        hromada.press(alice, "pulse.answer", f"{ref}:9")
    with db.uow() as session:
        assert session.execute(select(PulseAnswer)).first() is None


def test_department_with_k_minus_one_answers_is_not_shown(hromada, actor, db):
    ref = ask(hromada, actor)
    big = crowd(hromada, actor, "Engineering", 6, "eng")
    mid = crowd(hromada, actor, "Sales", 5, "sal")
    small = crowd(hromada, actor, "Support", 4, "sup")  # k - 1 with the default k = 5
    loners = crowd(hromada, actor, "Legal", 1, "leg")
    for people, value in ((big, 4), (mid, 2), (small, 1), (loners, 5)):
        for p in people:
            hromada.run(p, "pulse", f"answer {ref} {value}")
    close(hromada, actor, ref)
    text = hromada.run(actor("anyone"), "pulse", f"results {ref}").plain()
    assert "Overall: 16 answers, average 2.7" in text
    assert "Engineering: 6 answers, average 4.0" in text
    assert "Sales: 5 answers, average 2.0" in text
    assert f"Support: {NOT_ENOUGH}" in text
    assert f"Legal: {NOT_ENOUGH}" in text
    # The digest's words for the same pulse.
    with db.uow() as session:
        tenant = session.get(Tenant, "console:test")
        [(_item, result)] = pulses.digest_results(session, tenant, tenant.created_at.replace(
            year=2000), tenant.created_at.replace(year=2100))
        overall, lines = pulses.describe(gettext_for("en"), result)
    digest_text = "\n".join(ln.text.plain() for ln in lines)
    assert f"Support: {NOT_ENOUGH}" in digest_text and "Support: 4" not in digest_text


def test_hidden_groups_are_never_recoverable_by_subtraction(hromada, actor):
    ref = ask(hromada, actor)
    for people, value in ((crowd(hromada, actor, "Engineering", 7, "e"), 4),
                          (crowd(hromada, actor, "Sales", 5, "s"), 3),
                          (crowd(hromada, actor, "Support", 4, "u"), 1)):
        for p in people:
            hromada.run(p, "pulse", f"answer {ref} {value}")
    close(hromada, actor, ref)
    text = hromada.run(actor("anyone"), "pulse", f"results {ref}").plain()
    # Support (4) alone would be overall minus the others; Sales is hidden with it.
    assert f"Support: {NOT_ENOUGH}" in text and f"Sales: {NOT_ENOUGH}" in text
    assert "Engineering: 7 answers" in text


def test_overall_below_k_shows_nothing(hromada, actor):
    ref = ask(hromada, actor)
    for p in crowd(hromada, actor, "Sales", 4, "s"):
        hromada.run(p, "pulse", f"answer {ref} 5")
    close(hromada, actor, ref)
    text = hromada.run(actor("boss", admin=True), "pulse", f"results {ref}").plain()
    assert f"Overall: {NOT_ENOUGH}" in text
    assert "average" not in text and "5: " not in text
    with hromada.db.uow() as session:
        tenant = session.get(Tenant, "console:test")
        found = pulses.digest_results(session, tenant, tenant.created_at.replace(year=2000),
                                      tenant.created_at.replace(year=2100))
    assert found == []


def test_nothing_ties_an_answer_to_a_member(hromada, actor, db):
    ref = ask(hromada, actor)
    people = crowd(hromada, actor, "Engineering", 5, "zed")
    for n, p in enumerate(people):
        hromada.run(p, "pulse", f"answer {ref} {n % 5 + 1}")
    columns = {c["name"] for c in inspect(db.engine).get_columns("pulse_answer")}
    assert columns == {"tenant_id", "item_id", "answer_key", "value", "department"}
    with db.uow() as session:
        rows = session.execute(select(PulseAnswer)).scalars().all()
        dump = export(session, "console:test", "json") + export(session, "console:test", "csv")
    user_ids = {p.user_id for p in people}
    for row in rows:
        assert row.answer_key not in user_ids and len(row.answer_key) == 64
        assert not any(u in row.answer_key for u in user_ids)
    close(hromada, actor, ref)
    moderator_view = everything(hromada.run(actor("boss", admin=True), "pulse", f"results {ref}"))
    for p in people:
        assert p.display_name not in moderator_view
        assert p.display_name not in dump


def test_templates_and_enps(hromada, actor):
    boss = actor("boss", admin=True)
    reply = hromada.run(boss, "pulse", "ask template enps")
    assert "recommend us as a place to work" in reply.title.plain()
    post(hromada, reply)
    mission = hromada.run(boss, "pulse", "ask template mission")
    assert "mission" in mission.title.plain()
    with pytest.raises(InvalidInput):
        hromada.run(boss, "pulse", "ask template")
    values = [5, 5, 5, 4, 3, 1]  # promoters 3, detractors 2 of 6 -> +17
    for n, v in enumerate(values):
        hromada.run(actor(f"p{n}"), "pulse", f"answer P-1 {v}")
    hromada.run(boss, "pulse", "close P-1")
    text = hromada.run(boss, "pulse", "results P-1").plain()
    assert "eNPS +17" in text
    assert "1: 1  2: 0  3: 1  4: 1  5: 3" in text


def test_closed_pulse_takes_no_answers_and_lists(hromada, actor):
    ref = ask(hromada, actor)
    boss = actor("boss", admin=True)
    hromada.run(actor("alice"), "pulse", f"answer {ref} 2")
    assert "closed" in hromada.run(boss, "pulse", f"close {ref}").plain()
    with pytest.raises(InvalidInput):
        hromada.run(actor("bob"), "pulse", f"answer {ref} 2")
    listed = hromada.run(actor("bob"), "pulse", "list").plain()
    assert "P-1" in listed and "fewer than 5 answers" in listed and "1 answers" not in listed


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    reply = hromada.run(boss, "pulse", "ask template enps")
    assert "рекомендуєте" in reply.title.plain()
    hromada.run(actor("alice"), "pulse", "answer P-1 4")
    text = hromada.run(boss, "pulse", "results P-1").plain()
    assert "ще відкрите" in text and "відповідей: менше ніж 5" in text
    hromada.run(boss, "pulse", "close P-1")
    text = hromada.run(boss, "pulse", "results P-1").plain()
    assert "ще замало відповідей" in text
