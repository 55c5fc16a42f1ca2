"""Charts drawn on the server as SVG: heat maps, a line chart and a bar chart.

Each chart is a self-contained ``<svg>`` with a ``<title>`` and ``<desc>``, and every cell,
point and bar carries its own ``<title>`` (the tooltip) and a visible text label, so it reads
without JavaScript, in a screen reader, and printed. The numbers are drawn as given: a
``None`` is a hidden figure, drawn as a hatched cell with the caller's short mark ("<5") and
its reason in the tooltip; nothing here counts or estimates anything. All text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#222"
MUTED = "#666"
GRID = "#ddd"
HIDDEN_FILL = "#f1f1f1"
CHAR_W = 7.0  # a rough width of one 12px character, for laying out labels


@dataclass(frozen=True)
class Scale:
    """From the palest colour (the smallest shown value) to the strongest (the largest)."""

    low: tuple[int, int, int]
    high: tuple[int, int, int]

    def colour(self, level: float) -> str:
        share = max(0.0, min(1.0, level))
        r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(self.low, self.high,
                                                                  strict=True))
        return f"#{r:02x}{g:02x}{b:02x}"

    def ink(self, level: float) -> str:
        """Text colour that stays readable on ``colour(level)``."""
        return "#fff" if level > 0.55 else INK


RISK = Scale((255, 236, 179), (192, 40, 30))
# A risk matrix's zones by likelihood × impact: pale where nothing is, full where risks are.
ZONES = ((4, "#cfe8cf", "#8fcf8f"), (9, "#fbf0c2", "#f3d35c"), (14, "#fde0c2", "#f5a25d"),
         (25, "#f8cfcb", "#e0685c"))


def zone_fill(score: int, occupied: bool) -> str:
    """The zone colour of a matrix cell whose likelihood × impact is ``score``."""
    for top, pale, full in ZONES:
        if score <= top:
            return full if occupied else pale
    return ZONES[-1][2] if occupied else ZONES[-1][1]
PEOPLE = Scale((222, 235, 250), (31, 86, 160))


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Cell:
    """One heat-map cell: ``level`` 0–1 sets the colour, None hides it (hatched)."""

    label: str  # the visible text: a number, "·" for none, or the hidden mark
    tooltip: str
    level: float | None
    empty: bool = False  # nothing there (a zero): drawn plain, not hatched
    fill: str | None = None  # a colour of its own instead of the scale's


def _svg(chart_id: str, width: float, height: float, title: str, desc: str,
         body: list[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc" '
        f'font-family="{esc(FONT)}" font-size="12">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-desc">{esc(desc)}</desc>',
        *body,
        "</svg>",
    ])


def _with_legend(chart_id: str, width: float, height: float, title: str, desc: str,
                 body: list[str], legend: Sequence[str], y: float) -> str:
    """The legend lines below ``y``, then the whole picture, wide enough for the longest."""
    for line in legend:
        y += 18
        body.append(f'<text x="0" y="{y:.0f}" fill="{MUTED}" class="legend">'
                    f"{esc(line)}</text>")
    return _svg(chart_id, max(width, max([_text_width(t) for t in legend] + [0.0]) + 8),
                height, title, desc, body)


def _hatch(chart_id: str) -> str:
    return (f'<defs><pattern id="{esc(chart_id)}-hatch" width="6" height="6" '
            f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="6" height="6" fill="{HIDDEN_FILL}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#cfcfcf" stroke-width="2"/>'
            f"</pattern></defs>")


def _text_width(text: str) -> float:
    return len(text) * CHAR_W


def heat_map(*, chart_id: str, title: str, desc: str, rows: Sequence[str],
             cols: Sequence[str], cells: Sequence[Sequence[Cell]], row_axis: str = "",
             col_axis: str = "", legend: Sequence[str] = (), scale: Scale = RISK,
             cell_w: int = 56, cell_h: int = 40) -> str:
    """A grid of ``cells[row][col]``: row labels on the left, column labels below."""
    left = max([_text_width(r) for r in rows] + [0.0]) + 16 + (18 if row_axis else 0)
    top = 30.0
    width = left + cell_w * len(cols) + 12
    grid_bottom = top + cell_h * len(rows)
    height = grid_bottom + 24 + (20 if col_axis else 0) + 18 * len(legend) + 6
    body = [_hatch(chart_id),
            f'<text x="0" y="18" font-size="14" font-weight="600" fill="{INK}">'
            f"{esc(title)}</text>"]
    for r, row_label in enumerate(rows):
        y = top + r * cell_h
        body.append(f'<text x="{left - 8:.0f}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end" '
                    f'fill="{INK}">{esc(row_label)}</text>')
        for c, cell in enumerate(cells[r]):
            x = left + c * cell_w
            if cell.level is None:
                fill, ink = f"url(#{esc(chart_id)}-hatch)", MUTED
            elif cell.fill is not None:
                fill, ink = cell.fill, MUTED if cell.empty else INK
            elif cell.empty:
                fill, ink = "#f7f7f7", MUTED
            else:
                fill, ink = scale.colour(cell.level), scale.ink(cell.level)
            body.append(
                f'<g class="cell{" hidden" if cell.level is None else ""}">'
                f"<title>{esc(cell.tooltip)}</title>"
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'rx="3" fill="{fill}" stroke="#fff"/>'
                f'<text x="{x + (cell_w - 2) / 2:.0f}" y="{y + cell_h / 2 + 3:.0f}" '
                f'text-anchor="middle" fill="{ink}">{esc(cell.label)}</text></g>')
    for c, col_label in enumerate(cols):
        x = left + c * cell_w + (cell_w - 2) / 2
        body.append(f'<text x="{x:.0f}" y="{grid_bottom + 16:.0f}" text-anchor="middle" '
                    f'fill="{INK}">{esc(col_label)}</text>')
    y = grid_bottom + 16
    if col_axis:
        y += 20
        body.append(f'<text x="{left + cell_w * len(cols) / 2:.0f}" y="{y:.0f}" '
                    f'text-anchor="middle" fill="{MUTED}">{esc(col_axis)}</text>')
    if row_axis:
        mid = top + cell_h * len(rows) / 2
        body.append(f'<text x="12" y="{mid:.0f}" text-anchor="middle" fill="{MUTED}" '
                    f'transform="rotate(-90 12 {mid:.0f})">{esc(row_axis)}</text>')
    return _with_legend(chart_id, width, height, title, desc, body, legend, y)


@dataclass(frozen=True)
class Point:
    """One x position: ``value`` None is a hidden figure, drawn as ``mark`` on the axis."""

    label: str
    value: float | None
    tooltip: str
    mark: str = ""


def line_chart(*, chart_id: str, title: str, desc: str, points: Sequence[Point],
               y_min: float, y_max: float, y_ticks: Sequence[float] = (),
               legend: Sequence[str] = (), step: int = 72, plot_h: int = 160) -> str:
    """Values joined left to right; a hidden point breaks the line and shows its mark."""
    left, top = 36.0, 34.0
    width = left + step * max(len(points), 1) + 12
    bottom = top + plot_h
    height = bottom + 26 + 18 * len(legend) + 6
    body = [f'<text x="0" y="18" font-size="14" font-weight="600" fill="{INK}">'
            f"{esc(title)}</text>"]

    def y_of(v: float) -> float:
        span = (y_max - y_min) or 1.0
        return bottom - (v - y_min) / span * plot_h

    for tick in y_ticks:
        y = y_of(tick)
        body.append(f'<line x1="{left:.0f}" y1="{y:.1f}" x2="{width - 12:.0f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>'
                    f'<text x="{left - 6:.0f}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{MUTED}">{esc(f"{tick:g}")}</text>')
    xs = [left + step * i + step / 2 for i in range(len(points))]
    segment: list[str] = []
    for x, p in zip(xs, points, strict=True):
        if p.value is None:
            if len(segment) > 1:
                body.append(f'<polyline fill="none" stroke="#1f56a0" stroke-width="2" '
                            f'points="{" ".join(segment)}"/>')
            segment = []
        else:
            segment.append(f"{x:.1f},{y_of(p.value):.1f}")
    if len(segment) > 1:
        body.append(f'<polyline fill="none" stroke="#1f56a0" stroke-width="2" '
                    f'points="{" ".join(segment)}"/>')
    for x, p in zip(xs, points, strict=True):
        if p.value is None:
            body.append(f'<g class="point hidden"><title>{esc(p.tooltip)}</title>'
                        f'<circle cx="{x:.1f}" cy="{bottom:.1f}" r="5" fill="#fff" '
                        f'stroke="{MUTED}" stroke-dasharray="2 2"/>'
                        f'<text x="{x:.1f}" y="{bottom - 10:.1f}" text-anchor="middle" '
                        f'fill="{MUTED}">{esc(p.mark)}</text></g>')
        else:
            y = y_of(p.value)
            body.append(f'<g class="point"><title>{esc(p.tooltip)}</title>'
                        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#1f56a0"/>'
                        f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" '
                        f'fill="{INK}">{esc(f"{p.value:g}")}</text></g>')
        body.append(f'<text x="{x:.1f}" y="{bottom + 18:.1f}" text-anchor="middle" '
                    f'fill="{INK}">{esc(p.label)}</text>')
    y = bottom + 18
    return _with_legend(chart_id, width, height, title, desc, body, legend, y)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None
    tooltip: str
    mark: str = ""


def bar_chart(*, chart_id: str, title: str, desc: str, bars: Sequence[Bar],
              legend: Sequence[str] = (), bar_w: int = 260, bar_h: int = 22) -> str:
    """Horizontal bars, longest for the largest value; a hidden value shows its mark."""
    left = max([_text_width(b.label) for b in bars] + [40.0]) + 14
    top = 30.0
    width = left + bar_w + 50
    height = top + (bar_h + 6) * len(bars) + 18 * len(legend) + 10
    most = max([b.value for b in bars if b.value is not None] + [1])
    body = [f'<text x="0" y="18" font-size="14" font-weight="600" fill="{INK}">'
            f"{esc(title)}</text>"]
    for i, b in enumerate(bars):
        y = top + i * (bar_h + 6)
        body.append(f'<text x="{left - 8:.0f}" y="{y + bar_h / 2 + 4:.0f}" text-anchor="end" '
                    f'fill="{INK}">{esc(b.label)}</text>')
        if b.value is None:
            body.append(f'<g class="bar hidden"><title>{esc(b.tooltip)}</title>'
                        f'<rect x="{left:.0f}" y="{y:.0f}" width="24" height="{bar_h}" '
                        f'fill="{HIDDEN_FILL}" stroke="#cfcfcf"/>'
                        f'<text x="{left + 30:.0f}" y="{y + bar_h / 2 + 4:.0f}" '
                        f'fill="{MUTED}">{esc(b.mark)}</text></g>')
            continue
        w = max(2.0, bar_w * b.value / most) if b.value else 0.0
        body.append(f'<g class="bar"><title>{esc(b.tooltip)}</title>'
                    f'<rect x="{left:.0f}" y="{y:.0f}" width="{w:.1f}" height="{bar_h}" '
                    f'rx="2" fill="#2e7d5b"/>'
                    f'<text x="{left + w + 6:.1f}" y="{y + bar_h / 2 + 4:.0f}" '
                    f'fill="{INK}">{esc(b.value)}</text></g>')
    y = top + (bar_h + 6) * len(bars)
    return _with_legend(chart_id, width, height, title, desc, body, legend, y)
