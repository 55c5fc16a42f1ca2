"""The web app: ``build_web(hromada, settings)`` is a Starlette app that the one HTTP server of
the process (Slack's, or the operator's server for Discord and the console) sends every path
to that is not ``/healthz``, ``/readyz``, ``/metrics`` or ``/slack/*``."""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.delivery import Deliveries
from bots.web import auth
from bots.web.templating import render
from core.app import Hromada
from core.clock import SystemClock
from core.config import Settings
from core.errors import Conflict, Forbidden, HromadaError, InvalidInput, NotFound
from core.i18n import N_

log = logging.getLogger(__name__)

SESSION_COOKIE = "hromada_session"
SESSION_SECONDS = 12 * 3600
_SESSION_KEY_LABEL = b"hromada web session v1"
STATUS = {NotFound: 404, Forbidden: 403, InvalidInput: 400, Conflict: 409}
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Sign-in links carry their token in the path: never hand it on as a Referer.
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'"),
]


def session_secret(deployment_key: bytes) -> str:
    """The session cookie's signing key, derived from the deployment key (one per deployment,
    so every process accepts the others' cookies; never the key itself)."""
    return hmac.new(deployment_key, _SESSION_KEY_LABEL, hashlib.sha256).hexdigest()


class SecurityHeaders:
    """Adds ``HEADERS`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


def build_web(hromada: Hromada, settings: Settings,
              deliveries: Deliveries | None = None) -> Starlette:
    """The web pages over ``hromada``. ``deliveries``: how notices reach chat (a status change
    made on the web tells the author and voters as one made in chat does)."""
    from bots.web.pages import ROUTES

    routes: list[Any] = [
        *auth.ROUTES,
        *ROUTES,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=session_secret(hromada.secret),
                       session_cookie=SESSION_COOKIE, max_age=SESSION_SECONDS, same_site="lax",
                       https_only=settings.web_url.startswith("https://")),
        ],
        exception_handlers={
            HTTPException: _http_error,
            HromadaError: _core_error,
            auth.SignInRequired: _sign_in_first,
            Exception: _unexpected,
        },
    )
    app.state.hromada = hromada
    app.state.settings = settings
    app.state.deliveries = deliveries
    app.state.oauth = auth.oauth_clients(settings)
    # Sign-in links expire by the wall clock, not the console's movable one (``clock +7d``).
    app.state.link_clock = SystemClock()
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return await _error_page(request, exc.status_code, exc.detail)


async def _core_error(request: Request, exc: Exception) -> Response:
    """A core refusal, worded as chat words it (in the tenant's language, with the reason)."""
    assert isinstance(exc, HromadaError)
    tenant_id = request.path_params.get("tenant", "")
    viewer = auth.current_viewer(request)
    member = viewer is not None and viewer.membership(tenant_id) is not None
    hromada = request.app.state.hromada
    reply = hromada.error_reply(tenant_id if member else "", exc)
    return await _error_page(request, STATUS.get(type(exc), 400), reply.plain())


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse("/login", 303)
    return await _error_page(request, 401, N_("Sign in first."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = uuid.uuid4().hex[:8]
    log.exception("web request failed", extra={"request_id": request_id})
    return await _error_page(request, 500,
                             N_("Sorry, something went wrong on our side (ref {id})."),
                             id=request_id)


async def _error_page(request: Request, status: int, message: str, **params: str) -> Response:
    """The error page names no tenant (a 404 for another tenant must look like any 404).
    ``message`` is a msgid (translated on the page) or core's words already translated."""
    if "session" not in request.scope:  # failed before the session middleware ran
        return Response(message.format(**params), status_code=status,
                        media_type="text/plain")
    return await render(request, "error.html", status_code=status, status=status,
                        message=message, params=params)
