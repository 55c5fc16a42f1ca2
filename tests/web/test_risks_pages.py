"""The risk register on the web: the table with its filters, the heat map with /risk matrix's
counts, and edits by moderators and risk owners only, through the same commands."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import update

from core import risks
from storage.models import Item
from tests.web.conftest import csrf_of, sign_in, snapshot

T = "console:test"
OTHER = "console:other"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def register(hromada, actor):
    """R-1 4×5 owned by Olga, R-2 2×2, R-3 unrated, R-4 3×3 closed; raised by Ann."""
    boss, ann = actor("boss", admin=True), actor("ann")
    for title in ["TLS certificates expire unnoticed", "Vendor raises prices",
                  "Backlog outgrows hiring", "Office lease ends"]:
        hromada.run(ann, "risk", title)
    hromada.run(boss, "risk", "rate R-1 4 5")
    hromada.run(boss, "risk", "rate R-2 2 2")
    hromada.run(boss, "risk", "rate R-4 3 3")
    hromada.run(actor("olga"), "people", "me skills ops")
    hromada.run(actor("viewer"), "people", "me skills qa")
    hromada.run(boss, "risk", "owner R-1 @olga")
    hromada.run(boss, "risk", "status R-4 closed")
    return boss


def member_id(hromada, tenant: str, user_id: str) -> int:
    from storage import repos

    with hromada.db.uow() as session:
        member = repos.member_by_user(session, tenant, user_id)
        assert member is not None
        return int(member.id or 0)


def matrix_cells(html: str) -> dict[tuple[int, int], str]:
    """The heat map's cell labels by (likelihood, impact), read from the inline SVG."""
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg, "no heat map on the page"
    root = ET.fromstring(svg.group(0))
    cells = [g for g in root.iter(f"{SVG_NS}g") if "cell" in (g.get("class") or "")]
    assert len(cells) == 25
    out = {}
    for n, g in enumerate(cells):
        lik, imp = 5 - n // 5, n % 5 + 1
        out[(lik, imp)] = g.find(f"{SVG_NS}text").text or ""
        assert g.find(f"{SVG_NS}title").text.startswith(f"likelihood {lik} × impact {imp}")
    return out


