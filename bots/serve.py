"""``hromada serve`` with platform tokens: every configured platform in one asyncio loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bots.delivery import Deliveries
from bots.ops import Ops, OpsServer
from bots.runtime import build
from bots.scheduler import DigestRunner
from core import housekeeping
from core.app import Hromada
from core.config import Settings

log = logging.getLogger(__name__)


async def serve_async(settings: Settings) -> None:
    hromada = build(settings)
    deliveries = Deliveries()
    from bots.web.app import build_web

    ops = Ops(hromada, web=build_web(hromada, settings, deliveries))  # web pages on PORT too
    log.info("web pages at %s/ (on port %d)", settings.web_url, settings.port)
    runners: list[Awaitable[None]] = []
    ops_server: OpsServer | None = None
    if settings.slack_bot_token is not None or settings.slack_client_id:  # token, or OAuth
        from bots.slack.runner import run_slack

        runners.append(run_slack(hromada, settings, deliveries, ops))  # serves ops paths too
    else:
        ops_server = OpsServer(ops, port=settings.port)
        await ops_server.start()
    if settings.discord_token is not None:
        from bots.discord.runner import run_discord

        runners.append(run_discord(hromada, settings, deliveries, ops))
    log.info("serving: %s", ", ".join(p for p, on in (
        ("slack", settings.slack_bot_token or settings.slack_client_id),
        ("discord", settings.discord_token)) if on))
    from bots.onboarding import OnboardingRunner
    from bots.scheduler import CoffeeRunner, KbReminderRunner, start_scheduler

    digests = DigestRunner(hromada, deliveries)
    scheduler = start_scheduler(digests, coffee_runner=CoffeeRunner(hromada, deliveries),
                                seconds=settings.scheduler_tick_seconds,
                                reminder_runner=KbReminderRunner(hromada, deliveries),
                                onboarding_runner=OnboardingRunner(hromada, deliveries))
    schedule_housekeeping(scheduler, hromada)
    settle_after_startup()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    tasks = [asyncio.ensure_future(r) for r in runners]
    waiting = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait([*tasks, waiting], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        log.info("stopping: finishing the work in flight (at most %d s)", GRACE_SECONDS)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        waiting.cancel()
        await stop_gracefully(tasks, scheduler, digests)
        if ops_server is not None:
            await ops_server.stop()
        hromada.db.dispose()
        log.info("stopped")


GRACE_SECONDS = 10


async def stop_gracefully(tasks: list[asyncio.Future[None]], scheduler: AsyncIOScheduler,
                          digests: DigestRunner) -> None:
    """SIGTERM: no new ticks; platforms stop taking work and finish what they hold (answers
    already acked, a digest being posted), all within ``GRACE_SECONDS``; then every claim this
    process still holds is given back, so another process (or the restart) takes it at once."""
    scheduler.pause()  # no new tick; shutting down now would cancel the running one
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GRACE_SECONDS
    # First the digest being posted, while the platforms' connections are still open.
    if not await digests.quiesce(GRACE_SECONDS):
        log.warning("a digest was still being posted when the grace period ended")
    scheduler.shutdown(wait=False)
    for task in tasks:
        task.cancel()  # each runner's own ``finally`` closes its server and drains its work
    if tasks:
        await asyncio.wait(tasks, timeout=max(0.5, deadline - loop.time()))
    released = await asyncio.to_thread(digests.release_held)
    if released:
        log.info("gave back %d claims for another process to take", released)


SWEEP_SECONDS = 3600


def schedule_housekeeping(scheduler: AsyncIOScheduler, hromada: Hromada) -> None:
    """Hourly: old event keys and drafts go, and tenants past their retention period.

    Every process may run it: each step is plain deletes, so a second run finds nothing."""

    async def sweep() -> None:
        await asyncio.to_thread(housekeeping.sweep, hromada.db, hromada.clock.now())

    scheduler.add_job(sweep, IntervalTrigger(seconds=SWEEP_SECONDS), id="housekeeping",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))


def serve(settings: Settings) -> None:
    asyncio.run(serve_async(settings))


def settle_after_startup() -> None:
    """Put what start-up made (modules, the registry, the word dictionaries, Bolt, SQLAlchemy)
    out of the garbage collector's reach: it lives as long as the process anyway.

    Measured with ``bench/bench_slack.py``: without it, each full collection walked all of
    it, 0.2-0.5 s on a 2-core machine at moments nobody chose, and every request queued behind
    it waited as long (the half-second stalls of issue 12). Frozen, a full collection takes
    under a millisecond; what is made later is collected as before. ``gc.freeze`` is global
    to the interpreter, so it is called here, once, by ``hromada serve`` and nowhere else.
    """
    gc.collect()
    gc.freeze()
