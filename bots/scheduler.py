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
import contextvars
import functools
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bots import metrics
from bots.delivery import Deliveries
from core import coffee, freshness, outbox, schedule
from core.app import Hromada
from core.digest import scheduled_digest, scheduled_picture
from core.replies import Notice, Reply
from core.schedule import Period

if TYPE_CHECKING:
    from bots.onboarding import OnboardingRunner

log = logging.getLogger(__name__)

T = TypeVar("T")
TICK_SECONDS = 60
# Digests one process posts at once, each to its own channel (and claims in one statement);
# their store work (claims, builds) runs on this many threads of the runner's own.
POST_CONCURRENCY = 16
STORE_THREADS = 2


def owner_id() -> str:
    """Who holds a claim: host, process and a random part, so restarts never look alike."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DigestRunner:
    """Finds due digests, claims them and posts them. ``tick`` is one pass, for any clock.

    Exactly once: the digest's text goes first and its message id is recorded in the claim the
    moment the platform accepted it; the picture follows as its own message (a reply to the
    digest), retried on later ticks when it fails, never re-posting the digest. A failure before
    the post backs off and is retried on later ticks, bounded (``core.outbox``), every try
    logged.
    """

    def __init__(self, hromada: Hromada, deliveries: Deliveries, *, owner: str | None = None,
                 lease: timedelta = schedule.LEASE, image_dir: Path | None = None,
                 tenant_ids: Iterable[str] | None = None,
                 concurrency: int = POST_CONCURRENCY) -> None:
        self.hromada = hromada
        self.deliveries = deliveries
        self.owner = owner or owner_id()
        self.lease = lease
        self.image_dir = image_dir
        self.concurrency = max(1, concurrency)
        self._threads = ThreadPoolExecutor(max_workers=STORE_THREADS,
                                           thread_name_prefix="digests")
        self.tenant_ids = list(tenant_ids) if tenant_ids is not None else None
        self._lock = asyncio.Lock()

    async def _store(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run store work (claims, builds, records) on this runner's own few threads: a busy
        minute's builds never fill the loop's default executor, which the platforms' handlers
        share, nor take the GIL from the event loop more than ``STORE_THREADS`` at a time."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    async def quiesce(self, timeout: float) -> bool:
        """Waits until no tick is running (a digest mid-post finishes); False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                async with self._lock:
                    return True
        except TimeoutError:
            return False

    def release_held(self) -> int:
        """Gives back every claim this process holds, for another process to take now."""
        return outbox.release_held(self.hromada.db, owner=self.owner,
                                   now=self.hromada.clock.now())

    def _due(self) -> tuple[list[tuple[str, Period]], list[schedule.Move]]:
        now = self.hromada.clock.now()
        with self.hromada.db.uow() as session:
            return schedule.due_and_moves(session, now, platforms=self.deliveries.platforms(),
                                          tenant_ids=self.tenant_ids)

    def _build(self, tenant_id: str, period: Period) -> tuple[str | None, Reply | None]:
        with self.hromada.db.uow() as session:
            return scheduled_digest(session, tenant_id, period, image_dir=self.image_dir,
                                    now=self.hromada.clock.now())

    def _picture(self, tenant_id: str, key: str) -> Reply | None:
        with self.hromada.db.uow() as session:
            return scheduled_picture(session, tenant_id, key, image_dir=self.image_dir,
                                     now=self.hromada.clock.now())

    async def tick(self) -> list[tuple[str, str]]:
        """One pass: every due period claimed by us is posted; pictures still owed are sent.
        Returns the (tenant, period key)s whose digest this pass posted."""
        async with self._lock:
            cpu, wall = time.process_time(), time.perf_counter()
            found, moves = await self._store(self._due)
            if moves:
                await self._store(schedule.advance, self.hromada.db, moves)
            posted = await self._run_all(found)
            await self._follow_ups()
            spent = time.process_time() - cpu
            metrics.SCHEDULER_CPU.inc(spent)
            if found:
                log.info("digest tick: %d due, %d posted here in %.2f s (%.2f s CPU)",
                         len(found), len(posted), time.perf_counter() - wall, spent)
            return posted

    async def _run_all(self, found: list[tuple[str, Period]]) -> list[tuple[str, str]]:
        """Claim the due periods and post the ones won, ``concurrency`` at a time.

        Each period is a different channel, so posting them together breaks no per-channel
        limit; a 429 is waited out by the platform client (``Retry-After``) and retried,
        which never posts twice: a refused message was not posted. Claims never run ahead of
        the posts: each statement claims as many periods as there are free posting slots, so a
        process killed mid-run holds only what it was posting, and a second process meeting
        the same list takes its share. Each process walks the list in its own random order,
        so the two rarely reach for the same period.
        """
        todo = [(t, p) for t, p in found if self.deliveries.for_tenant(t) is not None]
        random.shuffle(todo)
        posted: list[tuple[str, str]] = []
        failures: list[BaseException] = []
        running: dict[asyncio.Task[bool], tuple[str, str]] = {}
        db, job = self.hromada.db, schedule.DIGEST_JOB

        async def settle(how: str) -> None:
            done, _ = await asyncio.wait(running, return_when=how)
            for task in done:
                pair = running.pop(task)
                if task.exception() is not None:
                    failures.append(task.exception())  # type: ignore[arg-type]
                elif task.result():
                    posted.append(pair)

        while todo:
            free = self.concurrency - len(running)
            batch, todo = todo[:free], todo[free:]
            won = await self._store(
                outbox.claim_many, db, job, [(t, p.key) for t, p in batch], owner=self.owner,
                now=self.hromada.clock.now(), lease=self.lease)
            for tenant_id, period in batch:
                if (tenant_id, period.key) in won:
                    metrics.DIGESTS.labels("claimed").inc()
                    task = asyncio.create_task(self._post_claimed(tenant_id, period))
                    running[task] = (tenant_id, period.key)
            if len(running) >= self.concurrency:
                await settle(asyncio.FIRST_COMPLETED)
        if running:
            await settle(asyncio.ALL_COMPLETED)
        if failures:
            for error in failures[1:]:
                log.error("digest run failed", exc_info=error)
            raise failures[0]
        return posted

    async def _post_claimed(self, tenant_id: str, period: Period) -> bool:
        """Build and post a period this process claimed; True when it was posted here."""
        delivery = self.deliveries.for_tenant(tenant_id)
        if delivery is None:
            return False
        db, now, job = self.hromada.db, self.hromada.clock.now(), schedule.DIGEST_JOB
        try:
            channel, reply = await self._store(self._build, tenant_id, period)
            if channel is None or reply is None:
                await self._store(schedule.release, db, tenant_id, period,
                                        owner=self.owner, now=now)
                return False
            message = await delivery.post(tenant_id, channel, replace(reply, image=None))
        except Exception as exc:  # noqa: BLE001 - nothing was posted: back off, retry, log
            await self._failed_before_post(tenant_id, period.key, now, exc)
            return False
        # Nothing may run between the post and this record: it is what makes the post final.
        message_ref = f"{channel}:{message}"
        recorded = await self._store(
            outbox.sent, db, tenant_id, job, period.key, owner=self.owner,
            message_id=message_ref, now=self.hromada.clock.now(),
            follow_up=reply.image is not None, lease=self.lease)
        if not recorded:
            log.warning("digest posted after its claim was settled elsewhere",
                        extra={"tenant": tenant_id, "command": period.key})
        metrics.DIGESTS.labels("posted").inc()
        log.info("digest posted", extra={"tenant": tenant_id, "command": period.key})
        if recorded and reply.image is not None:
            await self._send_picture(tenant_id, period.key, message_ref, reply)
        return True

    async def _failed_before_post(self, tenant_id: str, key: str, now: datetime,
                                  exc: Exception) -> None:
        outcome = await self._store(
            outbox.failed, self.hromada.db, tenant_id, schedule.DIGEST_JOB, key,
            owner=self.owner, now=now, error=_describe(exc))
        extra = {"tenant": tenant_id, "command": key}
        metrics.DIGESTS.labels("failed").inc()
        if outcome.gave_up:
            log.error("digest not posted after %d tries, given up: %s", outcome.attempt,
                      _describe(exc), extra=extra, exc_info=exc)
        else:
            log.warning("digest not posted (try %d of %d), next try at %s: %s",
                        outcome.attempt, outbox.MAX_ATTEMPTS, outcome.next_try,
                        _describe(exc), extra=extra, exc_info=exc)

    async def _follow_ups(self) -> None:
        """Pictures of digests already posted whose upload failed before: try again."""
        db, now, job = self.hromada.db, self.hromada.clock.now(), schedule.DIGEST_JOB
        owed = await self._store(outbox.follow_ups_due, db, job, now=now,
                                       tenant_ids=self.tenant_ids)
        for tenant_id, key in owed:
            if self.deliveries.for_tenant(tenant_id) is None:
                continue
            message_ref = await self._store(outbox.claim_follow_up, db, tenant_id, job,
                                                  key, owner=self.owner, now=now,
                                                  lease=self.lease)
            if message_ref is None:
                continue
            try:
                reply = await self._store(self._picture, tenant_id, key)
            except Exception as exc:  # noqa: BLE001 - counted as a failed picture try
                await self._picture_failed(tenant_id, key, exc)
                continue
            if reply is None:
                await self._store(outbox.follow_up_done, db, tenant_id, job, key,
                                        owner=self.owner, now=now)
                continue
            await self._send_picture(tenant_id, key, message_ref, reply)

    async def _send_picture(self, tenant_id: str, key: str, message_ref: str,
                            reply: Reply) -> None:
        delivery = self.deliveries.for_tenant(tenant_id)
        channel, _, message = message_ref.partition(":")
        try:
            if delivery is None:
                raise LookupError(f"no delivery for {tenant_id}")
            await delivery.post_picture(tenant_id, channel, message, reply)
        except Exception as exc:  # noqa: BLE001 - the digest stays posted once; retry the picture
            await self._picture_failed(tenant_id, key, exc)
            return
        await self._store(outbox.follow_up_done, self.hromada.db, tenant_id,
                                schedule.DIGEST_JOB, key, owner=self.owner,
                                now=self.hromada.clock.now())

    async def _picture_failed(self, tenant_id: str, key: str, exc: Exception) -> None:
        outcome = await self._store(
            outbox.follow_up_failed, self.hromada.db, tenant_id, schedule.DIGEST_JOB, key,
            owner=self.owner, now=self.hromada.clock.now(), error=_describe(exc))
        extra = {"tenant": tenant_id, "command": key}
        if outcome.gave_up:
            log.error("digest picture not posted after %d tries, given up (the digest is "
                      "posted): %s", outcome.attempt, _describe(exc), extra=extra, exc_info=exc)
        else:
            log.warning("digest picture not posted (try %d of %d), next try at %s: %s",
                        outcome.attempt, outbox.PICTURE_TRIES, outcome.next_try,
                        _describe(exc), extra=extra, exc_info=exc)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


