"""Onboarding steps on their way, exactly once: the scheduler's runner and the join path that
every adapter shares.

Each owed step is a claim (``core.onboarding.ONBOARDING_JOB``, one per journey and step):
whoever wins it sends the step and records it in the same claim the moment the platform took
it, so two processes (or two ticks) send a step once and a failure after the send never
sends it again. A failure before it backs off and is retried, bounded; a group message (the
coffee buddy's introduction) remembers whom it reached, so a retry tells only the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from bots.delivery import Deliveries, Delivery
from core import onboarding, outbox
from core.app import Hromada
from core.replies import Notice

log = logging.getLogger(__name__)


class OnboardingRunner:
    """Sends every onboarding step that is due. ``tick`` is one pass, for any clock."""

    def __init__(self, hromada: Hromada, deliveries: Deliveries, *, owner: str | None = None,
                 tenant_ids: Iterable[str] | None = None,
                 lease: timedelta = outbox.LEASE) -> None:
        from bots.scheduler import owner_id

        self.hromada = hromada
        self.deliveries = deliveries
        self.owner = owner or owner_id()
        self.tenant_ids = list(tenant_ids) if tenant_ids is not None else None
        self.lease = lease
        # Steps whose day came, seen by the last tick, that wait for working hours.
        self.waiting: list[onboarding.Owed] = []

    def _owed(self) -> list[onboarding.Owed]:
        self.waiting = []
        with self.hromada.db.uow() as session:
            return onboarding.owed(session, self.hromada.clock.now(),
                                   platforms=self.deliveries.platforms(),
                                   tenant_ids=self.tenant_ids, waiting=self.waiting)

    async def tick(self) -> int:
        """One pass; returns how many step messages this pass sent."""
        sent = 0
        for due in await asyncio.to_thread(self._owed):
            if await self.send(due.tenant_id, due.key):
                sent += 1
        if sent:
            log.info("onboarding steps sent: %d", sent)
        return sent

    async def welcome(self, tenant_id: str, user_id: str, name: str, *, tz: str = "") -> bool:
        """A member joined: start their journey and send the welcome now. False when the
        journey had started before (a re-delivered join): nothing is sent twice."""
        journey_id = await asyncio.to_thread(onboarding.join, self.hromada.db, tenant_id,
                                             user_id, name, tz=tz,
                                             now=self.hromada.clock.now())
        if journey_id is None:
            return False
        await self.send(tenant_id, onboarding.claim_key(journey_id, onboarding.WELCOME))
        return True

    def _notice(self, tenant_id: str, key: str) -> Notice | None:
        with self.hromada.db.uow() as session:
            return onboarding.notice_for(session, tenant_id, key, self.hromada.clock.now())

    async def send(self, tenant_id: str, key: str) -> bool:
        """Claim one step and send it; True when this call sent it."""
        db, job = self.hromada.db, onboarding.ONBOARDING_JOB
        delivery: Delivery | None = self.deliveries.for_tenant(tenant_id)
        now = self.hromada.clock.now()
        if delivery is None or not await asyncio.to_thread(
                outbox.claim, db, tenant_id, job, key, owner=self.owner, now=now,
                lease=self.lease):
            return False
        try:
            notice = await asyncio.to_thread(self._notice, tenant_id, key)
        except Exception as exc:  # noqa: BLE001 - nothing sent: retried later, bounded
            await self._failed(tenant_id, key, now, _describe(exc))
            return False
        if notice is None:  # the member left, the step went away: settled, never sent
            await asyncio.to_thread(outbox.sent, db, tenant_id, job, key, owner=self.owner,
                                    message_id="", now=now, follow_up=False)
            return False
        error = ""
        try:
            missed = list(await delivery.notify(tenant_id, [notice]) or [])
        except Exception as exc:  # noqa: BLE001 - nobody reached for sure: retry them all
            missed, error = list(notice.recipients), _describe(exc)
        reached = [r for r in notice.recipients if r not in missed]
        if not missed:
            # Nothing may run between the send and this record: it makes the send final.
            await asyncio.to_thread(onboarding.record_sent, db, tenant_id, key,
                                    owner=self.owner, now=self.hromada.clock.now(),
                                    lease=self.lease)
            return True
        if reached:
            await asyncio.to_thread(outbox.reached, db, tenant_id, job, key, owner=self.owner,
                                    recipients=reached)
        await self._failed(tenant_id, key, now,
                           error or f"not reached: {len(missed)} of {len(notice.recipients)}")
        return False

    async def _failed(self, tenant_id: str, key: str, now: datetime, error: str) -> None:
        outcome = await asyncio.to_thread(outbox.failed, self.hromada.db, tenant_id,
                                          onboarding.ONBOARDING_JOB, key, owner=self.owner,
                                          now=now, error=error)
        log.warning("onboarding step %s not sent (try %d of %d, %s): %s", key, outcome.attempt,
                    outbox.MAX_ATTEMPTS,
                    "given up" if outcome.gave_up else f"next at {outcome.next_try}", error,
                    extra={"tenant": tenant_id, "command": key})


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def one(delivery: Delivery) -> Deliveries:
    """Deliveries holding one platform's delivery: what an adapter's join path sends through."""
    out = Deliveries()
    out.add(delivery)
    return out
