"""Culture on the web, for moderators only: pulses over time, participation by department ×
week, kudos by value. Every figure is core's thresholded one; an empty cell says why."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from core import kudos, pulses, stats
from tests.web.conftest import sign_in

T = "console:test"
OTHER = "console:other"
SVG_NS = "{http://www.w3.org/2000/svg}"
WORDS = ["apple", "violin", "glacier", "turbine", "meadow", "lantern", "harbor", "quartz",
         "saddle", "pepper", "comet", "walrus", "bamboo", "oyster", "falcon", "tundra", "marble",
         "cactus", "nebula", "anchor"]


def phrase(n: int) -> str:
    return f"{WORDS[n % 20]} {WORDS[(n + 7) % 20]} {WORDS[(n + 13) % 20]}"


def team(hromada, actor, department: str, n: int, prefix: str) -> list:
    people = [actor(f"{prefix}{i}") for i in range(n)]
    for p in people:
        hromada.run(p, "people", f"me department {department}")
    return people


def svg_of(html: str, chart_id: str) -> ET.Element:
    m = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert m, f"no {chart_id} chart"
    return ET.fromstring(m.group(0))


def cells(root: ET.Element) -> dict[str, tuple[str, str, bool]]:
    """tooltip -> (visible label, tooltip, hidden?) of every heat-map cell."""
    out = {}
    for g in root.iter(f"{SVG_NS}g"):
        if "cell" in (g.get("class") or ""):
            tip = g.find(f"{SVG_NS}title").text or ""
            out[tip.split(":")[0]] = (g.find(f"{SVG_NS}text").text or "", tip,
                                      "hidden" in (g.get("class") or ""))
    return out


@pytest.fixture
def company(hromada, actor):
    """This week: Engineering 6 contributors, Legal 4 (k-1), Sales 5; k = 5."""
    people = (team(hromada, actor, "Engineering", 6, "e") + team(hromada, actor, "Legal", 4, "l")
              + team(hromada, actor, "Sales", 5, "s"))
    for n, p in enumerate(people):
        hromada.run(p, "idea", phrase(n))
    return actor("boss", admin=True)


def test_members_are_refused_with_the_reason(client, company):
    sign_in(client, T, "e0", "E0")
    page = client.get(f"/t/{T}/culture")
    assert page.status_code == 403
    assert "Only moderators can do that" in page.text
    assert "Engineering" not in page.text
    for name in ("participation", "pulses", "kudos"):
        assert client.get(f"/t/{T}/charts/{name}.svg").status_code == 403
    assert f'href="/t/{T}/culture"' not in client.get(f"/t/{T}/risks").text  # no nav link


def test_a_department_with_k_minus_one_shows_an_empty_cell_with_the_reason(client, company):
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture")
    assert page.status_code == 200
    week = "2026-03-02"
    found = cells(svg_of(page.text, "participation"))
    assert found[f"Engineering, week of {week}"][:1] == ("6",)
    label, tip, hidden = found[f"Legal, week of {week}"]
    assert (label, hidden) == ("<5", True)
    assert "fewer than 5 people" in tip
    # Sales' 5 would give Legal's 4 away by subtraction from the total: hidden as well.
    assert found[f"Sales, week of {week}"][0] == "<5"
    assert found[f"All departments, week of {week}"][0] == "15"
    # The reason is visible text too, without hovering or JavaScript.
    legend = [t.text for t in svg_of(page.text, "participation").iter(f"{SVG_NS}text")
              if "legend" in (t.get("class") or "")]
    assert legend == ["<5: fewer than 5 people, or showing it would uncover a smaller group"]
    assert '<td class="hidden-figure" title="fewer than 5 people' in page.text
    assert ">4<" not in page.text.replace("&lt;", "<").split('id="participation"')[1]
    alone = client.get(f"/t/{T}/charts/participation.svg")
    assert alone.status_code == 200 and alone.headers["content-type"].startswith("image/svg")
    assert ET.tostring(ET.fromstring(alone.text)) == ET.tostring(
        svg_of(page.text, "participation"))
    assert client.get(f"/t/{T}/charts/pulses.svg").status_code == 200


def test_the_page_draws_core_figures_and_counts_nothing_itself(client, hromada, company,
                                                                 monkeypatch):
    """Core's thresholded functions are replaced with made-up figures: the page shows exactly
    those. A page that counted for itself would show the store's 6 engineers instead."""
    real = stats.department_weeks

    def invented(session, tenant, now, weeks=8):
        out = real(session, tenant, now, weeks)
        out[-1].departments = {"Engineering": stats.Cell(42, None, None, None),
                               "Zeta": stats.Cell(None, None, None, None)}
        out[-1].overall = stats.Cell(77, None, None, None)
        return out

    monkeypatch.setattr(stats, "department_weeks", invented)
    monkeypatch.setattr(kudos, "counts", lambda *a: [("made-up", 9)])
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    found = cells(svg_of(page, "participation"))
    assert found["Engineering, week of 2026-03-02"][0] == "42"
    assert found["Zeta, week of 2026-03-02"][0] == "<5"
    assert found["All departments, week of 2026-03-02"][0] == "77"
    assert "Legal" not in page and "Sales" not in page
    assert "#made-up" in page and ">9<" in page


