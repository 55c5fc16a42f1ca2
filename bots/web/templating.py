"""Rendering pages: Jinja2 templates, translated with core's catalogs in the tenant's language.

``render(request, "page.html", tenant_id=..., actor=..., **values)`` is what every page calls:
it fills in what ``base.html`` needs (the viewer, the tenant switcher, whether the viewer
moderates this tenant, the CSRF token, a one-time flash message) and ``_`` for the words.
The language is the tenant's (``/hromada settings language``), or ``?lang=uk|en`` when given
(kept in the session for the next pages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bots.web.auth import current_viewer
from bots.web.csrf import csrf_token
from bots.web.state import hromada_of
from core import viewing
from core.context import Actor
from core.i18n import available_languages, gettext_for

TEMPLATE_DIR = Path(__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATE_DIR),
                  autoescape=select_autoescape(["html", "svg", "xml"]),
                  trim_blocks=True, lstrip_blocks=True)


def tenant_path(tenant_id: str, *rest: str) -> str:
    """``/t/<tenant>/<rest>``: the stable URL of a tenant's page."""
    tail = "/".join(quote(str(r), safe="") for r in rest)
    return f"/t/{quote(tenant_id, safe=':')}" + (f"/{tail}" if tail else "")


ENV.globals["tenant_path"] = tenant_path


def flash(request: Request, text: str, *, error: bool = False) -> None:
    """A message for the next page this viewer sees (after a form's redirect)."""
    request.session["flash"] = {"text": text[:500], "error": error}


def language(request: Request, tenant_id: str | None, *, member: bool) -> str:
    """``?lang=`` (remembered), else the tenant's language when the viewer is its member."""
    asked = request.query_params.get("lang")
    if asked in available_languages():
        request.session["lang"] = asked
    chosen = request.session.get("lang")
    if isinstance(chosen, str) and chosen in available_languages():
        return chosen
    if tenant_id and member:
        return hromada_of(request).language(tenant_id)
    return "en"


async def render(request: Request, template: str, *, tenant_id: str | None = None,
                 actor: Actor | None = None, status_code: int = 200,
                 **values: Any) -> HTMLResponse:
    """The page as HTML. ``tenant_id`` with ``actor`` (from ``require_member``): the nav for
    that tenant, moderator links included when core says the actor moderates there."""
    viewer = current_viewer(request)
    member = tenant_id is not None and actor is not None
    lang = await run_in_threadpool(language, request, tenant_id, member=member)
    hromada = hromada_of(request)
    moderator = False
    tenants: dict[str, str] = {}
    if viewer is not None:
        ids = [m.tenant_id for m in viewer.memberships]
        tenants = await run_in_threadpool(viewing.existing_tenants, hromada.db, ids)
        if member and actor is not None:
            moderator = await run_in_threadpool(viewing.is_moderator, hromada, actor)
    tr = gettext_for(lang)
    context = {
        "request": request,
        "_": tr.gettext,
        "lang": lang,
        "viewer": viewer,
        "tenant": tenant_id if member else None,
        "tenants": tenants,
        "moderator": moderator,
        "csrf": csrf_token(request),
        "flash": request.session.pop("flash", None),
        **values,
    }
    html = ENV.get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code)