class CoffeeRunner:
    """Weekly coffee rounds: the core runs each tenant's week once (a unique claim in the store)
    and records every introduction it owes in the same transaction; any process then sends the
    owed ones: a group DM per pair where the platform has them (Slack), else one direct message
    per person. An introduction that fails is retried on later ticks, bounded, for the people it
    did not reach; it is never lost with the round, and never sent twice to the same person."""

    def __init__(self, hromada: Hromada, deliveries: Deliveries, *,
                 owner: str | None = None) -> None:
        self.hromada = hromada
        self.deliveries = deliveries
        self.owner = owner or owner_id()

    async def tick(self) -> dict[str, int]:
        """One pass; returns tenant id -> people reached."""
        rounds = await asyncio.to_thread(coffee.run_all, self.hromada,
                                         platforms=self.deliveries.platforms())
        sent: dict[str, int] = {}
        for tenant_id, notices in rounds.items():
            # "No match this week" goes straight out; introductions go through their claims.
            delivery = self.deliveries.for_tenant(tenant_id)
            direct = [n for n in notices if not n.group]
            if delivery is None or not direct:
                continue
            try:
                missed = await delivery.notify(tenant_id, direct) or []
            except Exception:  # noqa: BLE001 - a courtesy message: logged, not retried
                log.exception("coffee notice not sent", extra={"tenant": tenant_id})
                continue
            reached = sum(len([r for r in n.recipients if r not in missed]) for n in direct)
            if reached:
                sent[tenant_id] = sent.get(tenant_id, 0) + reached
        now, job = self.hromada.clock.now(), coffee.INTRODUCTION_JOB
        owed = await asyncio.to_thread(outbox.open_claims, self.hromada.db, job, now=now,
                                       platforms=self.deliveries.platforms())
        for tenant_id, key in owed:
            reached = await self._introduce(tenant_id, key, now)
            if reached:
                sent[tenant_id] = sent.get(tenant_id, 0) + reached
        for tenant_id in sent:
            log.info("coffee introductions sent", extra={"tenant": tenant_id})
        return sent

    def _owed(self, tenant_id: str, key: str) -> Notice | None:
        with self.hromada.db.uow() as session:
            return coffee.owed_introduction(session, tenant_id, key)

    async def _introduce(self, tenant_id: str, key: str, now: datetime) -> int:
        """Send one owed introduction; the number of people it reached now."""
        db, job = self.hromada.db, coffee.INTRODUCTION_JOB
        delivery = self.deliveries.for_tenant(tenant_id)
        if delivery is None or not await asyncio.to_thread(outbox.claim, db, tenant_id, job,
                                                           key, owner=self.owner, now=now):
            return 0
        notice = await asyncio.to_thread(self._owed, tenant_id, key)
        if notice is None:
            await asyncio.to_thread(outbox.sent, db, tenant_id, job, key, owner=self.owner,
                                    message_id="", now=now, follow_up=False)
            return 0
        error = ""
        try:
            missed = list(await delivery.notify(tenant_id, [notice]) or [])
        except Exception as exc:  # noqa: BLE001 - nobody reached for sure: retry them all
            missed, error = list(notice.recipients), _describe(exc)
        got = [r for r in notice.recipients if r not in missed]
        if not missed:
            await asyncio.to_thread(outbox.sent, db, tenant_id, job, key, owner=self.owner,
                                    message_id="", now=self.hromada.clock.now(),
                                    follow_up=False)
            return len(got)
        if got:
            await asyncio.to_thread(outbox.reached, db, tenant_id, job, key, owner=self.owner,
                                    recipients=got)
        outcome = await asyncio.to_thread(
            outbox.failed, db, tenant_id, job, key, owner=self.owner, now=now,
            error=error or f"not reached: {len(missed)} of {len(notice.recipients)}")
        extra = {"tenant": tenant_id, "command": key}
        if outcome.gave_up:
            log.error("coffee introduction %s given up after %d tries; %d people not reached",
                      key, outcome.attempt, len(missed), extra=extra)
        else:
            log.warning("coffee introduction %s not sent to %d people (try %d of %d), next "
                        "try at %s", key, len(missed), outcome.attempt, outbox.MAX_ATTEMPTS,
                        outcome.next_try, extra=extra)
        return len(got)


