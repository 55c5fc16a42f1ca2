"""Server-drawn SVG: well-formed, labelled for readers without JavaScript, text escaped,
hidden figures drawn as hidden (never as a number)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bots.web import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]


def test_heat_map_labels_every_cell_and_hides_what_it_is_told():
    cells = [[charts.Cell("7", "Eng, week 1: 7 people", 1.0),
              charts.Cell("<5", "Eng, week 2: fewer than 5 people", None)]]
    svg = charts.heat_map(chart_id="p", title="Participation", desc="by department",
                          rows=["Eng"], cols=["w1", "w2"], cells=cells,
                          legend=["<5: fewer than 5 people"], scale=charts.PEOPLE)
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "p-title p-desc"
    assert titles(root)[:1] == ["Participation"]
    assert "Eng, week 2: fewer than 5 people" in titles(root)
    assert {"7", "<5", "<5: fewer than 5 people", "Eng", "w1", "w2"} <= set(texts(root))
    hidden = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
              if "hidden" in (g.get("class") or "")]
    assert len(hidden) == 1
    assert hidden[0].find("s:rect", NS).get("fill") == "url(#p-hatch)"


def test_user_text_is_escaped():
    nasty = '<script>alert(1)</script>" onload="x'
    svg = charts.heat_map(chart_id="x", title=nasty, desc=nasty, rows=[nasty], cols=[nasty],
                          cells=[[charts.Cell(nasty, nasty, 0.5)]], legend=[nasty])
    assert "<script>" not in svg and 'onload="x' not in svg
    root = parse(svg)  # still well-formed
    assert nasty in texts(root) and nasty in titles(root)
    bars = charts.bar_chart(chart_id="b", title="t", desc="d",
                            bars=[charts.Bar(nasty, 3, nasty)])
    assert "<script>" not in bars and nasty in texts(parse(bars))
    line = charts.line_chart(chart_id="l", title="t", desc="d", y_min=1, y_max=5,
                             points=[charts.Point(nasty, 3.5, nasty)])
    assert "<script>" not in line and nasty in texts(parse(line))


def test_line_chart_breaks_at_hidden_points():
    points = [charts.Point("P-1", 3.2, "P-1: 3.2"), charts.Point("P-2", 4.0, "P-2: 4.0"),
              charts.Point("P-3", None, "P-3: not enough answers yet", "<5"),
              charts.Point("P-4", 2.5, "P-4: 2.5")]
    root = parse(charts.line_chart(chart_id="l", title="Pulses", desc="averages",
                                   points=points, y_min=1, y_max=5, y_ticks=[1, 3, 5]))
    lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # P-1 to P-2 only
    assert {"3.2", "4", "2.5", "<5"} <= set(texts(root))
    assert "P-3: not enough answers yet" in titles(root)


def test_bar_chart_draws_values_and_hidden_marks():
    bars = [charts.Bar("#teamwork", 4, "teamwork: 4"), charts.Bar("#craft", 0, "craft: 0"),
            charts.Bar("#care", None, "care: hidden", "<5")]
    root = parse(charts.bar_chart(chart_id="k", title="Kudos", desc="by value", bars=bars))
    assert {"4", "0", "<5", "#teamwork", "#craft", "#care"} <= set(texts(root))
    widths = [float(r.get("width")) for g in root.iter("{http://www.w3.org/2000/svg}g")
              for r in g.findall("s:rect", NS)]
    assert widths[0] > widths[1] == 0.0


def test_same_numbers_same_picture():
    args = dict(chart_id="r", title="Risks", desc="d", rows=["5", "4"], cols=["1", "2"],
                cells=[[charts.Cell("1", "t", 0.0), charts.Cell("·", "t", 0.0, empty=True)],
                       [charts.Cell("2", "t", 1.0), charts.Cell("·", "t", 0.0, empty=True)]])
    assert charts.heat_map(**args) == charts.heat_map(**args)
