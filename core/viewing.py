"""What the web view asks the core about a viewer: which tenants exist, who moderates.

Plain values only; the web adapter (``bots/web``) turns them into pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select

from core.app import Hromada
from core.context import Actor
from storage.db import Database
from storage.models import Tenant


def existing_tenants(db: Database, tenant_ids: Sequence[str]) -> dict[str, str]:
    """``{tenant id: name}`` for the ids that are tenants Hromada serves (installed)."""
    if not tenant_ids:
        return {}
    with db.uow() as session:
        rows = session.execute(select(Tenant).where(
            Tenant.id.in_(list(tenant_ids)),  # type: ignore[attr-defined]
            Tenant.uninstalled_at.is_(None))).scalars()  # type: ignore[union-attr]
        return {t.id: t.name or t.id for t in rows}


def is_moderator(hromada: Hromada, actor: Actor) -> bool:
    """Moderator by core's one rule (``Ctx.is_moderator``): admins, settings members and roles."""
    with hromada.context(actor) as ctx:
        return ctx.is_moderator
