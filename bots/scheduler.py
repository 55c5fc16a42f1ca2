"""The scheduler inside ``hromada serve``: weekly digests and batched notices, exactly once.

Each process runs its own in-memory APScheduler (3.x job stores must never be shared). Every
minute the job looks for due (tenant, period)s, claims each in the database under a unique
constraint with a lease, builds the digest and posts it through the tenant's ``Delivery``.
Two processes may both see a period as due; only the one whose claim wins posts it. A claim
whose process died is taken over once its lease expired. The first run happens at start, so a
period missed while everything was down goes out then, once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bots.delivery import Deliveries
from core import coffee, schedule
from core.app import Hromada
from core.digest import scheduled_digest
from core.replies import Notice, Reply
from core.schedule import Period

log = logging.getLogger(__name__)

TICK_SECONDS = 60


def owner_id() -> str:
    """Who holds a claim: host, process and a random part, so restarts never look alike."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestRunner:
    """Finds due digests, claims them and posts them. ``tick`` is one pass, for any clock."""

    def __init__(self, hromada: Hromada, deliveries: Deliveries, *, owner: str | None = None,
                 lease: timedelta = schedule.LEASE, image_dir: Path | None = None,
                 tenant_ids: Iterable[str] | None = None) -> None:
        self.hromada = hromada
        self.deliveries = deliveries
        self.owner = owner or owner_id()
        self.lease = lease
        self.image_dir = image_dir
        self.tenant_ids = list(tenant_ids) if tenant_ids is not None else None
        self._lock = asyncio.Lock()

    def _due(self) -> list[tuple[str, Period]]:
        now = self.hromada.clock.now()
        with self.hromada.db.uow() as session:
            return schedule.due(session, now, platforms=self.deliveries.platforms(),
                                tenant_ids=self.tenant_ids)

    def _build(self, tenant_id: str, period: Period) -> tuple[str | None, Reply | None]:
        with self.hromada.db.uow() as session:
            return scheduled_digest(session, tenant_id, period, image_dir=self.image_dir,
                                    now=self.hromada.clock.now())

    async def tick(self) -> list[tuple[str, str]]:
        """One pass: every due period claimed by us is posted. Returns (tenant, period key)s."""
        async with self._lock:
            posted: list[tuple[str, str]] = []
            for tenant_id, period in await asyncio.to_thread(self._due):
                if await self._run_one(tenant_id, period):
                    posted.append((tenant_id, period.key))
            return posted

    async def _run_one(self, tenant_id: str, period: Period) -> bool:
        delivery = self.deliveries.for_tenant(tenant_id)
        if delivery is None:
            return False
        db, now = self.hromada.db, self.hromada.clock.now()
        won = await asyncio.to_thread(schedule.claim, db, tenant_id, period, owner=self.owner,
                                      now=now, lease=self.lease)
        if not won:
            return False
        try:
            channel, reply = await asyncio.to_thread(self._build, tenant_id, period)
            if channel is None or reply is None:
                await asyncio.to_thread(schedule.release, db, tenant_id, period,
                                        owner=self.owner, now=now)
                return False
            await delivery.post(tenant_id, channel, reply)
        except Exception:
            log.exception("digest not posted", extra={"tenant": tenant_id})
            await asyncio.to_thread(schedule.release, db, tenant_id, period, owner=self.owner,
                                    now=now)
            return False
        done = await asyncio.to_thread(schedule.finish, db, tenant_id, period, owner=self.owner,
                                       now=self.hromada.clock.now())
        if not done:
            log.warning("digest lease ran out while posting; another process may post it too",
                        extra={"tenant": tenant_id})
        log.info("digest posted", extra={"tenant": tenant_id, "command": period.key})
        return True


class CoffeeRunner:
    """Weekly coffee rounds: the core runs each tenant's week once (a unique claim in the store),
    and the process that ran it sends the introductions: a group DM per pair where the platform
    has them (Slack), else one direct message per person."""

    def __init__(self, hromada: Hromada, deliveries: Deliveries) -> None:
        self.hromada = hromada
        self.deliveries = deliveries

    async def tick(self) -> dict[str, int]:
        """One pass; returns tenant id -> introductions sent."""
        rounds = await asyncio.to_thread(coffee.run_all, self.hromada,
                                         platforms=self.deliveries.platforms())
        sent: dict[str, int] = {}
        for tenant_id, notices in rounds.items():
            delivery = self.deliveries.for_tenant(tenant_id)
            if delivery is None:
                continue
            try:
                await delivery.notify(tenant_id, notices)
            except Exception:
                log.exception("coffee introductions not sent", extra={"tenant": tenant_id})
                continue
            sent[tenant_id] = sum(len(n.recipients) for n in notices)
            log.info("coffee round done", extra={"tenant": tenant_id})
        return sent


def batch_notices(notices: Iterable[Notice]) -> list[Notice]:
    """One notice per change: notices with the same item and words merge, each person once."""
    merged: dict[tuple[int | None, object, bool], list[str]] = {}
    first: dict[tuple[int | None, object, bool], Notice] = {}
    for notice in notices:
        key = (notice.item_id, notice.text, notice.group)
        first.setdefault(key, notice)
        seen = merged.setdefault(key, [])
        seen.extend(r for r in notice.recipients if r not in seen)
    return [Notice(recipients=tuple(merged[key]), text=n.text, item_id=n.item_id,
                   group=n.group)
            for key, n in first.items() if merged[key]]


async def send_notices(deliveries: Deliveries, tenant_id: str,
                       notices: Iterable[Notice]) -> int:
    """Deliver status-change notices through the tenant's platform; returns messages sent."""
    batch = batch_notices(notices)
    delivery = deliveries.for_tenant(tenant_id)
    if delivery is None or not batch:
        return 0
    await delivery.notify(tenant_id, batch)
    return sum(len(n.recipients) for n in batch)


def start_scheduler(runner: DigestRunner, *, coffee_runner: CoffeeRunner | None = None,
                    seconds: float = TICK_SECONDS) -> AsyncIOScheduler:
    """An in-memory AsyncIOScheduler on the running loop; its first ticks run at once."""
    scheduler = AsyncIOScheduler()
    scheduler.add_job(runner.tick, IntervalTrigger(seconds=seconds), id="digests",
                      max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC))
    if coffee_runner is not None:
        scheduler.add_job(coffee_runner.tick, IntervalTrigger(seconds=seconds * 10),
                          id="coffee", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler
