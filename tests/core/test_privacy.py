"""/hromada mydata and forget-me: everything shown, then erased while every tally stays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import coffee, kudos
from core.commands import REGISTRY
from core.errors import Forbidden
from core.export import export
from core.replies import Reply
from storage import repos
from storage.culture import CoffeeMatch, PulseAnswer
from storage.models import Item, Member, Vote
from tests.core.support import everything, post, react, submit

TENANT = "console:test"


def tallies(hromada) -> dict[str, object]:
    """Every count a reader could see: item scores, pulse answers, kudos, coffee history."""
    with hromada.db.uow() as session:
        items = session.query(Item).filter_by(tenant_id=TENANT).order_by(Item.id).all()
        scores = {f"{i.kind}{i.number}": repos.tally(session, TENANT, i.id or 0) for i in items}
        answers = sorted((a.item_id, a.value, a.department or "")
                         for a in session.query(PulseAnswer).all())
        votes = session.query(Vote).count()
        by_value = kudos.counts(session, TENANT, datetime(2000, 1, 1, tzinfo=UTC),
                                datetime(2100, 1, 1, tzinfo=UTC))
        matches = session.query(CoffeeMatch).count()
    return {"scores": scores, "answers": answers, "votes": votes, "kudos": by_value,
            "coffee": matches}


def world(hromada, actor):
    """Alice takes part in everything; the others give her things to be tied to."""
    alice, bob, boss = actor("alice"), actor("bob"), actor("boss", admin=True)
    for p, dept in ((alice, "Research"), (bob, "Sales"), (boss, "Board")):
        hromada.run(p, "people", f"me department {dept}")
    hromada.run(alice, "people", "me skills Cartography, Rust")
    hromada.run(alice, "people", "me location Odesa")
    idea = submit(hromada, alice, "idea", "Quiet library room on the third floor")
    anon = submit(hromada, alice, "idea", "anon Publish salary bands openly")
    question = submit(hromada, alice, "ask", "Will the Odesa office stay open?")
    bob_idea = submit(hromada, bob, "idea", "Bicycle parking behind the warehouse")
    for item in (idea, anon, question):
        react(hromada, bob, item)
    react(hromada, alice, bob_idea)
    react(hromada, boss, idea, "-1")
    risk = submit(hromada, bob, "risk", "Single supplier for packaging film")
    hromada.run(bob, "risk", "owner R-1 @alice")
    hromada.save_message(bob, text="Deploys freeze on Fridays after 15:00", link="console://m/1",
                         source_author="Alice")
    pulse = hromada.run(boss, "pulse", "ask How well do you understand our mission?")
    post(hromada, pulse)
    for p, v in ((alice, 2), (bob, 4), (boss, 5)):
        hromada.run(p, "pulse", f"answer P-1 {v}")
    hromada.run(bob, "kudos", "@alice #curiosity mapped the whole warehouse")
    hromada.run(alice, "kudos", "@bob #care covered my shift")
    for p in (alice, bob):
        hromada.run(p, "coffee", "join")
    coffee.run_round(hromada, TENANT, "2026-W10")
    return {"alice": alice, "bob": bob, "boss": boss, "risk": risk}


def every_output(hromada, who, boss) -> str:
    """Everything a member or moderator can read about the tenant, plus both exports."""
    replies: list[Reply] = []
    runs = [("idea", "list"), ("idea", "show I-1"), ("idea", "show I-2"), ("idea", "search quiet"),
            ("ask", "list"), ("ask", "show Q-1"), ("risk", "show R-1"), ("risk", "list"),
            ("kb", "show K-1"), ("kb", "deploys freeze"), ("pulse", "results P-1"),
            ("people", "find cartography"), ("people", "find rust"), ("coffee", "status"),
            ("hromada", "stats"), ("hromada", "mydata")]
    for group, text in runs:
        replies.append(hromada.run(who, group, text))
    if "digest" in REGISTRY.groups:
        replies.append(hromada.run(boss, "digest", "preview"))
    out = [everything(r) for r in replies]
    with hromada.db.uow() as session:
        out += [export(session, TENANT, "json"), export(session, TENANT, "csv")]
    return "\n".join(out)


def test_mydata_shows_everything_held(hromada, actor):
    people = world(hromada, actor)
    reply = hromada.run(people["alice"], "hromada", "mydata")
    text = reply.plain()
    for expected in ("Research", "Odesa", "Cartography, Rust", "I-1 Quiet library room",
                     "Q-1 Will the Odesa office", "I-2 Publish salary bands",
                     "Anonymous items only you can prove are yours: 1",
                     "Risks you own: 1", "I-3 Bicycle parking", "Your votes: 1",
                     "Your pulse answers (stored without your name): 1", "(2)",
                     "Kudos given and received: 2", "#curiosity", "#care",
                     "Coffee matches: 1", "Coffee pairing: taking part"):
        assert expected in text, expected
    # Bob voted on Alice's anonymous idea, but cannot prove it is his.
    bobs = hromada.run(people["bob"], "hromada", "mydata").plain()
    assert "Anonymous items only you can prove are yours: 0" in bobs


def test_forget_me_explains_first_and_changes_nothing(hromada, actor, db):
    from tests.core.support import snapshot

    people = world(hromada, actor)
    before = snapshot(db)
    reply = hromada.run(people["alice"], "hromada", "forget-me")
    assert "/hromada forget-me confirm" in reply.plain()
    assert [a.action_id for a in reply.actions] == ["forget-me.confirm"]
    assert snapshot(db) == before


def test_forget_me_erases_names_and_keeps_tallies(hromada, actor):
    people = world(hromada, actor)
    alice, bob, boss = people["alice"], people["bob"], people["boss"]
    before = tallies(hromada)
    assert "Alice" in every_output(hromada, bob, boss)
    done = hromada.press(alice, "forget-me.confirm", "confirm")
    assert "former member" in done.plain()
    assert tallies(hromada) == before
    seen = every_output(hromada, bob, boss)
    # Her profile is gone; department names stay only inside anonymous pulse aggregates.
    for name in ("Alice", "alice", "Cartography", "Odesa\n"):
        assert name not in seen, name
    assert "former member" in seen
    with hromada.db.uow() as session:
        tomb = session.query(Member).filter_by(tenant_id=TENANT, former=True).one()
        assert tomb.display_name == "" and tomb.department is None and tomb.skills == ""
        assert tomb.user_id != "alice"
        assert session.query(Item).filter_by(kind="idea", number=2).one().anon_hash is None
    # The same person coming back is a new member with nothing attached.
    again = hromada.run(alice, "hromada", "mydata").plain()
    assert "Items you wrote: 0" in again and "Your votes: 0" in again
    assert "Your pulse answers (stored without your name): 0" in again
    with pytest.raises(Forbidden):
        hromada.run(alice, "idea", "withdraw I-2")
    assert tallies(hromada) == before


def test_ukrainian(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "hromada", "settings language uk")
    assert "Усе, що Громада" in hromada.run(boss, "hromada", "mydata").plain()
    assert "forget-me confirm" in hromada.run(boss, "hromada", "forget-me").plain()
    assert "Готово" in hromada.run(boss, "hromada", "forget-me confirm").plain()
