"""Install lifecycle: an uninstalled tenant stops, is kept for its retention period, then purged.

Slack sends ``tokens_revoked`` and ``app_uninstalled`` in either order, and may send each more
than once; Discord says the bot left a server. Every path lands here, and every function is
idempotent: the first "gone" starts the retention clock, later ones keep it; an install within
the period picks up where the tenant was; a purge happens once and leaves nothing behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import lifecycle as store
from storage.db import Database
from storage.models import Item, Member, Tenant

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def uninstalled(db: Database, tenant_id: str, now: datetime) -> bool:
    """The platform says we are gone; True when this call started the retention period."""
    with db.uow() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.uninstalled_at is not None:
            return False
        tenant.uninstalled_at = now
        session.add(tenant)
    log.info("tenant uninstalled; data kept for its retention period", extra={"tenant": tenant_id})
    return True


def installed(db: Database, tenant_id: str) -> bool:
    """Installed (again): True when a tenant in its retention period came back."""
    with db.uow() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.uninstalled_at is None:
            return False
        tenant.uninstalled_at = None
        session.add(tenant)
    log.info("tenant reinstalled within its retention period", extra={"tenant": tenant_id})
    return True


def purge_at(tenant: Tenant) -> datetime | None:
    if tenant.uninstalled_at is None:
        return None
    return _aware(tenant.uninstalled_at) + timedelta(days=tenant.retention_days)


def purge_due(db: Database, now: datetime) -> list[str]:
    """Purges every tenant whose retention period has run out; returns their ids."""
    with db.uow() as session:
        gone = session.execute(select(Tenant).where(
            Tenant.uninstalled_at.is_not(None))).scalars().all()  # type: ignore[union-attr]
        due = [t.id for t in gone if (at := purge_at(t)) is not None and at <= now]
    for tenant_id in due:
        purge(db, tenant_id)
    return due


def purge(db: Database, tenant_id: str) -> dict[str, int]:
    """Deletes everything of one tenant, at once, in one transaction."""
    with db.engine.begin() as conn:
        counts = store.purge(conn, tenant_id)
    log.info("tenant purged: %d rows", sum(counts.values()), extra={"tenant": tenant_id})
    return counts


@dataclass(frozen=True)
class TenantRow:
    id: str
    name: str
    members: int
    items: int
    uninstalled_at: datetime | None
    purge_at: datetime | None


def tenants(db: Database) -> list[TenantRow]:
    """Every tenant with what an operator needs to decide: size, state, purge date."""
    with db.uow() as session:
        members = dict(session.execute(select(Member.tenant_id, func.count())
                                       .group_by(Member.tenant_id)).all())
        items = dict(session.execute(select(Item.tenant_id, func.count())
                                     .group_by(Item.tenant_id)).all())
        return [TenantRow(t.id, t.name, members.get(t.id, 0), items.get(t.id, 0),
                          t.uninstalled_at and _aware(t.uninstalled_at), purge_at(t))
                for t in session.execute(select(Tenant).order_by(Tenant.id)).scalars()]
