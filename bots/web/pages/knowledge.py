"""``/t/{tenant}/kb``: knowledge search (the search ``/kb`` runs), snippet pages and the
onboarding path in order (``/kb onboarding``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web.auth import require_member
from bots.web.pages.risks import number_of, web_link
from bots.web.state import within
from bots.web.templating import render, tenant_path
from core import pages

MAX_QUERY = 200


async def search(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]
    results = await within(request, actor, pages.search_knowledge, query) if query else None
    recent = [] if query else await within(request, actor, pages.recent_snippets)
    return await render(request, "kb.html", tenant_id=tenant_id, actor=actor, query=query,
                        results=results, recent=recent, base=tenant_path(tenant_id))


async def snippet(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = number_of("snippet", request.path_params["ref"])
    data = await within(request, actor, pages.snippet_page, number)
    return await render(request, "kb_snippet.html", tenant_id=tenant_id, actor=actor,
                        snippet=data, source_href=web_link(data.source_link),
                        base=tenant_path(tenant_id))


async def onboarding(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    path = await within(request, actor, pages.onboarding_path)
    return await render(request, "onboarding.html", tenant_id=tenant_id, actor=actor,
                        path=path, base=tenant_path(tenant_id))


ROUTES = [
    Route("/t/{tenant}/kb", search, name="kb"),
    Route("/t/{tenant}/kb/{ref}", snippet, name="kb_snippet"),
    Route("/t/{tenant}/onboarding", onboarding, name="onboarding"),
]
