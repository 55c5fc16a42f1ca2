"""The web pages' data: the same figures as chat, the same permission rules, nothing counted
twice and nothing under the threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import pages, stats
from core.errors import Forbidden, InvalidInput, NotFound
from tests.core.support import react, snapshot, submit

WORDS = ["apple", "violin", "glacier", "turbine", "meadow", "lantern", "harbor", "quartz",
         "saddle", "pepper", "comet", "walrus", "bamboo", "oyster", "falcon", "tundra", "marble",
         "cactus", "nebula", "anchor"]


def phrase(n: int) -> str:
    """Texts far apart, so the duplicate prompt never fires (n < 20)."""
    return f"{WORDS[n % 20]} {WORDS[(n + 7) % 20]} {WORDS[(n + 13) % 20]}"


def team(hromada, actor, department: str, n: int, prefix: str) -> list:
    people = [actor(f"{prefix}{i}") for i in range(n)]
    for p in people:
        hromada.run(p, "people", f"me department {department}")
    return people


def page(hromada, who, fn, *args, **kw):
    with hromada.context(who) as ctx:
        return fn(ctx, *args, **kw)


@pytest.fixture
def register(hromada, actor):
    """Four risks: R-1 4×5 owned by olga, R-2 2×2, R-3 unrated, R-4 3×3 closed."""
    boss = actor("boss", admin=True)
    ann = actor("ann")
    for n, title in enumerate(["TLS certificates expire unnoticed", "Vendor raises prices",
                               "Backlog outgrows hiring", "Office lease ends"]):
        submit(hromada, ann, "risk", title)
        del n
    hromada.run(boss, "risk", "rate R-1 4 5")
    hromada.run(boss, "risk", "rate R-2 2 2")
    hromada.run(boss, "risk", "rate R-4 3 3")
    hromada.run(actor("olga"), "people", "me skills ops")
    hromada.run(boss, "risk", "owner R-1 @olga")
    hromada.run(boss, "risk", "status R-4 closed")
    return boss


def test_register_heat_map_is_the_risk_matrix(hromada, actor, register):
    reg = page(hromada, actor("viewer"), pages.risk_register, pages.RiskFilter())
    with hromada.context(actor("viewer")) as ctx:
        from core import risks

        assert reg.grid == risks.matrix_counts(ctx)
    assert reg.grid[3][4] == 1 and reg.grid[1][1] == 1 and reg.grid[2][2] == 0  # R-4 closed
    assert reg.unrated == 1
    matrix = hromada.run(actor("viewer"), "risk", "matrix")
    assert any(f.label == "Not rated yet" and f.value.plain() == "1" for f in matrix.fields)
    # Most serious first; every risk listed when no filter is set, closed ones too.
    assert [r.ref for r in reg.rows] == ["R-1", "R-4", "R-2", "R-3"]
    assert reg.rows[0].score == 20 and reg.rows[0].owner.name == "Olga"
    assert reg.rows[3].score is None


def test_register_filters(hromada, actor, register):
    viewer = actor("viewer")

    def refs(**kw):
        flt = pages.RiskFilter.parse(kw.get("status"), kw.get("owner"), kw.get("min_score"))
        return [r.ref for r in page(hromada, viewer, pages.risk_register, flt).rows]

    assert refs(status="closed") == ["R-4"]
    assert refs(status="open") == ["R-1", "R-2", "R-3"]
    reg = page(hromada, viewer, pages.risk_register, pages.RiskFilter())
    olga = reg.owners[0].member_id
    assert refs(owner=str(olga)) == ["R-1"]
    assert refs(owner="0") == ["R-4", "R-2", "R-3"]
    assert refs(min_score="9") == ["R-1", "R-4"]
    assert refs(status="nonsense", owner="x", min_score="-3") == ["R-1", "R-4", "R-2", "R-3"]


def test_risk_page_and_who_may_edit(hromada, actor, register):
    react(hromada, actor("viewer"), 1)
    seen = page(hromada, actor("viewer"), pages.risk_page, 1)
    assert not seen.can_edit and seen.members == []
    assert seen.row.seen_too == 1 and seen.raised_by == "Ann"
    assert any("owner: Olga" in h.text for h in seen.history)
    assert page(hromada, actor("olga"), pages.risk_page, 1).can_edit  # the owner
    assert page(hromada, actor("ann"), pages.risk_page, 1).can_edit  # who raised it
    assert page(hromada, register, pages.risk_page, 2).can_edit  # a moderator
    with pytest.raises(NotFound):
        page(hromada, actor("viewer"), pages.risk_page, 99)


def test_changes_go_through_the_commands_and_refuse_outsiders(hromada, actor, db, register):
    before = snapshot(db)
    with pytest.raises(Forbidden):
        page(hromada, actor("viewer"), pages.change_risk, 1, status="mitigating")
    with pytest.raises(Forbidden):
        page(hromada, actor("viewer"), pages.change_risk, 2, likelihood="5", impact="5")
    assert snapshot(db) == before
    # The owner changes status and rating in one form: both recorded, as the commands do.
    replies = page(hromada, actor("olga"), pages.change_risk, 1, status="mitigating",
                   note="rotating keys", likelihood="2", impact="5")
    assert [r.text.plain() for r in replies][0].startswith("R-1 is rated 2×5")
    shown = hromada.run(actor("viewer"), "risk", "show R-1")
    assert "mitigating" in shown.plain() or any("mitigating" in f.value.plain()
                                                for f in shown.fields)
    assert any("rotating keys" in ln.text.plain() for ln in shown.lines)


def test_owner_must_be_a_member_of_this_tenant(hromada, actor, db, register):
    stranger = actor("stranger", tenant="console:other")
    hromada.run(stranger, "people", "me skills x")
    other_id = page(hromada, stranger, lambda ctx: ctx.member.id)
    before = snapshot(db)
    with pytest.raises(NotFound):
        page(hromada, register, pages.change_risk, 1, owner=other_id)
    with pytest.raises(InvalidInput):
        page(hromada, register, pages.change_risk, 1, likelihood="9", impact="1")
    with pytest.raises(InvalidInput):
        page(hromada, register, pages.change_risk, 1)
    assert snapshot(db) == before


def test_a_partly_refused_form_changes_nothing(hromada, actor, db, register):
    """Rating passes its check (the author may), a bad status does not: neither is kept."""
    before = snapshot(db)
    with pytest.raises(InvalidInput):
        page(hromada, actor("ann"), pages.change_risk, 2, likelihood="5", impact="5",
             status="exploded")
    assert snapshot(db) == before


# -- knowledge --------------------------------------------------------------------------


@pytest.fixture
def snippets(hromada, actor):
    ann = actor("ann")
    hromada.run(ann, "kb", "add How to get VPN access | Ask IT with the serial number #onboarding")
    hromada.run(ann, "kb", "add Release checklist | Tag, smoke suite, announce #engineering")
    hromada.run(ann, "kb", "add Expense reports | Receipts before the 5th #onboarding #finance")
    hromada.run(ann, "kb", "alias K-2 shipping list")
    return ann


def test_search_is_kb_search(hromada, actor, snippets):
    viewer = actor("viewer")
    for query in ("vpn acess", "release checklist", "shipping list", "zzqx"):
        found = page(hromada, viewer, pages.search_knowledge, query)
        reply = hromada.run(viewer, "kb", query)
        chat_refs = [ln.ref for ln in reply.lines if ln.ref]
        web_refs = [r.ref for r in found.matches + found.near]
        if found.exact is not None:
            assert reply.title is not None and found.exact.ref in reply.title.plain()
            chat_refs = chat_refs[:5]
            web_refs = web_refs[:5]
        assert web_refs == chat_refs, query
    assert page(hromada, viewer, pages.search_knowledge, "shipping list").exact.ref == "K-2"


def test_onboarding_path_in_order(hromada, actor, snippets):
    viewer = actor("viewer")
    path = page(hromada, viewer, pages.onboarding_path)
    chat = hromada.run(viewer, "kb", "onboarding")
    assert [r.ref for r in path] == [ln.ref for ln in chat.lines] == ["K-1", "K-3"]
    assert path[1].tags == ["finance", "onboarding"]


def test_snippet_page_marks_stale_as_chat_does(hromada, actor, clock, snippets):
    viewer = actor("viewer")
    fresh = page(hromada, viewer, pages.snippet_page, 2)
    assert fresh.aliases == ["shipping list"] and fresh.owner == "Ann" and not fresh.stale
    clock.advance(timedelta(days=91))
    stale = page(hromada, viewer, pages.snippet_page, 2)
    assert stale.stale and stale.verify_by == fresh.verify_by
    shown = hromada.run(viewer, "kb", "show K-2")
    assert any("stale since" in f.value.plain() for f in shown.fields)
    assert [r.stale for r in page(hromada, viewer, pages.onboarding_path)] == [True, True]


def test_saved_message_keeps_its_link(hromada, actor):
    hromada.save_message(actor("ann"), text="Deploys freeze on Fridays after 3pm",
                         link="https://example.slack.com/archives/C1/p123",
                         source_author="Bob")
    shown = page(hromada, actor("viewer"), pages.snippet_page, 1)
    assert shown.source_link == "https://example.slack.com/archives/C1/p123"
    assert shown.originally_by == "Bob"


# -- culture ----------------------------------------------------------------------------


def test_culture_is_for_moderators(hromada, actor):
    with pytest.raises(Forbidden) as refused:
        page(hromada, actor("member"), pages.culture_page)
    assert "moderators" in str(refused.value.message).lower()
    assert page(hromada, actor("boss", admin=True), pages.culture_page).k == 5


def test_department_with_k_minus_one_is_hidden(hromada, actor):
    big = team(hromada, actor, "Engineering", 6, "e")
    small = team(hromada, actor, "Legal", 4, "l")
    mid = team(hromada, actor, "Sales", 5, "s")
    for n, p in enumerate(big + small + mid):
        submit(hromada, p, "idea", phrase(n))
    data = page(hromada, actor("boss", admin=True), pages.culture_page)
    assert data.participation["Engineering"][-1] == 6
    assert data.participation["Legal"][-1] is None
    # Legal's 4 would be total minus the shown ones: the next smallest group hides too.
    assert data.participation["Sales"][-1] is None
    assert data.overall[-1] == 15
    assert data.participation["Engineering"][:-1] == [None] * 7


def test_department_weeks_is_the_stats_rule(hromada, actor, clock):
    people = team(hromada, actor, "Ops", 5, "o")
    for n, p in enumerate(people):
        submit(hromada, p, "risk", phrase(n))
    clock.advance(timedelta(days=7))
    with hromada.context(actor("boss", admin=True)) as ctx:
        weeks = stats.department_weeks(ctx.session, ctx.tenant, ctx.now, 2)
        now = stats.participation(ctx.session, ctx.tenant, ctx.now)
    assert weeks[0].departments["Ops"] == now.rows["Ops"][1]
    assert weeks[0].departments["Ops"].contributors == 5
    assert "Ops" not in weeks[1].departments


def test_open_pulse_shows_no_result(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "pulse", "ask How clear are our goals?")
    people = team(hromada, actor, "Engineering", 7, "e")
    for p in people:
        hromada.run(p, "pulse", "answer P-1 4")
    [view] = page(hromada, boss, pages.culture_page).pulses
    assert not view.closed and view.average is None and view.departments == []
    assert view.answered == "at least 5 answers"
    hromada.run(boss, "pulse", "close P-1")
    [view] = page(hromada, boss, pages.culture_page).pulses
    assert view.closed and view.average == 4.0 and view.answered == "7 answers"
    assert view.departments[0].shown and view.closed_on == "2026-03-02"


def test_closed_pulse_under_k_has_no_average(hromada, actor):
    boss = actor("boss", admin=True)
    hromada.run(boss, "pulse", "ask How clear are our goals?")
    for p in team(hromada, actor, "Legal", 4, "l"):
        hromada.run(p, "pulse", "answer P-1 2")
    hromada.run(boss, "pulse", "close P-1")
    [view] = page(hromada, boss, pages.culture_page).pulses
    assert view.average is None and view.answered == "fewer than 5 answers"
    assert view.overall == "not enough answers yet"
    assert [(g.name, g.shown) for g in view.departments] == [("Legal", False)]


def test_kudos_by_value_are_the_digest_counts(hromada, actor):
    team(hromada, actor, "Engineering", 3, "e")
    hromada.run(actor("e0"), "kudos", "@e1 #teamwork thanks for the pairing")
    hromada.run(actor("e1"), "kudos", "@e2 #teamwork thanks")
    hromada.run(actor("e2"), "kudos", "@e0 #craft clean code")
    data = page(hromada, actor("boss", admin=True), pages.culture_page)
    assert data.kudos == [("teamwork", 2), ("craft", 1)]
