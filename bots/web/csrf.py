"""CSRF protection: a random token per session, carried by every form, checked on every POST.

The session cookie is signed and HttpOnly, so a page on another site can neither read the
token nor forge the cookie; a POST without the session's token is refused with 403 before
anything else runs.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from core.i18n import N_

FIELD = "csrf"
SESSION_KEY = "csrf"


def csrf_token(request: Request) -> str:
    """The session's token for a form's hidden ``csrf`` field (made on first use)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def check_csrf(request: Request) -> FormData:
    """The form, once its token matches the session's; 403 otherwise. Every POST calls it first."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(SESSION_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected \
            or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, N_("The form was out of date or not sent from this site "
                                 "(CSRF check failed); nothing was changed. Reload the page "
                                 "and try again."))
    return form
