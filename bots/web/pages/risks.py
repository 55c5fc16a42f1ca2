"""``/t/{tenant}/risks``: the risk register with its heat map, and one page per risk.

Moderators, a risk's owner and who raised it change status, owner and rating through the
same commands as ``/risk status|owner|rate`` (``core.pages.change_risk``); everyone else sees
no form, and a POST from them is refused by core's permission check with nothing changed.
"""

from __future__ import annotations

from gettext import NullTranslations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bots.web import charts
from bots.web.auth import require_member
from bots.web.csrf import check_csrf
from bots.web.state import deliver, hromada_of, within
from bots.web.templating import flash, language, render, tenant_path
from core import pages, risks
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_, gettext_for
from core.refs import parse_ref

SVG = "image/svg+xml"


def words(request: Request, tenant_id: str) -> NullTranslations:
    """The translations the page itself is rendered in (charts are drawn in the same words)."""
    return gettext_for(language(request, tenant_id, member=True))


def number_of(kind: str, raw: str) -> int:
    """A ref from the URL (``R-3``, ``r3``, ``3``); anything else is a page that is not there."""
    try:
        return parse_ref(kind, raw)
    except InvalidInput:
        raise NotFound(N_("There is no {ref}."), ref=raw[:20]) from None


def web_link(link: str | None) -> str | None:
    """A stored source link as an ``href``: only web addresses, never ``javascript:``."""
    return link if link and link.startswith(("https://", "http://")) else None


def risk_matrix_svg(grid: list[list[int]], tr: NullTranslations) -> str:
    """The 5×5 heat map of ``/risk matrix``: likelihood upwards, impact to the right."""
    _ = tr.gettext
    rows, cells = [], []
    for lik in range(5, 0, -1):
        rows.append(str(lik))
        line = []
        for imp in range(1, 6):
            n = grid[lik - 1][imp - 1]
            tip = _("likelihood {l} × impact {i}: {n} open risks").format(l=lik, i=imp, n=n)
            line.append(charts.Cell(str(n) if n else "·", tip, 1.0 if n else 0.0,
                                    empty=not n, fill=charts.zone_fill(lik * imp, n > 0)))
        cells.append(line)
    return charts.heat_map(
        chart_id="risk-matrix", title=_("Open risks: likelihood × impact"),
        desc=_("Open risks by likelihood (rows) and impact (columns), as /risk matrix "
               "counts them."),
        rows=rows, cols=[str(i) for i in range(1, 6)], cells=cells,
        row_axis=_("likelihood"), col_axis=_("impact"), scale=charts.RISK)


async def register(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    q = request.query_params
    flt = pages.RiskFilter.parse(q.get("status"), q.get("owner"), q.get("min_score"))
    data = await within(request, actor, pages.risk_register, flt)
    svg = risk_matrix_svg(data.grid, words(request, tenant_id))
    return await render(request, "risks.html", tenant_id=tenant_id, actor=actor,
                        register=data, heatmap=Markup(svg), statuses=risks.STATUSES,
                        base=tenant_path(tenant_id))


async def matrix_svg(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    data = await within(request, actor, pages.risk_register, pages.RiskFilter())
    return Response(risk_matrix_svg(data.grid, words(request, tenant_id)), media_type=SVG)


async def risk(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = number_of("risk", request.path_params["ref"])
    data = await within(request, actor, pages.risk_page, number)
    return await render(request, "risk.html", tenant_id=tenant_id, actor=actor, risk=data,
                        source_href=web_link(data.source_link), base=tenant_path(tenant_id))


async def change(request: Request) -> Response:
    form = await check_csrf(request)
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = number_of("risk", request.path_params["ref"])
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    owner = fields.get("owner", "")
    back = RedirectResponse(tenant_path(tenant_id, "risks", f"R-{number}"), 303)
    try:
        replies = await within(
            request, actor, pages.change_risk, number, status=fields.get("status") or None,
            note=fields.get("note", "")[:300], owner=int(owner) if owner.isdigit() else None,
            likelihood=fields.get("likelihood") or None, impact=fields.get("impact") or None)
    except (InvalidInput, Conflict) as exc:  # refusals (403, 404) go to the error page
        flash(request, hromada_of(request).error_reply(tenant_id, exc).plain(), error=True)
        return back
    for reply in replies:
        await deliver(request, tenant_id, reply.notices)
    flash(request, " ".join(r.text.plain() for r in replies))
    return back


ROUTES = [
    Route("/t/{tenant}/risks", register, name="risks"),
    Route("/t/{tenant}/risks/{ref}", risk, name="risk", methods=["GET"]),
    Route("/t/{tenant}/risks/{ref}", change, name="risk_change", methods=["POST"]),
    Route("/t/{tenant}/charts/risks.svg", matrix_svg, name="risks_svg"),
]
