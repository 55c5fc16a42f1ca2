"""Answers where questions are asked, in the core: which channels, what is offered, what is
kept (nothing of an unwatched channel; no question's words beyond a gap's keywords), feedback
that counts once per offer and ranks snippets, and knowledge gaps under the threshold rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core import asking, knowledge, watch
from core.app import Hromada
from core.errors import Forbidden
from core.replies import Reply
from storage.models import KnowledgeGap, KnowledgeGapAsker, SnippetFeedback
from tests.core.support import snapshot, tables

VPN = "add VPN for contractors | Contractors get VPN access from the IT portal; ask IT for a key"
WIFI = "add Office wifi | Network HromadaGuest; the password is on the fridge"
UK_VPN = "add Доступ до VPN | Заявку на доступ подають через портал ІТ"


@pytest.fixture
def boss(actor):  # type: ignore[no-untyped-def]
    return replace(actor("boss", admin=True), channel_id="C1")


@pytest.fixture
def watched(hromada: Hromada, boss):  # type: ignore[no-untyped-def]
    for line in (VPN, WIFI, UK_VPN):
        hromada.run(boss, "kb", line)
    hromada.run(boss, "kb", "watch here")
    return "C1"


def ask(hromada: Hromada, who, question: str, *, channel: str = "C1",  # type: ignore[no-untyped-def]
        message: str = "m1") -> Reply | None:
    return hromada.question(who, channel_id=channel, message_id=message, text=question)


def every_value(hromada: Hromada) -> str:
    """Every value of every row of every table, as text: where a question's words would show."""
    out = []
    with hromada.db.engine.connect() as conn:
        for name in tables(hromada.db):
            out += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return "\n".join(out)


# -- what a question is --------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "How do contractors get VPN access?", "where is the parking", "Is the office open today",
    "vpn for contractors?", "Як отримати доступ до VPN", "чи є парковка", "Де взяти ключ?",
    "Скільки днів відпустки?", "does anyone know the wifi password"])
def test_questions(line: str) -> None:
    assert asking.is_question(line)


@pytest.mark.parametrize("line", [
    "Deploy went fine.", "thanks all!", "Знайшов, дякую", "", "   ", "Shipping the release now",
    "x" * 1200 + "?"])
def test_not_questions(line: str) -> None:
    assert not asking.is_question(line)


def test_keywords_leave_out_question_words_and_filler() -> None:
    assert asking.keywords("How do I get VPN access as a contractor?") == [
        "vpn", "access", "contractor"]
    assert asking.keywords("Як мені отримати доступ до VPN?") == ["отримати", "доступ", "vpn"]
    assert asking.keywords("what's this?") == []


# -- which channels ------------------------------------------------------------------------

def test_moderators_choose_the_channels(hromada: Hromada, boss, actor) -> None:  # type: ignore[no-untyped-def]
    ann = replace(actor("ann"), channel_id="C2")
    before = snapshot(hromada.db)
    with pytest.raises(Forbidden):
        hromada.run(ann, "kb", "watch here")
    with pytest.raises(Forbidden):
        hromada.run(ann, "kb", "watch off")
    assert "no channel yet" in hromada.run(ann, "kb", "watch").plain()
    assert "up to three" in hromada.run(boss, "kb", "watch here").plain()
    assert "already" in hromada.run(boss, "kb", "watch here").plain()
    assert snapshot(hromada.db) != before
    listed = hromada.run(ann, "kb", "watch")
    assert "#C1" in listed.plain()
    assert "no longer" in hromada.run(boss, "kb", "watch off").plain()
    assert "not watched" in hromada.run(boss, "kb", "watch off").plain()
    assert "no channel yet" in hromada.run(ann, "kb", "watch").plain()


def test_a_sentence_about_watching_is_still_a_search(hromada: Hromada, actor) -> None:  # type: ignore[no-untyped-def]
    reply = hromada.run(actor("ann"), "kb", "watch out for phishing")
    assert "phishing" in reply.plain()


