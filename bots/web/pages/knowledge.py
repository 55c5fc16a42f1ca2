"""``/t/{tenant}/kb``: knowledge search (the search ``/kb`` runs), snippet pages and the
onboarding path in order (``/kb onboarding``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web.auth import require_member
from bots.web.pages.risks import number_of, web_link
from bots.web.state import hromada_of
from bots.web.templating import render, tenant_path
from core import pages
from core.app import Hromada
from core.context import Actor

MAX_QUERY = 200


def _search(hromada: Hromada, actor: Actor,
            query: str) -> tuple[pages.SearchResults | None, list[pages.SnippetRow]]:
    with hromada.context(actor) as ctx:
        if query:
            return pages.search_knowledge(ctx, query), []
        return None, pages.recent_snippets(ctx)


async def search(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]
    results, recent = await run_in_threadpool(_search, hromada_of(request), actor, query)
    return await render(request, "kb.html", tenant_id=tenant_id, actor=actor, query=query,
                        results=results, recent=recent, base=tenant_path(tenant_id))


def _snippet(hromada: Hromada, actor: Actor, number: int) -> pages.SnippetPage:
    with hromada.context(actor) as ctx:
        return pages.snippet_page(ctx, number)


async def snippet(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    number = number_of("snippet", request.path_params["ref"])
    data = await run_in_threadpool(_snippet, hromada_of(request), actor, number)
    return await render(request, "kb_snippet.html", tenant_id=tenant_id, actor=actor,
                        snippet=data, source_href=web_link(data.source_link),
                        base=tenant_path(tenant_id))


def _onboarding(hromada: Hromada, actor: Actor) -> list[pages.SnippetRow]:
    with hromada.context(actor) as ctx:
        return pages.onboarding_path(ctx)


async def onboarding(request: Request) -> Response:
    tenant_id = request.path_params["tenant"]
    actor = require_member(request, tenant_id)
    path = await run_in_threadpool(_onboarding, hromada_of(request), actor)
    return await render(request, "onboarding.html", tenant_id=tenant_id, actor=actor,
                        path=path, base=tenant_path(tenant_id))


ROUTES = [
    Route("/t/{tenant}/kb", search, name="kb"),
    Route("/t/{tenant}/kb/{ref}", snippet, name="kb_snippet"),
    Route("/t/{tenant}/onboarding", onboarding, name="onboarding"),
]