def test_open_pulse_results_are_not_shown(client, hromada, actor, company):
    boss = company
    hromada.run(boss, "pulse", "ask How clear are our goals?")
    for n, p in enumerate(actor(f"e{i}") for i in range(6)):
        hromada.run(p, "pulse", f"answer P-1 {5 if n % 2 else 1}")
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    assert "at least 5 answers" in page and "Still open" in page
    assert "average" not in page.split('id="pulses"')[1]
    points = [g for g in svg_of(page, "pulses").iter(f"{SVG_NS}g")
              if "point" in (g.get("class") or "")]
    assert len(points) == 1 and "hidden" in points[0].get("class")
    # One more answer changes nothing visible while the pulse is open.
    hromada.run(actor("s0"), "pulse", "answer P-1 5")
    again = client.get(f"/t/{T}/culture").text
    assert again.split('id="pulses"')[1] == page.split('id="pulses"')[1]
    hromada.run(boss, "pulse", "close P-1")
    closed = client.get(f"/t/{T}/culture").text
    assert "7 answers, average 3.3" in closed
    assert "Engineering: 6 answers, average 3.0" not in closed  # Sales' 1 would show by
    assert "Engineering: not enough answers yet" in closed     # subtraction: both hidden


def test_closed_pulse_under_k_shows_why(client, hromada, actor, company):
    boss = company
    hromada.run(boss, "pulse", "ask Is the workload manageable?")
    for i in range(4):
        hromada.run(actor(f"l{i}"), "pulse", "answer P-1 2")
    hromada.run(boss, "pulse", "close P-1")
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    assert "fewer than 5 answers" in page and "not enough answers yet" in page
    point = next(g for g in svg_of(page, "pulses").iter(f"{SVG_NS}g")
                 if "point" in (g.get("class") or ""))
    assert "hidden" in point.get("class") and point.find(f"{SVG_NS}text").text == "<5"


def test_pulse_view_uses_core_compute(client, hromada, company, monkeypatch):
    hromada.run(company, "pulse", "ask How clear are our goals?")
    hromada.run(company, "pulse", "close P-1")

    def invented(session, tenant, item):
        return pulses.PulseResult(k=5, overall=pulses.Group("", 31, True, 4.4,
                                                             {1: 1, 2: 2, 3: 3, 4: 10, 5: 15}),
                                  departments=[])

    monkeypatch.setattr(pulses, "compute", invented)
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    assert "31 answers, average 4.4" in page


def test_kudos_by_value(client, hromada, actor, company):
    hromada.run(actor("e0"), "kudos", "@e1 #teamwork thanks for the pairing")
    hromada.run(actor("e1"), "kudos", "@e2 #teamwork thanks")
    hromada.run(actor("e2"), "kudos", "@e0 #craft clean code")
    sign_in(client, T, "boss", "Boss", admin=True)
    root = svg_of(client.get(f"/t/{T}/culture").text, "kudos")
    labels = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert labels[1:] == ["#teamwork", "2", "#craft", "1"]
    svg = client.get(f"/t/{T}/charts/kudos.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg")


def test_another_tenants_culture_is_not_there(client, hromada, actor, company):
    hromada.run(actor("bo", tenant=OTHER, admin=True), "pulse", "ask Theirs?")
    sign_in(client, OTHER, "bo", "Bo", admin=True)
    assert client.get(f"/t/{OTHER}/culture").status_code == 200
    for url in (f"/t/{T}/culture", f"/t/{T}/charts/participation.svg",
                f"/t/{T}/charts/pulses.svg", f"/t/{T}/charts/kudos.svg"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Engineering" not in page.text
    assert "Engineering" not in client.get(f"/t/{OTHER}/culture").text


def test_ukrainian(client, company):
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture?lang=uk").text
    assert "Участь за відділами" in page and "менше ніж 5 людей" in page


def test_the_demo_company(client, hromada, clock, actor):
    """Eight weeks of a 27-person company: some cells pass the threshold, some do not."""
    from tests.web.culture_demo import populate

    populate(hromada, clock, actor("boss", admin=True))
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    found = cells(svg_of(page, "participation"))
    shown = [v for v in found.values() if not v[2]]
    hidden = [v for v in found.values() if v[2]]
    assert shown and hidden
    assert all(v[0] == "<5" for v in hidden)
    assert all(int(v[0]) >= 5 for v in shown)
    assert all(v[0] == "<5" for k, v in found.items() if k.startswith("People,"))


def test_department_names_are_text_and_no_department_is_named(client, hromada, actor):
    """A department is what members typed: shown as text, never as markup; members with none
    are one group, "no department"."""
    odd = team(hromada, actor, '<b onmouseover="x">Ops</b>', 5, "o")
    plain = [actor(f"n{i}") for i in range(5)]
    for n, p in enumerate(odd + plain):
        hromada.run(p, "idea", phrase(n))
    sign_in(client, T, "boss", "Boss", admin=True)
    page = client.get(f"/t/{T}/culture").text
    assert '<b onmouseover="x">' not in page and "&lt;b onmouseover=" in page
    found = cells(svg_of(page, "participation"))
    assert found['<b onmouseover="x">Ops</b>, week of 2026-03-02'][0] == "5"
    assert found["no department, week of 2026-03-02"][0] == "5"