# -- offers ----------------------------------------------------------------------------------

def test_a_question_gets_matching_snippets_with_buttons(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    reply = ask(hromada, actor("bob"), "How do contractors get VPN access?")
    assert reply is not None
    assert [ln.ref for ln in reply.lines] == ["K-1"]
    assert [a.label for a in reply.actions] == ["This answered it", "Not it"]
    uk = ask(hromada, actor("bob"), "Як отримати доступ до VPN?", message="m2")
    assert uk is not None and [ln.ref for ln in uk.lines] == ["K-3"]
    wifi = ask(hromada, actor("bob"), "what's the wifi password?", message="m3")
    assert wifi is not None and [ln.ref for ln in wifi.lines] == ["K-2"]


def test_an_unrelated_question_gets_nothing(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    for n, line in enumerate(["Where is the coffee machine?", "Who is on call this weekend?",
                              "Коли буде корпоратив?", "Is the printer fixed?"]):
        assert ask(hromada, actor("bob"), line, message=f"m{n}") is None, line


def test_statements_and_other_channels_get_nothing(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    assert ask(hromada, actor("bob"), "Contractors get VPN access, fyi.") is None
    assert ask(hromada, actor("bob"), "How do contractors get VPN access?",
               channel="C9") is None


def test_an_unwatched_channel_stores_and_reads_nothing(hromada: Hromada, watched, actor,  # type: ignore[no-untyped-def]
                                                       monkeypatch) -> None:
    read: list[str] = []
    original = asking.is_question
    monkeypatch.setattr(asking, "is_question", lambda t: read.append(t) or original(t))
    before = snapshot(hromada.db)
    for n, line in enumerate(["How do contractors get VPN access?", "Where is the coffee?",
                              "my salary is private"]):
        assert ask(hromada, actor(f"newcomer{n}"), line, channel="C-other",
                   message=f"x{n}") is None
    assert snapshot(hromada.db) == before  # no member, no event key, no gap, nothing
    assert read == []  # the words were never looked at


def test_a_watched_question_leaves_no_text_behind(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    answered = "How do contractors get VPN access quickly?"
    unanswered = "Where do I book the Zebra meeting room?"
    assert ask(hromada, actor("bob"), answered, message="q1") is not None
    assert ask(hromada, actor("bob"), unanswered, message="q2") is None
    stored = every_value(hromada).lower()
    assert "quickly" not in stored and "how do" not in stored
    assert "where do i" not in stored and unanswered.lower() not in stored
    assert "ubob" not in stored and "'bob'" not in stored  # the asker is not made a member
    with hromada.db.uow() as session:
        gap = session.execute(select(KnowledgeGap)).scalar_one()
    assert gap.words == "book zebra meeting room" and gap.asks == 1 and gap.askers == 1


def test_a_redelivered_question_is_answered_once(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    line = "How do contractors get VPN access?"
    assert ask(hromada, actor("bob"), line, message="m7") is not None
    assert ask(hromada, actor("bob"), line, message="m7") is None
    lost = "Where do I book the Zebra meeting room?"
    ask(hromada, actor("bob"), lost, message="m8")
    ask(hromada, actor("bob"), lost, message="m8")
    with hromada.db.uow() as session:
        assert session.execute(select(KnowledgeGap.asks)).scalar_one() == 1


def test_no_snippet_offers_colleagues_but_never_the_asker(hromada: Hromada, watched,  # type: ignore[no-untyped-def]
                                                          actor) -> None:
    ann, bob = actor("ann"), actor("bob")
    hromada.run(ann, "people", "me skills kubernetes, helm")
    hromada.run(bob, "people", "me skills kubernetes")
    reply = ask(hromada, bob, "Can someone explain kubernetes upgrades?")
    assert reply is not None and not reply.actions
    assert [ln.text.plain().split(" — ")[0] for ln in reply.lines] == ["Ann"]
    assert "📚" in reply.footer
    # nobody knows it either: not a word
    assert ask(hromada, bob, "Can someone explain quantum chromodynamics?", message="m2") is None


def test_not_it_offers_colleagues(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    ann, bob = actor("ann"), actor("bob")
    hromada.run(ann, "people", "me interests vpn, contractors")
    hromada.run(bob, "people", "me skills vpn")
    reply = ask(hromada, bob, "How do contractors get VPN access?")
    assert reply is not None
    no = next(a for a in reply.actions if a.action_id == watch.NO)
    after = hromada.press(bob, no.action_id, no.value)
    assert "Ann" in after.plain() and "Bob" not in after.plain()
    assert "📚" in after.footer


# -- feedback ----------------------------------------------------------------------------------

def helpful(hromada: Hromada) -> dict[int, int]:
    with hromada.db.uow() as session:
        return {r.item_id: r.helpful for r in session.execute(select(SnippetFeedback)).scalars()}


def test_this_answered_it_counts_once_per_offer_and_only_for_the_asker(  # type: ignore[no-untyped-def]
        hromada: Hromada, watched, actor) -> None:
    bob, eve = actor("bob"), actor("eve")
    reply = ask(hromada, bob, "How do contractors get VPN access?")
    assert reply is not None
    yes, no = reply.actions
    with pytest.raises(Forbidden):
        hromada.press(eve, yes.action_id, yes.value)  # someone else's offer
    assert helpful(hromada) == {}
    assert "Glad" in hromada.press(bob, yes.action_id, yes.value).plain()
    assert "counted already" in hromada.press(bob, yes.action_id, yes.value).plain()
    hromada.press(bob, no.action_id, no.value)  # the other button afterwards counts nothing
    assert list(helpful(hromada).values()) == [1]
    # a new question is a new offer
    again = ask(hromada, bob, "VPN for contractors?", message="m2")
    assert again is not None
    hromada.press(bob, again.actions[0].action_id, again.actions[0].value)
    assert list(helpful(hromada).values()) == [2]


def test_a_forged_button_counts_nothing(hromada: Hromada, watched, actor) -> None:  # type: ignore[no-untyped-def]
    bob = actor("bob")
    reply = ask(hromada, bob, "How do contractors get VPN access?")
    assert reply is not None
    offered, hour, tag, item = reply.actions[0].value.split(".")
    with pytest.raises(Forbidden):
        hromada.press(bob, watch.YES, f"{offered}.{hour}.{'0' * len(tag)}.{item}")
    with pytest.raises(Forbidden):  # an offer made to look newer than it is
        hromada.press(bob, watch.YES, f"{offered}.{int(hour) + 30}.{tag}.{item}")
    assert helpful(hromada) == {}


def test_feedback_after_the_claims_are_gone_counts_nothing(hromada: Hromada, watched, actor,  # type: ignore[no-untyped-def]
                                                           clock) -> None:
    from core import housekeeping

    bob = actor("bob")
    reply = ask(hromada, bob, "How do contractors get VPN access?")
    assert reply is not None
    yes = reply.actions[0]
    hromada.press(bob, yes.action_id, yes.value)
    clock.advance(timedelta(days=2))
    housekeeping.sweep(hromada.db, clock.now())  # the claim of that first click is gone
    assert "no longer count" in hromada.press(bob, yes.action_id, yes.value).plain()
    assert list(helpful(hromada).values()) == [1]


def test_snippets_that_answered_rank_higher(hromada: Hromada, boss, actor) -> None:  # type: ignore[no-untyped-def]
    hromada.run(boss, "kb", "add Parking at the office | Level -2, ask reception")
    hromada.run(boss, "kb", "add Parking for visitors | Level -1, book at reception")
    hromada.run(boss, "kb", "watch here")
    bob = actor("bob")
    first = ask(hromada, bob, "Where is parking?")
    assert first is not None
    before = [ln.ref for ln in first.lines]
    assert sorted(before) == ["K-1", "K-2"]  # equally good matches: either order
    searched = [ln.ref for ln in hromada.run(bob, "kb", "parking").lines][:2]
    assert sorted(searched) == ["K-1", "K-2"]
    second = before[1]  # the one ranked lower helps, and moves ahead
    chosen = next(a for a in first.actions if second in a.label)
    hromada.press(bob, chosen.action_id, chosen.value)
    later = ask(hromada, actor("cat"), "Where is parking?", message="m2")
    assert later is not None and [ln.ref for ln in later.lines] == [second, before[0]]
    helped = [ln.ref for ln in hromada.run(bob, "kb", "parking").lines][:2]
    assert helped[0] == second


def test_the_boost_is_bounded(hromada: Hromada, boss) -> None:  # type: ignore[no-untyped-def]
    assert knowledge.boost(0) == 0
    assert 0 < knowledge.boost(1) < knowledge.boost(3) <= knowledge.MAX_BOOST
    assert knowledge.boost(10**6) == knowledge.MAX_BOOST
    hromada.run(boss, "kb", "add Parking | Level -2")
    hromada.run(boss, "kb", "add Lockers | Level -1")
    with hromada.db.uow() as session:
        from storage import answers

        for _ in range(50):
            answers.add_helpful(session, boss.tenant_id, 2)
        # a poor match never overtakes a clearly better one, however often it helped
        found = knowledge.boosted(session, boss.tenant_id, [(1, 80.0), (2, 60.0)])
        assert found == [(1, 80.0), (2, 60.0)]
        close = knowledge.boosted(session, boss.tenant_id, [(1, 80.0), (2, 77.0)])
        assert close == [(2, 77.0), (1, 80.0)]  # a close one does; scores stay as they were


# -- knowledge gaps ----------------------------------------------------------------------------

def test_gaps_show_only_from_k_distinct_askers(hromada: Hromada, boss, actor, clock) -> None:  # type: ignore[no-untyped-def]
    hromada.run(boss, "hromada", "settings threshold 3")
    hromada.run(boss, "kb", "watch here")
    ann = actor("ann")
    for _ in range(4):  # one person asking four times is still one asker
        hromada.run(ann, "kb", "vpn for contractors")
    hromada.run(actor("bob"), "kb", "contractors VPN")  # the same words, another order
    shown = hromada.run(boss, "kb", "gaps").plain()
    assert "contractors" not in shown and "No knowledge gaps" in shown
    ask(hromada, actor("cat"), "How do contractors get a VPN?", message="q1")
    shown = hromada.run(boss, "kb", "gaps").plain()
    assert "vpn contractors ×3" in shown and "This week" in shown
    with hromada.db.uow() as session:
        gap = session.execute(select(KnowledgeGap)).scalar_one()
        askers = session.execute(select(KnowledgeGapAsker.asker)).scalars().all()
    assert (gap.asks, gap.askers) == (6, 3) and len(askers) == 3
    assert "'cat'" not in every_value(hromada)  # asked in the channel only: not a member
    clock.advance(timedelta(days=7))
    later = hromada.run(boss, "kb", "gaps").plain()
    assert "Last week" in later and "vpn contractors ×3" in later


def test_a_plain_member_never_sees_the_gaps(hromada: Hromada, boss, actor) -> None:  # type: ignore[no-untyped-def]
    hromada.run(boss, "hromada", "settings threshold 3")
    for name in ("ann", "bob", "cat", "dan"):
        hromada.run(actor(name), "kb", "expense policy for travel")
    assert "expense" in hromada.run(boss, "kb", "gaps").plain()
    with pytest.raises(Forbidden):
        hromada.run(actor("ann"), "kb", "gaps")
    mine = hromada.run(boss, "digest", "preview").plain()
    assert "Knowledge gaps (moderators only)" in mine
    assert "expense policy travel ×4 · 2026-03-02" in mine
    theirs = hromada.run(actor("ann"), "digest", "preview").plain()
    assert "expense" not in theirs and "gaps" not in theirs.lower()


def test_the_posted_digest_never_carries_gaps(hromada: Hromada, boss, actor) -> None:  # type: ignore[no-untyped-def]
    from core import schedule
    from core.digest import build_digest

    hromada.run(boss, "hromada", "settings threshold 3")
    for name in ("ann", "bob", "cat"):
        hromada.run(actor(name), "kb", "expense policy for travel")
    with hromada.db.uow() as session:
        from storage.models import Tenant

        tenant = session.get(Tenant, boss.tenant_id)
        assert tenant is not None
        period = schedule.preview_period(tenant, hromada.clock.now())
        posted = build_digest(session, tenant, period, now=hromada.clock.now()).plain()
    assert "expense" not in posted


def test_forget_me_unlinks_the_askers_hashes(hromada: Hromada, boss, actor) -> None:  # type: ignore[no-untyped-def]
    ann = actor("ann")
    hromada.run(ann, "kb", "expense policy for travel")
    hromada.run(actor("bob"), "kb", "expense policy for travel")
    with hromada.db.uow() as session:
        before = set(session.execute(select(KnowledgeGapAsker.asker)).scalars())
    hromada.run(ann, "hromada", "forget-me confirm")
    with hromada.db.uow() as session:
        after = set(session.execute(select(KnowledgeGapAsker.asker)).scalars())
        gap = session.execute(select(KnowledgeGap)).scalar_one()
    assert len(before - after) == 1 and len(after) == 2  # hers replaced, bob's kept
    assert (gap.asks, gap.askers) == (2, 2)
    hromada.run(actor("bob"), "kb", "expense policy for travel")
    with hromada.db.uow() as session:
        assert session.execute(select(KnowledgeGap.askers)).scalar_one() == 2


def test_help_lists_the_new_commands(hromada: Hromada, actor) -> None:  # type: ignore[no-untyped-def]
    shown = hromada.run(actor("ann"), "hromada", "help").plain()
    for usage in ("/kb watch —", "/kb watch here —", "/kb watch off —", "/kb gaps —"):
        assert usage in shown, usage
    assert "/kb watch here — Answer questions asked in this channel" in shown
    line = next(ln for ln in shown.splitlines() if "/kb gaps —" in ln)
    assert line.endswith("🔒")


def test_a_ukrainian_workspace_is_answered_in_ukrainian(hromada: Hromada, watched, boss,  # type: ignore[no-untyped-def]
                                                        actor) -> None:
    hromada.run(boss, "hromada", "settings language uk")
    reply = ask(hromada, actor("bob"), "Як подати заявку на доступ до VPN?")
    assert reply is not None and [ln.ref for ln in reply.lines] == ["K-3"]
    assert reply.text.plain() == "Збережені знання, що можуть на це відповісти:"
    assert [a.label for a in reply.actions] == ["Це відповідь", "Не те"]
    assert "Громада" in hromada.run(boss, "kb", "стежити").plain()


def test_kb_search_lists_what_helped_before_an_equally_close_match(  # type: ignore[no-untyped-def]
        hromada: Hromada, boss) -> None:
    from storage import answers

    hromada.run(boss, "kb", "add VPN setup on laptops | Install the client")
    hromada.run(boss, "kb", "add VPN setup on phones | Install the app")

    def order() -> list[str]:
        with hromada.context(boss) as ctx:
            return [it.title for it in knowledge.find(ctx, "vpn setup").matches]

    before = order()
    assert sorted(before) == ["VPN setup on laptops", "VPN setup on phones"]
    with hromada.db.uow() as session:
        from sqlalchemy import select

        from storage.models import Item

        second = session.execute(select(Item).where(Item.title == before[1])).scalar_one()
        for _ in range(3):
            answers.add_helpful(session, boss.tenant_id, second.id)
    assert order() == before[::-1]  # the one that answered questions comes first