def test_register_table_and_heat_map(client, hromada, actor, register):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/risks")
    assert page.status_code == 200
    rows = re.findall(r'<td><a href="/t/console:test/risks/(R-\d+)">R-', page.text)
    assert rows == ["R-1", "R-4", "R-2", "R-3"]
    cells = matrix_cells(page.text)
    with hromada.context(actor("viewer")) as ctx:
        grid = risks.matrix_counts(ctx)
    for (lik, imp), label in cells.items():
        n = grid[lik - 1][imp - 1]
        assert label == (str(n) if n else "·")
    assert cells[(4, 5)] == "1" and cells[(3, 3)] == "·"  # R-4 is closed, as in the matrix
    assert "Not rated yet: 1" in page.text
    svg = client.get(f"/t/{T}/charts/risks.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.text).tag == f"{SVG_NS}svg"


def test_register_filters(client, hromada, register):
    sign_in(client, T, "viewer", "Viewer")
    olga = member_id(hromada, T, "olga")

    def refs(query: str) -> list[str]:
        page = client.get(f"/t/{T}/risks?{query}")
        assert page.status_code == 200
        return re.findall(r'<td><a href="/t/console:test/risks/(R-\d+)">R-', page.text)

    assert refs("status=open") == ["R-1", "R-2", "R-3"]
    assert refs(f"owner={olga}") == ["R-1"]
    assert refs("owner=0") == ["R-4", "R-2", "R-3"]
    assert refs("min_score=9") == ["R-1", "R-4"]
    assert refs("status=open&min_score=5") == ["R-1"]
    assert refs("status=<script>&owner=x&min_score=lots") == ["R-1", "R-4", "R-2", "R-3"]


def test_members_see_no_form_and_their_post_is_refused(client, hromada, register):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/risks/R-1")
    assert page.status_code == 200 and "TLS certificates expire unnoticed" in page.text
    assert 'method="post" action="/t/console:test/risks' not in page.text
    before = snapshot(hromada)
    refused = client.post(f"/t/{T}/risks/R-1", data={"csrf": csrf_of(client),
                                                     "status": "closed", "likelihood": "1",
                                                     "impact": "1"})
    assert refused.status_code == 403
    assert "Only the owner of R-1" in refused.text
    assert snapshot(hromada) == before


def test_owner_edits_through_the_commands(client, hromada, actor, notices, register):
    sign_in(client, T, "olga", "Olga")
    page = client.get(f"/t/{T}/risks/R-1")
    assert 'method="post" action="/t/console:test/risks/R-1"' in page.text
    done = client.post(f"/t/{T}/risks/R-1", data={
        "csrf": csrf_of(client), "status": "mitigating", "note": "rotating the keys",
        "likelihood": "2", "impact": "5", "owner": str(member_id(hromada, T, "olga"))})
    assert done.status_code == 303 and done.headers["location"] == f"/t/{T}/risks/R-1"
    after = client.get(f"/t/{T}/risks/R-1")
    assert "R-1 is rated 2×5 = 10." in after.text  # the flash: the commands' own words
    shown = hromada.run(actor("viewer"), "risk", "show R-1")
    fields = {f.label: f.value.plain() for f in shown.fields}
    assert fields["Status"] == "mitigating" and fields["Likelihood × impact"] == "2×5 = 10"
    assert any("rotating the keys" in ln.text.plain() for ln in shown.lines)
    # The status change told who raised it, as /risk status does.
    assert any("is now mitigating" in n.text.plain() for _, n in notices.notices)


def test_moderator_hands_a_risk_on(client, hromada, actor, notices, register):
    sign_in(client, T, "boss", "Boss", admin=True)
    viewer = member_id(hromada, T, "viewer")
    page = client.get(f"/t/{T}/risks/R-2")
    assert f'<option value="{viewer}">Viewer</option>' in page.text
    done = client.post(f"/t/{T}/risks/R-2", data={"csrf": csrf_of(client), "status": "open",
                                                  "owner": str(viewer), "likelihood": "2",
                                                  "impact": "2"})
    assert done.status_code == 303
    fields = {f.label: f.value.plain()
              for f in hromada.run(actor("viewer"), "risk", "show R-2").fields}
    assert fields["Owner"] == "Viewer"
    assert any(n.recipients == ("viewer",) for _, n in notices.notices)


def test_refusals_leave_the_store_as_it_was(client, hromada, actor, register):
    sign_in(client, T, "boss", "Boss", admin=True)
    hromada.run(actor("stranger", tenant=OTHER), "people", "me skills x")
    stranger = member_id(hromada, OTHER, "stranger")
    before = snapshot(hromada)
    # No CSRF token: refused before anything runs.
    assert client.post(f"/t/{T}/risks/R-1", data={"status": "closed"}).status_code == 403
    # A member of another tenant as owner (a guessed id): there is no such member here.
    assert client.post(f"/t/{T}/risks/R-1", data={
        "csrf": csrf_of(client), "owner": str(stranger)}).status_code == 404
    # Bad input: a rating out of range, and a form that changes nothing.
    bad = client.post(f"/t/{T}/risks/R-1", data={"csrf": csrf_of(client), "likelihood": "9",
                                                 "impact": "1"})
    assert bad.status_code == 303
    assert "flash error" in client.get(f"/t/{T}/risks/R-1").text
    assert client.post(f"/t/{T}/risks/R-1", data={"csrf": csrf_of(client),
                                                  "status": "open"}).status_code == 303
    assert client.post(f"/t/{T}/risks/R-99", data={"csrf": csrf_of(client),
                                                   "status": "closed"}).status_code == 404
    assert client.post(f"/t/{T}/risks/K-1", data={"csrf": csrf_of(client),
                                                  "status": "closed"}).status_code == 404
    assert snapshot(hromada) == before


def test_another_tenants_risks_are_not_there(client, hromada, actor, register):
    """A member of tenant B tries tenant A's URLs and forms, guessed refs and ids included."""
    hromada.run(actor("bo", tenant=OTHER, admin=True), "risk", "Their own risk")
    sign_in(client, OTHER, "bo", "Bo", admin=True)
    assert client.get(f"/t/{OTHER}/risks/R-1").status_code == 200
    before = snapshot(hromada)
    for url in (f"/t/{T}/risks", f"/t/{T}/risks/R-1", f"/t/{T}/charts/risks.svg",
                "/t/console:nowhere/risks"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "TLS certificates" not in page.text
    refused = client.post(f"/t/{T}/risks/R-1", data={"csrf": csrf_of(client),
                                                     "status": "closed"})
    assert refused.status_code == 404
    # Their own R-1 with tenant A's owner id: not a member of theirs.
    olga = member_id(hromada, T, "olga")
    assert client.post(f"/t/{OTHER}/risks/R-1", data={
        "csrf": csrf_of(client), "owner": str(olga)}).status_code == 404
    assert snapshot(hromada) == before
    own = client.get(f"/t/{OTHER}/risks").text
    assert "Their own risk" in own and "TLS certificates" not in own


def test_signed_out_goes_to_sign_in(client, register):
    assert client.get(f"/t/{T}/risks").status_code == 303
    assert client.get(f"/t/{T}/risks").headers["location"] == "/login"


def test_anonymous_risk_names_nobody(client, hromada, register):
    """Should a risk ever be anonymous, no page or chart carries its author."""
    with hromada.db.uow() as session:
        session.execute(update(Item).where(Item.tenant_id == T, Item.kind == "risk",
                                           Item.number == 2)
                        .values(anonymous=True, author_id=None, anon_hash="x"))
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/risks/R-2").text + client.get(f"/t/{T}/risks").text
    assert "anonymous" in client.get(f"/t/{T}/risks/R-2").text
    ann = str(member_id(hromada, T, "ann"))
    assert "Ann" not in page and f'value="{ann}"' not in page


def test_ukrainian_page(client, register):
    sign_in(client, T, "viewer", "Viewer")
    page = client.get(f"/t/{T}/risks?lang=uk")
    assert "Реєстр ризиків" in page.text and "Risk register" not in page.text
