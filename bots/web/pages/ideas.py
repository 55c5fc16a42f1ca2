"""The idea board and idea pages: look, search, vote; moderators change status and merge.

Every form posts to the idea's own URL (``/t/<tenant>/ideas/<ref>/<action>``): the tenant and
the idea come from the URL alone, so nothing in a form can point at another tenant. Votes,
status changes and merges are core's (``core.idea_pages``, ``/idea status``, ``/idea merge``),
with their checks, their notices and their words.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bots.web.auth import require_member
from bots.web.csrf import check_csrf
from bots.web.state import deliver, hromada_of, within
from bots.web.templating import flash, render, tenant_path
from core import idea_pages
from core.i18n import N_

_REF = re.compile(r"^(?:[Ii]-?)?(\d{1,9})$")
VOTES = {"up": 1, "down": -1, "none": 0}


def idea_number(ref: str) -> int:
    """``I-12``, ``i12`` or ``12`` → 12; anything else is no page (404)."""
    m = _REF.match(ref)
    if not m:
        raise HTTPException(404, N_("There is no such page."))
    return int(m.group(1))


def _page(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 5 else 1


async def board(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    q = request.query_params
    status = q.get("status") or None
    query = q.get("q", "")
    sort = q.get("sort") or ("relevance" if query.strip() else "top")
    data = await within(request, actor, idea_pages.board, sort=sort, status=status, query=query,
                        page=_page(q.get("page")))
    return await render(request, "ideas.html", tenant_id=tenant_id, actor=actor, board=data,
                        sorts=idea_pages.SORTS, statuses=idea_pages.FILTERS,
                        trending_days=idea_pages.TRENDING_DAYS)


async def show(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = idea_number(request.path_params["ref"])
    page = await within(request, actor, idea_pages.idea, number)
    if request.path_params["ref"] != page.ref:  # one URL per idea: I-12
        return RedirectResponse(tenant_path(tenant_id, "ideas", page.ref), 301)
    return await render(request, "idea.html", tenant_id=tenant_id, actor=actor, idea=page)


async def vote(request: Request) -> Response:
    form = await check_csrf(request)
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = idea_number(request.path_params["ref"])
    value = VOTES.get(str(form.get("vote", "")))
    if value is None:
        raise HTTPException(400, N_("A vote is up, down or none."))
    said = await within(request, actor, idea_pages.vote, number, value)
    flash(request, said.plain())
    return _back(request, tenant_id, number, form.get("back"))


async def set_status(request: Request) -> Response:
    form = await check_csrf(request)
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = idea_number(request.path_params["ref"])
    note = str(form.get("note", "")).strip() or None
    hromada = hromada_of(request)
    reply = await run_in_threadpool(hromada.invoke, actor, ("idea", "status"),
                                    {"ref": number, "status": str(form.get("status", "")),
                                     "note": note})
    await deliver(request, tenant_id, reply.notices)
    flash(request, reply.plain())
    return _back(request, tenant_id, number, None)


async def merge(request: Request) -> Response:
    form = await check_csrf(request)
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = idea_number(request.path_params["ref"])
    hromada = hromada_of(request)
    reply = await run_in_threadpool(hromada.invoke, actor, ("idea", "merge"),
                                    {"ref": number, "target": str(form.get("target", ""))})
    await deliver(request, tenant_id, reply.notices)
    flash(request, reply.plain())
    return _back(request, tenant_id, number, None)


def _back(request: Request, tenant_id: str, number: int, back: object) -> Response:
    """After a form: the board (keeping its sort and filter) or the idea's page."""
    if isinstance(back, str) and back.startswith("?") and "//" not in back:
        return RedirectResponse(tenant_path(tenant_id, "ideas") + back, 303)
    return RedirectResponse(tenant_path(tenant_id, "ideas", f"I-{number}"), 303)


ROUTES = [
    Route("/t/{tenant}/ideas", board, name="ideas"),
    Route("/t/{tenant}/ideas/{ref}", show, name="idea"),
    Route("/t/{tenant}/ideas/{ref}/vote", vote, methods=["POST"], name="idea_vote"),
    Route("/t/{tenant}/ideas/{ref}/status", set_status, methods=["POST"], name="idea_status"),
    Route("/t/{tenant}/ideas/{ref}/merge", merge, methods=["POST"], name="idea_merge"),
]
