"""Profiles and the fuzzy people finder."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput


def profile(hromada, who, department=None, location=None, skills=None, interests=None):
    if department:
        hromada.run(who, "people", f"me department {department}")
    if location:
        hromada.run(who, "people", f"me location {location}")
    if skills:
        hromada.run(who, "people", f"me skills {skills}")
    if interests:
        hromada.run(who, "people", f"me interests {interests}")


def test_profile_set_show_and_clear(hromada, actor):
    alice = actor("alice")
    assert "Python, Kubernetes" in hromada.run(alice, "people",
                                               "me skills Python, kubernetes ,python, Kubernetes"
                                               ).plain().replace("kubernetes", "Kubernetes")
    profile(hromada, alice, department="Engineering", location="Kyiv", interests="chess, hiking")
    shown = hromada.run(alice, "people", "me").plain()
    for word in ("Engineering", "Kyiv", "chess, hiking", "Python"):
        assert word in shown
    hromada.run(alice, "people", "me location -")
    assert "Location: not set" in hromada.run(alice, "people", "me").plain()
    with pytest.raises(InvalidInput):
        hromada.run(alice, "people", "me skills")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "people", "me skills " + "x" * 61)


def test_find_is_fuzzy_ranked_and_shows_where(hromada, actor):
    profile(hromada, actor("alice"), "Engineering", "Kyiv", "Python, PostgreSQL")
    profile(hromada, actor("bob"), "Data", "Lviv", "pandas, python scripting")
    profile(hromada, actor("carol"), "Sales", "London", "negotiation", "jazz")
    found = hromada.run(actor("dave"), "people", "find pyton")
    names = [ln.text.plain().split(" — ")[0] for ln in found.lines]
    assert names == ["Alice", "Bob"]
    assert "Engineering · Kyiv" in found.lines[0].text.plain()
    assert "Data · Lviv" in found.lines[1].text.plain()
    assert "Carol" in hromada.run(actor("dave"), "people", "find jaz").plain()
    assert "Nobody lists" in hromada.run(actor("dave"), "people", "find haskell").plain()


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    assert "Ваші навички" in hromada.run(boss, "people", "me skills Rust").plain()
    assert "Ніхто" in hromada.run(boss, "people", "find cobol").plain()
