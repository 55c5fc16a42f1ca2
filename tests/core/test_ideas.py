"""Ideas through the facade: submit, anonymous, list, show, search, status, merge, withdraw."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Forbidden, InvalidInput, NotFound
from core.replies import Visibility
from core.text import UserText
from tests.core.support import everything, post, react, segments, snapshot, submit

IDEA_TEXTS = [
    "Dark mode for the wiki",
    "Quarterly hackathon with prizes",
    "Standing desks in the open space",
    "Bike parking near the back entrance",
    "Subsidised language lessons",
    "Monthly town hall with the founders",
    "Plant more trees around the office",
    "A library of technical books",
    "Mentoring pairs for new joiners",
    "Board games evening on Thursdays",
    "Quiet room without phones",
    "Shared calendar of customer visits",
]


def test_submit_list_show(hromada, actor):
    alice = actor("alice")
    reply = hromada.run(alice, "idea", "Dark mode for the wiki")
    assert reply.item_id is not None
    assert reply.visibility is Visibility.PUBLIC
    assert "I-1" in reply.plain()
    assert "Alice" in reply.plain()
    listed = hromada.run(alice, "idea", "list").plain()
    assert "I-1 Dark mode for the wiki" in listed
    shown = hromada.run(alice, "idea", "show i1").plain()
    assert "Score: +0" in shown


def test_bad_input_writes_nothing(hromada, actor, db):
    alice = actor("alice")
    hromada.run(alice, "idea", "Something to keep the tenant alive")
    before = snapshot(db)
    for text in ["show", "show X-1", "status 1", "merge 1 onto 2", "status I-1 nonsense", "show 0",
                 "withdraw", "search", "", "anon", "show 99"]:
        with pytest.raises((InvalidInput, NotFound, Forbidden)) as exc:
            hromada.run(alice, "idea", text)
        assert exc.value.message
    assert snapshot(db) == before


def test_bad_input_carries_the_usage_line(hromada, actor):
    with pytest.raises(InvalidInput) as exc:
        hromada.run(actor("alice"), "idea", "show X-1")
    assert exc.value.usage == "/idea show <ref>"
    reply = hromada.error_reply("console:test", exc.value)
    assert reply.error and "Usage: /idea show <ref>" in reply.plain()


def test_refs_accept_every_spelling(hromada, actor):
    alice = actor("alice")
    for text in IDEA_TEXTS[:12]:
        submit(hromada, alice, "idea", text)
    for spelling in ("12", "I-12", "i12", "I12", "i-12", "#12"):
        assert "Shared calendar" in hromada.run(alice, "idea", f"show {spelling}").plain()
    with pytest.raises(InvalidInput):
        hromada.run(alice, "idea", "show R-12")
    with pytest.raises(NotFound):
        hromada.run(alice, "idea", "show 13")


def test_numbers_are_per_kind_and_per_tenant(hromada, actor):
    alice, other = actor("alice"), actor("alice", tenant="console:other")
    assert "I-1" in hromada.run(alice, "idea", "Dark mode for the wiki").plain()
    assert "R-1" in hromada.run(alice, "risk", "The build server may run out of disk").plain()
    assert "I-2" in hromada.run(alice, "idea", "Quarterly hackathon with prizes").plain()
    assert "I-1" in hromada.run(other, "idea", "Standing desks in the open space").plain()
    assert "Dark mode" not in hromada.run(other, "idea", "list").plain()
    assert "Standing desks" not in hromada.run(alice, "idea", "list").plain()
    assert "Standing desks" in hromada.run(other, "idea", "show 1").plain()
    assert "Dark mode" in hromada.run(alice, "idea", "show 1").plain()


def test_numbers_are_never_reused_after_withdraw(hromada, actor):
    alice = actor("alice")
    submit(hromada, alice, "idea", IDEA_TEXTS[0])
    submit(hromada, alice, "idea", IDEA_TEXTS[1])
    hromada.run(alice, "idea", "withdraw 2")
    assert "I-3" in hromada.run(alice, "idea", IDEA_TEXTS[2]).plain()


def test_list_pages_ten_at_a_time_newest_first(hromada, actor):
    alice = actor("alice")
    for text in IDEA_TEXTS:
        submit(hromada, alice, "idea", text)
    first = hromada.run(alice, "idea", "list")
    assert [ln.ref for ln in first.lines] == [f"I-{n}" for n in range(12, 2, -1)]
    assert "/idea list new 2" in first.footer
    second = hromada.run(alice, "idea", "list new 2")
    assert [ln.ref for ln in second.lines] == ["I-2", "I-1"]
    assert not second.footer
    assert "No ideas" in hromada.run(alice, "idea", "list new 3").plain()


def test_list_top_orders_by_net_votes(hromada, actor):
    alice, bob, carol = actor("alice"), actor("bob"), actor("carol")
    ids = [submit(hromada, alice, "idea", t) for t in IDEA_TEXTS[:3]]
    react(hromada, bob, ids[1])
    react(hromada, carol, ids[1])
    react(hromada, bob, ids[2])
    react(hromada, carol, ids[0], "-1")
    top = hromada.run(alice, "idea", "list top")
    assert [ln.ref for ln in top.lines] == ["I-2", "I-3", "I-1"]
    assert top.lines[0].meta.startswith("+2")
    assert top.lines[2].meta.startswith("-1")


def test_list_by_status_and_hides_merged_and_withdrawn(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    for t in IDEA_TEXTS[:4]:
        submit(hromada, alice, "idea", t)
    hromada.run(mod, "idea", "status 2 planned")
    hromada.run(mod, "idea", "merge 3 into 1")
    hromada.run(alice, "idea", "withdraw 4")
    planned = hromada.run(alice, "idea", "list planned")
    assert [ln.ref for ln in planned.lines] == ["I-2"]
    assert [ln.ref for ln in hromada.run(alice, "idea", "list").lines] == ["I-2", "I-1"]
    assert [ln.ref for ln in hromada.run(alice, "idea", "list merged").lines] == ["I-3"]
    assert [ln.ref for ln in hromada.run(alice, "idea", "list withdrawn").lines] == ["I-4"]
    assert "No ideas" in hromada.run(alice, "idea", "list done").plain()


def test_search_is_fuzzy_and_tenant_bound(hromada, actor):
    alice = actor("alice")
    for t in IDEA_TEXTS:
        submit(hromada, alice, "idea", t)
    found = hromada.run(alice, "idea", "search hackaton prizes")
    assert found.lines and found.lines[0].ref == "I-2"
    assert "No idea matches" in hromada.run(alice, "idea", "search zzqx").plain()
    other = actor("bob", tenant="console:other")
    assert "No idea matches" in hromada.run(other, "idea", "search hackathon").plain()


def test_status_lifecycle_history_and_notices(hromada, actor, clock):
    alice, bob, carol, mod = actor("alice"), actor("bob"), actor("carol"), actor("mod", admin=True)
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item)
    react(hromada, carol, item, "-1")
    react(hromada, alice, item)  # the author votes too: still told once
    react(hromada, mod, item)  # the actor votes: never told
    reply = hromada.run(mod, "idea", "status I-1 reviewing looking into it")
    assert len(reply.notices) == 1
    recipients = reply.notices[0].recipients
    assert sorted(recipients) == ["alice", "bob", "carol"]
    assert len(recipients) == len(set(recipients))
    assert "is now reviewing (was new)" in reply.notices[0].text.plain()
    assert "looking into it" in reply.notices[0].text.plain()
    assert reply.notices[0].item_id == item
    assert "People told: 3" in reply.plain()
    clock.advance(timedelta(days=3))
    hromada.run(mod, "idea", "status 1 planned")
    hromada.run(mod, "idea", "status 1 in-progress")
    shown = hromada.run(bob, "idea", "show 1")
    history = [ln.text.plain() for ln in shown.lines]
    assert history == ["new → reviewing: looking into it", "reviewing → planned",
                       "planned → in-progress"]
    assert shown.lines[0].meta == "2026-03-02" and shown.lines[1].meta == "2026-03-05"
    assert "Status: in-progress" in shown.plain()
    with pytest.raises(InvalidInput):
        hromada.run(mod, "idea", "status 1 in-progress")
    with pytest.raises(InvalidInput) as exc:
        hromada.run(mod, "idea", "status 1 merged")  # only a merge makes an idea merged
    assert "merged" not in str(exc.value.params["choices"]).split(", ")


def test_status_change_by_the_author_tells_only_the_others(hromada, actor):
    alice, bob = actor("alice", admin=True), actor("bob")
    item = submit(hromada, alice, "idea", "Dark mode for the wiki")
    react(hromada, bob, item)
    reply = hromada.run(alice, "idea", "status 1 done")
    assert [n.recipients for n in reply.notices] == [("bob",)]


def test_status_change_without_anyone_to_tell(hromada, actor):
    mod = actor("mod", admin=True)
    submit(hromada, mod, "idea", "Dark mode for the wiki")
    reply = hromada.run(mod, "idea", "status 1 declined")
    assert reply.notices == []
    assert "People told: 0" in reply.plain()


def test_status_refused_for_members_with_the_reason(hromada, actor, db):
    alice = actor("alice")
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    before = snapshot(db)
    with pytest.raises(Forbidden) as exc:
        hromada.run(alice, "idea", "status 1 planned")
    assert "moderators" in exc.value.message.lower()
    assert "settings" in exc.value.message
    with pytest.raises(Forbidden):
        hromada.run(alice, "idea", "merge 1 into 1")
    assert snapshot(db) == before


def test_show_offers_status_buttons_to_moderators_only(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    assert hromada.run(alice, "idea", "show 1").actions == []
    actions = hromada.run(mod, "idea", "show 1").actions
    assert [a.value for a in actions] == ["I-1:reviewing", "I-1:planned", "I-1:in-progress",
                                          "I-1:done", "I-1:declined"]
    reply = hromada.press(mod, actions[1].action_id, actions[1].value)
    assert "is now planned" in reply.plain()
    assert [n.recipients for n in reply.notices] == [("alice",)]
    with pytest.raises(Forbidden):
        hromada.press(alice, "status", "I-1:done")


def test_merge_moves_votes_each_voter_once(hromada, actor):
    alice, bob, carol, dan = actor("alice"), actor("bob"), actor("carol"), actor("dan")
    mod = actor("mod", admin=True)
    src = submit(hromada, alice, "idea", "Dark mode for the wiki")
    dst = submit(hromada, bob, "idea", "Night theme for all internal tools")
    react(hromada, bob, src)  # bob votes on both: counted once
    react(hromada, bob, dst)
    react(hromada, carol, src)
    react(hromada, dan, src, "-1")
    react(hromada, dan, dst)  # dan's vote on the target wins
    reply = hromada.run(mod, "idea", "merge I-1 into i2")
    assert "2 votes moved" not in reply.plain()
    assert "1 votes moved" in reply.plain()
    shown = hromada.run(alice, "idea", "show 2").plain()
    assert "Score: +3 (👍 3 · 👎 0)" in shown
    merged = hromada.run(alice, "idea", "show 1").plain()
    assert "Status: merged" in merged
    assert "Merged into: I-2" in merged
    assert "Score: +0" in merged
    assert sorted(reply.notices[0].recipients) == ["alice", "bob", "carol", "dan"]
    # the merged idea takes no more votes; reactions on its card change nothing
    assert react(hromada, actor("erin"), src) is False
    with pytest.raises(InvalidInput):
        hromada.run(mod, "idea", "merge 1 into 2")
    with pytest.raises(InvalidInput):
        hromada.run(mod, "idea", "status 1 planned")
    with pytest.raises(InvalidInput):
        hromada.run(mod, "idea", "merge 2 into 2")
    with pytest.raises(NotFound):
        hromada.run(mod, "idea", "merge 2 into 9")


def test_merge_grammar_needs_into(hromada, actor):
    mod = actor("mod", admin=True)
    with pytest.raises(InvalidInput) as exc:
        hromada.run(mod, "idea", "merge 1 onto 2")
    assert exc.value.usage == "/idea merge <ref> into <target>"


def test_withdraw_author_only(hromada, actor):
    alice, bob, mod = actor("alice"), actor("bob"), actor("mod", admin=True)
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    with pytest.raises(Forbidden) as exc:
        hromada.run(bob, "idea", "withdraw 1")
    assert exc.value.params["ref"] == "I-1"
    with pytest.raises(Forbidden):
        hromada.run(mod, "idea", "withdraw 1")
    assert "I-1 is withdrawn" in hromada.run(alice, "idea", "withdraw 1").plain()
    assert "Status: withdrawn" in hromada.run(bob, "idea", "show 1").plain()
    with pytest.raises(InvalidInput):
        hromada.run(alice, "idea", "withdraw 1")


def test_withdraw_anonymous_idea_by_its_hidden_author(hromada, actor):
    alice, bob, mod = actor("alice"), actor("bob"), actor("mod", admin=True)
    reply = hromada.run(alice, "idea", "anon Pay transparency bands")
    assert "Alice" not in everything(reply)
    with pytest.raises(Forbidden):
        hromada.run(bob, "idea", "withdraw 1")
    with pytest.raises(Forbidden):
        hromada.run(mod, "idea", "withdraw 1")
    # the same user id in another tenant is not the author either
    with pytest.raises(NotFound):
        hromada.run(actor("alice", tenant="console:other"), "idea", "withdraw 1")
    assert "withdrawn" in hromada.run(alice, "idea", "withdraw 1").plain()


def test_anonymous_idea_hash_depends_on_the_secret(hromada, actor, db, clock):
    from core.app import Hromada

    alice = actor("alice")
    hromada.run(alice, "idea", "anon Pay transparency bands")
    other_key = Hromada(db, secret=b"another-secret", clock=clock)
    with pytest.raises(Forbidden):
        other_key.run(alice, "idea", "withdraw 1")


def test_duplicate_prompt_vote_instead(hromada, actor, db):
    alice, bob = actor("alice"), actor("bob")
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    prompt = hromada.run(bob, "idea", "dark mode for the wiki!")
    assert prompt.visibility is Visibility.PRIVATE and prompt.item_id is None
    assert [ln.ref for ln in prompt.lines] == ["I-1"]
    vote, anyway = prompt.actions
    assert vote.action_id == "dup.vote" and "I-1" in vote.label
    assert anyway.action_id == "dup.submit"
    # someone else cannot answer bob's prompt
    with pytest.raises(Forbidden):
        hromada.press(alice, vote.action_id, vote.value)
    reply = hromada.press(bob, vote.action_id, vote.value)
    assert "I-1" in reply.plain()
    assert "Score: +1" in hromada.run(bob, "idea", "show 1").plain()
    assert [ln.ref for ln in hromada.run(bob, "idea", "list").lines] == ["I-1"]
    # the prompt is used up: neither button works again
    with pytest.raises(NotFound):
        hromada.press(bob, anyway.action_id, anyway.value)


def test_duplicate_prompt_submit_anyway(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    prompt = hromada.run(bob, "idea", "anon Dark mode for the wiki")
    anyway = prompt.actions[1]
    with pytest.raises(Forbidden):
        hromada.press(alice, anyway.action_id, anyway.value)
    reply = hromada.press(bob, anyway.action_id, anyway.value)
    assert reply.item_id is not None and "I-2" in reply.plain()
    assert "From: anonymous" in reply.plain() and "Bob" not in everything(reply)
    assert "withdrawn" in hromada.run(bob, "idea", "withdraw 2").plain()
    with pytest.raises(NotFound):
        hromada.press(bob, anyway.action_id, anyway.value)


def test_no_duplicate_prompt_against_closed_ideas(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    hromada.run(mod, "idea", "status 1 declined")
    reply = hromada.run(alice, "idea", "Dark mode for the wiki")
    assert reply.item_id is not None and "I-2" in reply.plain()


def test_prompt_of_another_tenant_is_not_found(hromada, actor):
    alice, bob = actor("alice"), actor("bob")
    submit(hromada, alice, "idea", "Dark mode for the wiki")
    prompt = hromada.run(bob, "idea", "Dark mode for the wiki")
    with pytest.raises(NotFound):
        hromada.press(actor("bob", tenant="console:other"), "dup.submit", prompt.actions[1].value)


def test_mentions_in_ideas_are_user_text(hromada, actor):
    alice, mod = actor("alice"), actor("mod", admin=True)
    text = "Lunch <!channel> @everyone <@U123> <!here> @here"
    reply = hromada.run(alice, "idea", text)
    post(hromada, reply)
    for r in (reply, hromada.run(alice, "idea", "show 1"), hromada.run(alice, "idea", "list"),
              hromada.run(alice, "idea", "search lunch"),
              hromada.run(mod, "idea", f"status 1 planned {text}")):
        parts = list(segments(r))
        bare = [p for p in parts if isinstance(p, str)]
        assert not any(m in p for p in bare for m in ("<!channel>", "@everyone", "<@U123>",
                                                       "<!here>", "@here")), r
        assert any(isinstance(p, UserText) and "<!channel>" in p.text for p in parts), r


def test_double_click_on_submit_anyway_creates_one_idea(hromada, actor):
    """Two presses of the same button at once: one idea, the other press finds the prompt gone."""
    import threading

    alice, bob = actor("alice"), actor("bob")
    for text in IDEA_TEXTS[:5]:
        submit(hromada, alice, "idea", text)
        prompt = hromada.run(bob, "idea", f"{text.lower()}!")
        assert prompt.actions, prompt.plain()
        value = prompt.actions[1].value
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def press(value: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
            barrier.wait()
            try:
                hromada.press(bob, "dup.submit", value)
                outcomes.append("created")
            except NotFound:
                outcomes.append("gone")

        threads = [threading.Thread(target=press, args=(value, barrier, outcomes))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["created", "gone"]
    listed = hromada.run(alice, "idea", "list").lines
    assert len(listed) == 10 and listed[0].ref == "I-10"
