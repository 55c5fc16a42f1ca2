"""``/t/{tenant}/culture``: pulse results over time, participation by department × week, and
kudos by value; moderators only (members get 403 with the reason, as in chat).

Every figure is core's, thresholded there (``core.pages.culture_page``); this module only
draws them. A hidden figure is drawn as "<k" with its reason in the tooltip and the legend.
"""

from __future__ import annotations

from gettext import NullTranslations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web import charts
from bots.web.auth import require_member
from bots.web.pages.risks import SVG, words
from bots.web.state import within
from bots.web.templating import render, tenant_path
from core import pages
from core.stats import NO_DEPARTMENT


def not_shown(tr: NullTranslations, k: int) -> str:
    return tr.gettext(pages.NOT_SHOWN).format(k=k)


def week_label(culture: pages.Culture, i: int) -> str:
    return culture.weeks[i].strftime("%d.%m")


def department_rows(culture: pages.Culture,
                    tr: NullTranslations) -> list[tuple[str, list[int | None]]]:
    """All departments first, then each department, as named in chat."""
    rows = [(tr.gettext("All departments"), culture.overall)]
    for dept in culture.departments:
        name = dept or tr.gettext(NO_DEPARTMENT)
        rows.append((name, culture.participation[dept]))
    return rows


def participation_svg(culture: pages.Culture, tr: NullTranslations) -> str:
    _ = tr.gettext
    k = culture.k
    reason = not_shown(tr, k)
    rows = department_rows(culture, tr)
    top = max((n for _name, cells in rows[1:] for n in cells if n is not None), default=0)
    top = max(top, max((n for n in culture.overall if n is not None), default=0))
    low = k  # the smallest number that can ever be shown
    cells = []
    for name, values in rows:
        line = []
        for i, n in enumerate(values):
            week = culture.weeks[i].strftime("%Y-%m-%d")
            if n is None:
                tip = _("{department}, week of {week}: not shown, {reason}").format(
                    department=name, week=week, reason=reason)
                line.append(charts.Cell(f"<{k}", tip, None))
            else:
                tip = _("{department}, week of {week}: {n} contributors").format(
                    department=name, week=week, n=n)
                level = (n - low) / (top - low) if top > low else 1.0
                line.append(charts.Cell(str(n), tip, level))
        cells.append(line)
    return charts.heat_map(
        chart_id="participation", title=_("Contributors by department and week"),
        desc=_("Members who submitted, voted or gave kudos, per department and week, as "
               "/hromada stats counts them."),
        rows=[name for name, _cells in rows],
        cols=[week_label(culture, i) for i in range(len(culture.weeks))], cells=cells,
        col_axis=_("week starting"), legend=[f"<{k}: {reason}"], scale=charts.PEOPLE,
        cell_w=52, cell_h=34)


def pulses_svg(culture: pages.Culture, tr: NullTranslations) -> str:
    _ = tr.gettext
    k = culture.k
    points = []
    for p in culture.pulses:
        if not p.closed:
            points.append(charts.Point(p.ref, None, _("{ref} is still open: results are shown "
                                                      "once a moderator closes it.").format(
                                                          ref=p.ref), _("open")))
        elif p.average is None:
            points.append(charts.Point(p.ref, None, f"{p.ref}: {p.overall}", f"<{k}"))
        else:
            points.append(charts.Point(p.ref, p.average, f"{p.ref} · {p.title}: {p.overall}"))
    return charts.line_chart(
        chart_id="pulses", title=_("Pulse results over time (average, 1–5)"),
        desc=_("The average answer of each closed pulse, oldest first; open pulses and "
               "pulses with fewer than {k} answers show no result.").format(k=k),
        points=points, y_min=1, y_max=5, y_ticks=[1, 2, 3, 4, 5],
        legend=[f"<{k}: " + _("fewer than {k} answers").format(k=k),
                _("open") + ": " + _("results are shown once a moderator closes it")])


def kudos_svg(culture: pages.Culture, tr: NullTranslations) -> str:
    _ = tr.gettext
    since = culture.kudos_since.strftime("%Y-%m-%d")
    bars = [charts.Bar(f"#{value}", n, _("#{value}: {n} kudos since {date}").format(
        value=value, n=n, date=since)) for value, n in culture.kudos]
    return charts.bar_chart(chart_id="kudos", title=_("Kudos by value since {date}").format(
        date=since), desc=_("How many kudos each company value received, most first."),
        bars=bars)


DRAWINGS = {"participation": participation_svg, "pulses": pulses_svg, "kudos": kudos_svg}


async def culture(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    data = await within(request, actor, pages.culture_page)  # 403 for members
    tr = words(request, tenant_id)
    weeks = [week_label(data, i) for i in range(len(data.weeks))]
    return await render(
        request, "culture.html", tenant_id=tenant_id, actor=actor, culture=data,
        pulse_chart=Markup(pulses_svg(data, tr)),
        participation_chart=Markup(participation_svg(data, tr)),
        kudos_chart=Markup(kudos_svg(data, tr)), rows=department_rows(data, tr), weeks=weeks,
        not_shown=not_shown(tr, data.k), since=data.kudos_since.strftime("%Y-%m-%d"),
        base=tenant_path(tenant_id))


def _chart_route(name: str) -> Route:
    draw = DRAWINGS[name]

    async def chart(request: Request) -> Response:
        tenant_id = request.path_params["tenant"]
        actor = require_member(request, tenant_id)
        data = await within(request, actor, pages.culture_page)
        return Response(draw(data, words(request, tenant_id)), media_type=SVG)

    return Route(f"/t/{{tenant}}/charts/{name}.svg", chart, name=f"{name}_svg")


ROUTES = [
    Route("/t/{tenant}/culture", culture, name="culture"),
    *(_chart_route(name) for name in DRAWINGS),
]
