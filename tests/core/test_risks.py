"""The risk register: register, rate, matrix, owners, status permissions, "I see it too"."""

from __future__ import annotations

import pytest

from core.errors import Forbidden, InvalidInput, NotFound
from core.replies import Visibility
from core.text import Mention, UserText
from tests.core.support import everything, react, segments, snapshot, submit

RISKS = [
    "Only one person knows how to renew the TLS certificates",
    "The cloud provider raises prices in January",
    "Support backlog grows faster than we hire",
    "Laptops are not encrypted in the sales team",
]


def test_register_and_show(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "risk", RISKS[0])
    assert reply.visibility is Visibility.PUBLIC and reply.item_id is not None
    assert "R-1" in reply.plain() and "From: Alice" in reply.plain()
    assert "/risk rate R-1" in reply.footer
    shown = hromada.run(alice, "risk", "show r1")
    assert "Likelihood × impact: —" in shown.plain()
    assert "Status: open" in shown.plain()
    assert "Owner: nobody yet" in shown.plain()
    assert "I see it too: 0" in shown.plain()
    assert shown.visibility is Visibility.PRIVATE and shown.item_id is None


def test_rate_validates_and_records_history(hromada, actor, db):
    alice = actor("alice")
    submit(hromada, alice, "risk", RISKS[0])
    before = snapshot(db)
    for bad in ("rate 1 0 3", "rate 1 6 3", "rate 1 3", "rate 1 x 3", "rate 1 3 3 3",
                "rate I-1 3 3"):
        with pytest.raises(InvalidInput) as exc:
            hromada.run(alice, "risk", bad)
        assert exc.value.usage == "/risk rate <ref> <likelihood> <impact>"
    with pytest.raises(NotFound):
        hromada.run(alice, "risk", "rate 2 3 3")
    assert snapshot(db) == before
    reply = hromada.run(alice, "risk", "rate R-1 4 5")
    assert "R-1 is rated 4×5 = 20" in reply.plain()
    hromada.run(alice, "risk", "rate 1 2 5")
    shown = hromada.run(alice, "risk", "show 1")
    assert "Likelihood × impact: 2×5 = 10" in shown.plain()
    notes = [ln.text.plain() for ln in shown.lines]
    assert notes == ["?×? → 4×5", "4×5 → 2×5"]