class KbReminderRunner:
    """Each owner of stale knowledge snippets gets one batched reminder a week. The reminder is
    a ``kb-reminder`` claim per (owner, ISO week): whoever wins it sends it and records it, so
    two processes ticking remind once; a failed send backs off and is retried, bounded."""

    def __init__(self, hromada: Hromada, deliveries: Deliveries, *,
                 owner: str | None = None, tenant_ids: Iterable[str] | None = None) -> None:
        self.hromada = hromada
        self.deliveries = deliveries
        self.owner = owner or owner_id()
        self.tenant_ids = list(tenant_ids) if tenant_ids is not None else None

    def _owed(self) -> list[freshness.Reminder]:
        with self.hromada.db.uow() as session:
            return freshness.reminders(session, self.hromada.clock.now(),
                                       platforms=self.deliveries.platforms(),
                                       tenant_ids=self.tenant_ids)

    async def tick(self) -> int:
        """One pass; returns how many reminders this pass sent."""
        db, job = self.hromada.db, freshness.REMINDER_JOB
        sent = 0
        for reminder in await asyncio.to_thread(self._owed):
            tenant_id, key = reminder.tenant_id, reminder.key
            delivery = self.deliveries.for_tenant(tenant_id)
            now = self.hromada.clock.now()
            if delivery is None or not await asyncio.to_thread(
                    outbox.claim, db, tenant_id, job, key, owner=self.owner, now=now):
                continue
            try:
                missed = list(await delivery.notify(tenant_id, [reminder.notice]) or [])
                error = f"not reached: {len(missed)}" if missed else ""
            except Exception as exc:  # noqa: BLE001 - not reached for sure: retried later
                error = _describe(exc)
            if not error:
                await asyncio.to_thread(outbox.sent, db, tenant_id, job, key, owner=self.owner,
                                        message_id="", now=self.hromada.clock.now(),
                                        follow_up=False)
                sent += 1
                continue
            outcome = await asyncio.to_thread(outbox.failed, db, tenant_id, job, key,
                                              owner=self.owner, now=now, error=error)
            log.warning("knowledge reminder %s not sent (try %d of %d, %s): %s", key,
                        outcome.attempt, outbox.MAX_ATTEMPTS,
                        "given up" if outcome.gave_up else f"next at {outcome.next_try}",
                        error, extra={"tenant": tenant_id, "command": key})
        if sent:
            log.info("knowledge reminders sent: %d", sent)
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


