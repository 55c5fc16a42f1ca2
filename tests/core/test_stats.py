"""Participation by department, this week against last, every cell under k hidden."""

from __future__ import annotations

from datetime import timedelta

from core.stats import suppressed, week_start
from tests.core.support import react, submit

WORDS = ["apple", "violin", "glacier", "turbine", "meadow", "lantern", "harbor", "quartz",
         "saddle", "pepper", "comet", "walrus", "bamboo", "oyster", "falcon", "tundra", "marble",
         "cactus", "nebula", "anchor"]


def phrase(n: int) -> str:
    """Texts far enough apart that the duplicate prompt never fires."""
    return f"{WORDS[n % 20]} {WORDS[(n * 7 + 3) % 20]} {n}"


def team(hromada, actor, department: str, n: int, prefix: str) -> list:
    people = [actor(f"{prefix}{i}") for i in range(n)]
    for p in people:
        hromada.run(p, "people", f"me department {department}")
    return people


def line_for(reply, department: str) -> str:
    [line] = [ln.text.plain() for ln in reply.lines if ln.text.plain().startswith(department)]
    return line


def test_suppression_rule():
    assert suppressed({"a": 9, "b": 5, "c": 4}, 5) == {"b", "c"}
    assert suppressed({"a": 9, "b": 5, "c": 4, "d": 1}, 5) == {"c", "d"}
    assert suppressed({"a": 9, "b": 7}, 5) == set()
    assert suppressed({"a": 3}, 5) == {"a"}


def test_stats_this_week_vs_last_with_small_cells_hidden(hromada, actor, clock):
    eng = team(hromada, actor, "Engineering", 6, "e")
    ops = team(hromada, actor, "Operations", 6, "o")
    sales = team(hromada, actor, "Sales", 3, "s")
    legal = team(hromada, actor, "Legal", 2, "l")
    # Last week: six engineers submit an idea each.
    for n, p in enumerate(eng):
        submit(hromada, p, "idea", phrase(n))
    clock.advance(timedelta(days=7))
    # This week: five engineers submit, ops vote (6 votes), sales and legal are small.
    for n, p in enumerate(eng[:5]):
        submit(hromada, p, "idea", phrase(n + 10))
    target = submit(hromada, ops[0], "ask", "When do we plan the offsite?")
    for p in ops:
        react(hromada, p, target)
    for n, p in enumerate(sales + legal):
        submit(hromada, p, "risk", phrase(n + 5))
    reply = hromada.run(actor("viewer"), "hromada", "stats")
    text = reply.plain()
    eng_line = line_for(reply, "Engineering")
    assert "contributors 5 (last week 6)" in eng_line
    assert "submissions 5 (last week 6)" in eng_line
    assert "votes <5 (last week <5)" in eng_line
    ops_line = line_for(reply, "Operations")
    assert "contributors 6 (last week <5)" in ops_line
    assert "submissions <5" in ops_line and "votes 6 (last week <5)" in ops_line
    assert line_for(reply, "Sales").endswith("not enough people yet")
    assert line_for(reply, "Legal").endswith("not enough people yet")
    assert "Sales: contributors" not in text and "3" not in line_for(reply, "Sales")
    assert "Overall: contributors 16 (last week 6)" in text
    assert week_start(clock.now()).weekday() == 0


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    text = hromada.run(boss, "hromada", "stats").plain()
    assert "Участь" in text and "ще замало людей" in text
