"""The idea board and idea pages: every route, as a member and as a moderator, with the
same tallies, statuses and notices as chat."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.testclient import TestClient

from core.app import Hromada
from core.clock import ManualClock
from core.context import Actor
from tests.bots.store_checks import score
from tests.web.conftest import RecordingDelivery, csrf_of, sign_in, snapshot

T = "console:demo"
ALICE = Actor(T, "alice", "Alice")
BOB = Actor(T, "bob", "Bob")
BOSS = Actor(T, "boss", "Boss", is_admin=True)


def _ideas(hromada: Hromada, *titles: str, who: Actor = ALICE) -> None:
    for title in titles:
        hromada.run(who, "idea", title)


def _order(html: str) -> list[str]:
    return re.findall(r'class="ref" href="[^"]+">(I-\d+)</a>', html)


def test_every_page_needs_a_signed_in_member(client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    for path in ("/", "/t/console:demo/ideas", "/t/console:demo/ideas/I-1"):
        out = client.get(path)
        assert out.status_code == 303 and out.headers["location"] == "/login", path
    before = snapshot(hromada)
    csrf = csrf_of(client)
    for action, data in (("vote", {"vote": "up"}), ("status", {"status": "done"}),
                         ("merge", {"target": "I-1"})):
        out = client.post(f"/t/console:demo/ideas/I-1/{action}", data={"csrf": csrf, **data})
        assert out.status_code == 401, action
    assert snapshot(hromada) == before


def test_the_board_sorts_filters_and_searches(client: TestClient, hromada: Hromada,
                                              clock: ManualClock) -> None:
    _ideas(hromada, "Dark mode for the wiki", "Quiet hours on Wednesday",
           "Standing desks in the office")
    voters = [Actor(T, f"v{i}", f"Voter {i}") for i in range(3)]
    # I-1 got its votes long ago; I-3 got fewer, but this week.
    hromada.attach_message(T, 1, "c", "m1")
    hromada.attach_message(T, 3, "c", "m3")
    for v in voters:
        hromada.react(v, channel_id="c", message_id="m1", emoji="+1", added=True)
    clock.advance(timedelta(days=10))
    hromada.react(voters[0], channel_id="c", message_id="m3", emoji="+1", added=True)
    hromada.run(BOSS, "idea", "status I-2 planned")
    sign_in(client, T, "alice", "Alice")

    assert _order(client.get("/t/console:demo/ideas").text) == ["I-1", "I-3", "I-2"]
    assert _order(client.get("/t/console:demo/ideas?sort=new").text) == ["I-3", "I-2", "I-1"]
    trending = client.get("/t/console:demo/ideas?sort=trending").text
    assert _order(trending) == ["I-3", "I-1", "I-2"]
    assert "+1 this week" in trending
    assert _order(client.get("/t/console:demo/ideas?status=planned").text) == ["I-2"]
    assert _order(client.get("/t/console:demo/ideas?status=done").text) == []
    # The chat's fuzzy search: a typo still finds it.
    found = client.get("/t/console:demo/ideas?q=dark mdoe").text
    assert _order(found) == ["I-1"]
    assert _order(client.get("/t/console:demo/ideas?q=quiet&status=new").text) == []
    assert client.get("/t/console:demo/ideas?status=nonsense").status_code == 400


def test_merged_and_withdrawn_ideas_leave_the_board_unless_asked_for(
        client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki", "A darker wiki theme please")
    hromada.run(BOSS, "idea", "merge I-2 into I-1")
    sign_in(client, T, "alice", "Alice")
    assert _order(client.get("/t/console:demo/ideas").text) == ["I-1"]
    assert _order(client.get("/t/console:demo/ideas?status=merged").text) == ["I-2"]
    page = client.get("/t/console:demo/ideas/I-2").text
    assert "Merged into" in page and "/t/console:demo/ideas/I-1" in page
    assert 'class="vote"' not in page  # a merged idea takes no votes
    assert "I-2" in client.get("/t/console:demo/ideas/I-1").text  # "merged here"


def test_the_board_pages(client: TestClient, hromada: Hromada) -> None:
    words = ("apples", "bridges", "canyons", "dolphins", "engines", "falcons", "glaciers",
             "harbours", "islands", "jungles", "kettles", "lanterns", "meadows", "needles",
             "orchards", "pianos", "quarries", "rivers", "saddles", "tunnels", "umbrellas",
             "volcanoes")
    _ideas(hromada, *words)
    sign_in(client, T, "alice", "Alice")
    first = client.get("/t/console:demo/ideas?sort=new").text
    assert len(_order(first)) == 20 and "page=2" in first
    second = client.get("/t/console:demo/ideas?sort=new&page=2").text
    assert _order(second) == ["I-2", "I-1"]


def test_one_url_per_idea(client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    sign_in(client, T, "alice", "Alice")
    assert client.get("/t/console:demo/ideas/I-1").status_code == 200
    for other in ("1", "i1", "i-1"):
        out = client.get(f"/t/console:demo/ideas/{other}")
        assert out.status_code == 301 and out.headers["location"] == "/t/console:demo/ideas/I-1"
    assert client.get("/t/console:demo/ideas/I-2").status_code == 404
    assert client.get("/t/console:demo/ideas/R-1").status_code == 404
    assert client.get("/t/console:demo/ideas/../../etc").status_code == 404


def test_a_web_vote_is_the_chat_vote(client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    hromada.attach_message(T, 1, "console", "m1")
    sign_in(client, T, "bob", "Bob")
    csrf = csrf_of(client)
    assert client.post("/t/console:demo/ideas/I-1/vote",
                       data={"csrf": csrf, "vote": "up"}).status_code == 303
    assert score(hromada, "idea", 1) == 1
    assert "+1 (👍 1 · 👎 0)" in hromada.run(ALICE, "idea", "show I-1").plain()
    # Twice is still one vote; then down replaces it, as the latest wins.
    client.post("/t/console:demo/ideas/I-1/vote", data={"csrf": csrf, "vote": "up"})
    assert score(hromada, "idea", 1) == 1
    client.post("/t/console:demo/ideas/I-1/vote", data={"csrf": csrf, "vote": "down"})
    assert score(hromada, "idea", 1) == -1
    # Bob's 👍 reaction in chat is the same one vote.
    hromada.react(BOB, channel_id="console", message_id="m1", emoji="+1", added=True)
    assert score(hromada, "idea", 1) == 1
    page = client.get("/t/console:demo/ideas/I-1").text
    assert 'data-score="1"' in page and 'aria-pressed="true"' in page
    # Another member's 👍 from chat shows on the page.
    hromada.react(ALICE, channel_id="console", message_id="m1", emoji="+1", added=True)
    assert 'data-score="2"' in client.get("/t/console:demo/ideas/I-1").text
    # Taking the vote back.
    client.post("/t/console:demo/ideas/I-1/vote", data={"csrf": csrf, "vote": "none"})
    assert score(hromada, "idea", 1) == 1
    assert "+1 (👍 1 · 👎 0)" in hromada.run(ALICE, "idea", "show I-1").plain()


def test_a_vote_from_the_board_returns_to_the_board(client: TestClient,
                                                    hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    sign_in(client, T, "bob", "Bob")
    out = client.post("/t/console:demo/ideas/I-1/vote",
                      data={"csrf": csrf_of(client), "vote": "up", "back": "?sort=new"})
    assert out.headers["location"] == "/t/console:demo/ideas?sort=new"
    # A "back" that leaves the site is not followed.
    out = client.post("/t/console:demo/ideas/I-1/vote",
                      data={"csrf": csrf_of(client), "vote": "up", "back": "//evil.example"})
    assert out.headers["location"] == "/t/console:demo/ideas/I-1"


def test_bad_votes_change_nothing(client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki", "Old idea")
    hromada.run(ALICE, "idea", "withdraw I-2")
    sign_in(client, T, "bob", "Bob")
    before = snapshot(hromada)
    csrf = csrf_of(client)
    assert client.post("/t/console:demo/ideas/I-1/vote",
                       data={"csrf": csrf, "vote": "sideways"}).status_code == 400
    assert client.post("/t/console:demo/ideas/I-2/vote",
                       data={"csrf": csrf, "vote": "up"}).status_code == 400
    assert client.post("/t/console:demo/ideas/I-9/vote",
                       data={"csrf": csrf, "vote": "up"}).status_code == 404
    assert snapshot(hromada) == before


def test_forms_without_the_session_token_are_refused(client: TestClient, other_client: TestClient,
                                                     hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    sign_in(client, T, "boss", "Boss", admin=True)
    sign_in(other_client, T, "bob", "Bob")
    before = snapshot(hromada)
    wrong = csrf_of(other_client)  # a real token, of another session
    for action, data in (("vote", {"vote": "up"}), ("status", {"status": "done"}),
                         ("merge", {"target": "I-1"})):
        for token in (None, "", "forged", wrong):
            form = {**data} if token is None else {"csrf": token, **data}
            out = client.post(f"/t/console:demo/ideas/I-1/{action}", data=form)
            assert out.status_code == 403, (action, token)
            assert "CSRF" in out.text
    out = client.post("/logout", data={"csrf": "forged"})
    assert out.status_code == 403
    assert client.get("/t/console:demo/ideas").status_code == 200  # still signed in
    assert snapshot(hromada) == before


def test_moderators_change_status_and_everyone_is_told(
        client: TestClient, hromada: Hromada, notices: RecordingDelivery) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    hromada.attach_message(T, 1, "console", "m1")
    hromada.react(BOB, channel_id="console", message_id="m1", emoji="+1", added=True)
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get("/t/console:demo/ideas/I-1").text
    assert "Change status" in page and "Merge" in page
    out = client.post("/t/console:demo/ideas/I-1/status",
                      data={"csrf": csrf_of(client), "status": "planned",
                            "note": "Next sprint"})
    assert out.status_code == 303
    shown = hromada.run(ALICE, "idea", "show I-1").plain()
    assert "Status: planned" in shown and "new → planned: Next sprint" in shown
    told = [(t, set(n.recipients), n.text.plain()) for t, n in notices.notices]
    assert told == [(T, {"alice", "bob"},
                     "I-1 “Dark mode for the wiki” is now planned (was new). Next sprint")]
    page = client.get("/t/console:demo/ideas/I-1").text
    assert "People told: 2." in page  # the flash: what chat says
    assert "new → planned: Next sprint" in page  # the history
    # A status it already has, or one that does not exist: refused, unchanged.
    before = snapshot(hromada)
    assert client.post("/t/console:demo/ideas/I-1/status",
                       data={"csrf": csrf_of(client), "status": "planned"}).status_code == 400
    assert client.post("/t/console:demo/ideas/I-1/status",
                       data={"csrf": csrf_of(client), "status": "merged"}).status_code == 400
    assert snapshot(hromada) == before


def test_moderators_merge_and_votes_move(client: TestClient, hromada: Hromada,
                                         notices: RecordingDelivery) -> None:
    _ideas(hromada, "Dark mode for the wiki", "A darker wiki theme please")
    hromada.attach_message(T, 2, "console", "m2")
    hromada.react(BOB, channel_id="console", message_id="m2", emoji="+1", added=True)
    sign_in(client, T, "boss", "Boss", admin=True)
    out = client.post("/t/console:demo/ideas/I-2/merge",
                      data={"csrf": csrf_of(client), "target": "I-1"})
    assert out.status_code == 303
    assert score(hromada, "idea", 1) == 1
    assert "Status: merged" in hromada.run(ALICE, "idea", "show I-2").plain()
    assert {r for _, n in notices.notices for r in n.recipients} == {"alice", "bob"}
    before = snapshot(hromada)
    for target in ("I-2", "I-9", "nonsense", ""):
        refused = client.post("/t/console:demo/ideas/I-1/merge",
                              data={"csrf": csrf_of(client), "target": target})
        assert refused.status_code in (400, 404), target
    assert snapshot(hromada) == before


def test_members_cannot_moderate(client: TestClient, hromada: Hromada,
                                 notices: RecordingDelivery) -> None:
    _ideas(hromada, "Dark mode for the wiki", "A darker wiki theme please")
    sign_in(client, T, "alice", "Alice")
    page = client.get("/t/console:demo/ideas/I-1").text
    assert "Change status" not in page and "/merge" not in page
    before = snapshot(hromada)
    for action, data in (("status", {"status": "done"}), ("merge", {"target": "I-2"})):
        out = client.post(f"/t/console:demo/ideas/I-1/{action}",
                          data={"csrf": csrf_of(client), **data})
        assert out.status_code == 403, action
        assert "Only moderators can do that" in out.text  # the reason, as chat says it
    assert snapshot(hromada) == before and notices.notices == []


def test_settings_moderators_and_roles_come_from_core(client: TestClient,
                                                      hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    hromada.run(BOSS, "hromada", "settings moderators add @Alice")
    sign_in(client, T, "alice", "Alice")
    assert "Change status" in client.get("/t/console:demo/ideas/I-1").text
    assert client.post("/t/console:demo/ideas/I-1/status",
                       data={"csrf": csrf_of(client), "status": "reviewing"}).status_code == 303


def test_anonymous_ideas_name_nobody_anywhere(client: TestClient, other_client: TestClient,
                                              hromada: Hromada) -> None:
    hromada.run(ALICE, "idea", "anon Pay rises should be public")
    with hromada.db.uow() as session:
        from storage.models import Item, Member, SealedRef

        item = session.query(Item).one()
    hromada.press(ALICE, "anon.hearback", str(item.id))  # she opts in: a sealed reference
    hromada.run(BOSS, "idea", "status I-1 reviewing Looking into it")
    sign_in(client, T, "boss", "Boss", admin=True)
    sign_in(other_client, T, "alice", "Alice")  # the author herself
    with hromada.db.uow() as session:
        sealed = session.query(SealedRef).one()
        alice = session.query(Member).filter_by(user_id="alice").one()
        secrets = {item.anon_hash, sealed.token, f'"{alice.id}"', f"={alice.id}", "alice",
                   "Alice"}
    for c in (client, other_client):
        pages = [c.get("/t/console:demo/ideas").text,
                 c.get("/t/console:demo/ideas/I-1").text,
                 c.get("/t/console:demo/ideas?q=pay rises").text]
        for html in pages:
            body = html.split("<main>", 1)[1]  # the viewer's own name is in the header
            for secret in secrets:
                assert secret is None or secret not in body, secret
            assert "Pay rises should be public" in body
        assert "anonymous" in pages[1]


def test_pages_speak_the_tenant_language(client: TestClient, hromada: Hromada) -> None:
    _ideas(hromada, "Dark mode for the wiki")
    hromada.run(BOSS, "hromada", "settings language uk")
    sign_in(client, T, "alice", "Alice")
    page = client.get("/t/console:demo/ideas").text
    assert "Ідеї" in page and 'lang="uk"' in page
    assert "нова" in page  # the status word, from core's catalog
    english = client.get("/t/console:demo/ideas?lang=en").text
    assert 'lang="en"' in english and ">Ideas<" in english
    assert 'lang="en"' in client.get("/t/console:demo/ideas/I-1").text  # remembered


def test_security_headers_and_static_files(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    css = client.get("/static/hromada.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert client.get("/no/such/page").status_code == 404
