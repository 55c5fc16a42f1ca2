"""Console sign-in links for the web pages: anyone can try the web with no platform account.

``issue`` hands out a random token once (only its SHA-256 is stored), valid ``LINK_TTL`` and
for one use; ``redeem`` gives back who it signs in, or None when it is unknown, expired or used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from core.clock import Clock
from core.errors import InvalidInput
from core.i18n import N_
from storage import repos, weblogin
from storage.db import Database

LINK_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class LinkMember:
    """Who a redeemed link signs in: a console member of one tenant."""

    tenant_id: str
    user_id: str
    display_name: str
    is_admin: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db: Database, clock: Clock, *, tenant_id: str, name: str, admin: bool = False,
          user_id: str | None = None) -> str:
    """A fresh token for ``name`` in ``tenant_id`` (the user id is the lower-cased name, as
    in the console chat, unless given); the tenant and member are made to exist, as the chat
    would make them."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(N_("Who is asking is unknown."))
    user_id = user_id or name.lower()
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with db.uow() as session:
        weblogin.sweep(session, now)
        repos.ensure_tenant_member(session, tenant_id, user_id, name, now=now)
        weblogin.add(session, weblogin.WebLogin(
            token_hash=token_hash(token), tenant_id=tenant_id, user_id=user_id,
            display_name=name, is_admin=admin, expires_at=now + LINK_TTL))
    return token


def usable(db: Database, clock: Clock, token: str) -> bool:
    with db.uow() as session:
        return weblogin.usable(session, token_hash(token), clock.now())


def redeem(db: Database, clock: Clock, token: str) -> LinkMember | None:
    """Use the link up; who it signs in, or None (unknown, expired, used already)."""
    with db.uow() as session:
        row = weblogin.redeem(session, token_hash(token), clock.now())
        if row is None:
            return None
        return LinkMember(row.tenant_id, row.user_id, row.display_name, row.is_admin)
