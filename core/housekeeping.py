"""What Hromada keeps only for a while: the hourly sweep of every store.

- processed events: kept a day, far past the platforms' retry windows (Slack retries for about
  five minutes; a resumed Discord session replays minutes, not hours), so a re-delivered event
  still counts once;
- duplicate-prompt drafts: answerable for a day, then gone (a draft names who asked);
- uninstalled tenants: everything, once their retention period has run out (``lifecycle``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete

from core import lifecycle
from core.items import DRAFT_TTL
from storage.db import Database
from storage.models import Draft, ProcessedEvent

log = logging.getLogger(__name__)

EVENT_KEEP = timedelta(days=1)


def sweep(db: Database, now: datetime) -> dict[str, int]:
    """One pass; safe in every process at once (plain deletes by age). Returns rows removed."""
    with db.uow() as session:
        events = session.execute(delete(ProcessedEvent).where(
            ProcessedEvent.created_at < now - EVENT_KEEP)).rowcount  # type: ignore[arg-type]
        drafts = session.execute(delete(Draft).where(
            Draft.created_at < now - DRAFT_TTL)).rowcount  # type: ignore[arg-type]
    purged = lifecycle.purge_due(db, now)
    out = {"processed_event": events or 0, "draft": drafts or 0, "tenants": len(purged)}
    if any(out.values()):
        log.info("housekeeping: %(processed_event)d events, %(draft)d drafts, "
                 "%(tenants)d tenants removed", out)
    return out