def test_list_most_serious_first_without_closed(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    for text in RISKS:
        submit(hromada, alice, "risk", text)
    hromada.run(alice, "risk", "rate 1 2 2")
    hromada.run(alice, "risk", "rate 2 5 4")
    hromada.run(alice, "risk", "rate 3 3 3")
    hromada.run(mod, "risk", "status 2 closed")
    listed = hromada.run(alice, "risk", "list")
    assert [ln.ref for ln in listed.lines] == ["R-3", "R-1", "R-4"]
    assert listed.lines[0].meta.startswith("3×3")


def test_matrix_counts(hromada, actor):
    from core.risks import matrix_counts

    alice, mod = actor("alice"), actor("mod", admin=True)
    ratings = [(1, 5), (1, 5), (5, 1), (3, 3), (4, 4)]
    titles = [*RISKS, "The office lease ends in spring"]
    for n, (lik, imp) in enumerate(ratings, 1):
        submit(hromada, alice, "risk", titles[n - 1])
        hromada.run(alice, "risk", f"rate {n} {lik} {imp}")
    submit(hromada, alice, "risk", "Nobody tested the backup restore")
    hromada.run(mod, "risk", "status 5 closed")
    hromada.run(actor("zed", tenant="console:other"), "risk", "Elsewhere risk")
    hromada.run(actor("zed", tenant="console:other"), "risk", "rate 1 3 3")
    with hromada.context(alice) as ctx:
        grid = matrix_counts(ctx)
    expected = [[0] * 5 for _ in range(5)]
    expected[0][4] = 2
    expected[4][0] = 1
    expected[2][2] = 1
    assert grid == expected
    reply = hromada.run(alice, "risk", "matrix")
    rows = reply.footer.strip("`\n").splitlines()
    assert rows[0].split() == ["L\\I", "1", "2", "3", "4", "5"]
    assert rows[1].split() == ["5", "1", "·", "·", "·", "·"]
    assert rows[3].split() == ["3", "·", "·", "1", "·", "·"]
    assert rows[5].split() == ["1", "·", "·", "·", "·", "2"]
    assert "Not rated yet: 1" in reply.plain()


def test_owner_is_told_and_shown(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    submit(hromada, alice, "risk", RISKS[0])
    reply = hromada.run(alice, "risk", "owner R-1 <@bob|Bob>")
    assert [n.recipients for n in reply.notices] == [("bob",)]
    assert "You now own R-1" in reply.notices[0].text.plain()
    assert Mention("bob", "Bob") in reply.text.parts
    assert "Owner: Bob" in hromada.run(bob, "risk", "show 1").plain()
    # a member who neither reported nor owns it cannot take it
    hromada.run(actor("carol"), "risk", "list")
    with pytest.raises(Forbidden):
        hromada.run(actor("carol"), "risk", "owner 1 @Carol")
    # the owner hands it over, by display name
    reply = hromada.run(bob, "risk", "owner 1 @Carol")
    assert [n.recipients for n in reply.notices] == [("carol",)]
    assert "Owner: Carol" in hromada.run(bob, "risk", "show 1").plain()
    # taking ownership oneself tells nobody
    assert hromada.run(alice, "risk", "owner 1 @Alice").notices == []
    assert "Owner: Alice" in hromada.run(bob, "risk", "show 1").plain()
    with pytest.raises(NotFound):
        hromada.run(alice, "risk", "owner 1 @nobody-here")
    with pytest.raises(InvalidInput):
        hromada.run(alice, "risk", "owner 1 not a member")


def test_status_permissions_say_why(hromada, actor, db):
    alice, bob, carol, mod = actor("alice"), actor("bob"), actor("carol"), actor("mod", admin=True)
    submit(hromada, alice, "risk", RISKS[0])
    hromada.run(alice, "risk", "owner 1 <@bob|Bob>")
    before = snapshot(db)
    with pytest.raises(Forbidden) as exc:
        hromada.run(carol, "risk", "status 1 mitigating")
    assert "owner" in exc.value.message and exc.value.params["ref"] == "R-1"
    assert snapshot(db) == before
    assert "now mitigating" in hromada.run(bob, "risk", "status 1 mitigating").plain()
    assert "now accepted" in hromada.run(alice, "risk", "status 1 accepted").plain()
    assert "now open" in hromada.run(mod, "risk", "status 1 open").plain()
    with pytest.raises(InvalidInput):
        hromada.run(mod, "risk", "status 1 open")
    with pytest.raises(InvalidInput):
        hromada.run(mod, "risk", "status 1 done")
    moderated = actor("carol", roles=("Risk Team",))
    with pytest.raises(Forbidden):
        hromada.run(moderated, "risk", "status 1 closed")
    hromada.run(mod, "hromada", "settings roles risk team")
    assert "now closed" in hromada.run(moderated, "risk", "status 1 closed").plain()


def test_status_notices_reach_author_and_supporters_once(hromada, actor):
    alice, bob, carol, mod = actor("alice"), actor("bob"), actor("carol"), actor("mod", admin=True)
    item = submit(hromada, alice, "risk", RISKS[0])
    react(hromada, bob, item)
    react(hromada, alice, item)
    react(hromada, mod, item)
    react(hromada, carol, item, "-1")
    assert "I see it too: 3" in hromada.run(alice, "risk", "show 1").plain()
    reply = hromada.run(mod, "risk", "status 1 mitigating new supplier signed")
    assert len(reply.notices) == 1
    assert sorted(reply.notices[0].recipients) == ["alice", "bob", "carol"]
    assert "new supplier signed" in reply.notices[0].text.plain()


def test_duplicate_prompt_for_risks(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    submit(hromada, alice, "risk", RISKS[1])
    prompt = hromada.run(bob, "risk", "the cloud provider raises prices in january!")
    assert [ln.ref for ln in prompt.lines] == ["R-1"]
    vote, anyway = prompt.actions
    assert vote.action_id == "dup.vote"
    reply = hromada.press(bob, vote.action_id, vote.value)
    assert "R-1" in reply.plain()
    assert "I see it too: 1" in hromada.run(bob, "risk", "show 1").plain()
    prompt = hromada.run(bob, "risk", "The cloud provider raises prices in January")
    with pytest.raises(Forbidden):
        hromada.press(alice, "dup.submit", prompt.actions[1].value)
    reply = hromada.press(bob, "dup.submit", prompt.actions[1].value)
    assert "R-2" in reply.plain() and "From: Bob" in reply.plain()


def test_closed_risks_are_not_duplicates(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    submit(hromada, alice, "risk", RISKS[1])
    hromada.run(mod, "risk", "status 1 closed")
    assert hromada.run(alice, "risk", RISKS[1]).item_id is not None


def test_saved_message_as_risk_links_back_once(hromada, actor):
    alice = actor("alice")
    reply = hromada.save_message(alice, text="Backups were not tested this year\nmore detail",
                                 link="https://chat.example/p1", source_author="Bob",
                                 event_key="ev-1", as_risk=True)
    assert reply is not None and "R-1" in reply.plain()
    assert "Backups were not tested this year" in reply.plain()
    assert hromada.save_message(alice, text="x", link="https://chat.example/p1",
                                source_author="Bob", event_key="ev-1", as_risk=True) is None
    again = hromada.save_message(alice, text="x", link="https://chat.example/p1",
                                 source_author="Bob", event_key="ev-2", as_risk=True)
    assert again is not None and "Already registered as R-1" in again.plain()
    assert "Source: https://chat.example/p1" in hromada.run(alice, "risk", "show 1").plain()


def test_risks_are_tenant_bound(hromada, actor):
    alice, zed = actor("alice"), actor("zed", tenant="console:other")
    submit(hromada, alice, "risk", RISKS[0])
    with pytest.raises(NotFound):
        hromada.run(zed, "risk", "show 1")
    with pytest.raises(NotFound):
        hromada.run(zed, "risk", "rate 1 3 3")
    assert "No open risks" in hromada.run(zed, "risk", "list").plain()


def test_risk_titles_are_user_text(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "risk", "Deploys page @everyone at night <!channel>")
    for r in (reply, hromada.run(alice, "risk", "show 1"), hromada.run(alice, "risk", "list")):
        bare = [p for p in segments(r) if isinstance(p, str)]
        assert not any("@everyone" in p or "<!channel>" in p for p in bare)
        assert any(isinstance(p, UserText) and "@everyone" in p.text for p in segments(r))
    assert "@everyone" in everything(reply)