def aligned_start(seconds: float, now: datetime | None = None) -> datetime:
    """The latest multiple of ``seconds`` since the epoch, plus a tenth of it (at most one
    second), so a tick never fires a hair before the minute it is meant for."""
    at = (now or datetime.now(UTC)).timestamp()
    return datetime.fromtimestamp(at - at % seconds + min(1.0, seconds / 10), UTC)


def start_scheduler(runner: DigestRunner, *, coffee_runner: CoffeeRunner | None = None,
                    seconds: float = TICK_SECONDS,
                    reminder_runner: KbReminderRunner | None = None,
                    onboarding_runner: OnboardingRunner | None = None) -> AsyncIOScheduler:
    """An in-memory AsyncIOScheduler on the running loop; its first ticks run at once.

    The digest tick runs on the clock's multiples of ``seconds`` (every whole minute by
    default), just after them: digests fall due at whole minutes, so every process looks for
    them right then instead of up to a tick later, whenever it started."""
    scheduler = AsyncIOScheduler()
    scheduler.add_job(runner.tick, IntervalTrigger(seconds=seconds,
                                                   start_date=aligned_start(seconds)),
                      id="digests", max_instances=1, coalesce=True)
    # The first tick at once, apart: a run time given to the interval job would shift all its
    # later ticks off the whole minutes. The runner's lock keeps two ticks from overlapping.
    scheduler.add_job(runner.tick, "date", run_date=datetime.now(UTC), id="digests-at-start")
    if coffee_runner is not None:
        scheduler.add_job(coffee_runner.tick, IntervalTrigger(seconds=seconds * 10),
                          id="coffee", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
    if reminder_runner is not None:
        scheduler.add_job(reminder_runner.tick, IntervalTrigger(seconds=seconds * 10),
                          id="kb-reminders", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
    if onboarding_runner is not None:
        scheduler.add_job(onboarding_runner.tick, IntervalTrigger(seconds=seconds),
                          id="onboarding", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler
