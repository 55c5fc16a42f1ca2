"""``/``: the tenants the viewer belongs to (or the sign-in page)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bots.web.auth import current_viewer
from bots.web.templating import render


async def home(request: Request) -> Response:
    if current_viewer(request) is None:
        return RedirectResponse("/login", 303)
    return await render(request, "home.html")


ROUTES = [Route("/", home, name="home")]
